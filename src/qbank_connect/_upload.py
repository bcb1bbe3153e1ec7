"""The NACHA file of a bulk ACH upload: checked up front, streamed, rewound for retries."""

from __future__ import annotations

import io
import os
from typing import IO, cast

from ._closing import Closing

__all__ = ["AchFileSource", "AchUpload"]

AchFileSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""A path, the bytes of the file, or a binary file object (opened with ``"rb"``)."""

RECORD_LENGTH = 94
_PEEK = RECORD_LENGTH * 2 + 2


class AchUpload(Closing):
    """One NACHA file for one ``upload_ach_file`` call, including its automatic retries.

    A path is opened by the upload and closed after it; a file object is left open. A seekable
    file is sent whole, from its first byte, on every attempt; a stream that cannot seek is sent
    from where it is, once. Nothing is read into memory beyond two records for the format check.
    """

    def __init__(self, source: AchFileSource, *, file_name: str | None = None) -> None:
        self._owned = False
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._file: IO[bytes] = io.BytesIO(bytes(source))
            self.file_name = file_name or "ach.txt"
        elif isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            try:
                self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                raise ValueError(f"file: cannot open {path!r}: {exc.strerror}") from None
            self._owned = True
            self.file_name = file_name or os.path.basename(path)
        elif hasattr(source, "read"):
            self._file = source
            name = getattr(source, "name", None)
            self.file_name = file_name or (
                os.path.basename(name) if isinstance(name, str) else "ach.txt"
            )
        else:
            raise ValueError(
                f"file must be a path, bytes, or a binary file object, not {type(source).__name__}"
            )
        self._can_seek = self._seekable()
        self._sent = False
        try:
            self._check_format()
        except BaseException:
            self.close()
            raise

    @property
    def rewindable(self) -> bool:
        return self._can_seek

    def body(self) -> IO[bytes]:
        """The stream to send now: rewound to the first byte if an earlier attempt read it.

        Tracked here rather than by the caller's retry count, because a 401 replay re-sends the
        file without counting as a retry."""
        if self._sent and self._can_seek:
            self._file.seek(0)
        self._sent = True
        return self._file

    def close(self) -> None:
        if self._owned:
            self._file.close()

    def _seekable(self) -> bool:
        try:
            return bool(self._file.seekable())
        except (AttributeError, OSError, ValueError):
            return False

    def _check_format(self) -> None:
        if not self._can_seek:
            peek = getattr(self._file, "peek", None)
            head = cast("bytes", peek(_PEEK))[:_PEEK] if callable(peek) else b""
            if not head:
                return  # a pipe we cannot look into without consuming it: the server checks it
        else:
            self._file.seek(0)  # what is sent starts at byte 0 (httpx2's multipart seeks there too)
            head = self._file.read(_PEEK)
            self._file.seek(0)
        if isinstance(head, str):
            raise ValueError("file must be opened in binary mode ('rb')")
        if not head:
            raise ValueError("file: the NACHA file is empty")
        record = head[:RECORD_LENGTH]
        if not record.startswith(b"1"):
            raise ValueError("file: not a NACHA file (its first record must be a '1' file header)")
        if b"\n" in record.rstrip(b"\r\n") or len(record) < RECORD_LENGTH:
            raise ValueError("file: not a NACHA file (records must be 94 characters long)")
        rest = head[RECORD_LENGTH:]
        if rest and rest[:1] not in (b"\r", b"\n") and not rest[:1].isdigit():
            raise ValueError("file: not a NACHA file (records must be 94 characters long)")
