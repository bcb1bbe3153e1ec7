"""The NACHA file of a bulk ACH upload: checked up front, streamed, rewound for retries."""

from __future__ import annotations

import io
import os
from typing import IO, cast

from ._closing import Closing
from .nacha import NachaValidationError, validate
from .nacha._check import check_first_record

__all__ = ["AchFileSource", "AchUpload"]

AchFileSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""A path, the bytes of the file, or a binary file object (opened with ``"rb"``)."""

_PEEK = 94 * 2 + 2
_MAX_PROBLEMS = 20  # enough to say what is wrong; reading stops there


class AchUpload(Closing):
    """One NACHA file for one ``upload_ach_file`` call, including its automatic retries.

    A path is opened by the upload and closed after it; a file object is left open. A seekable
    file is validated first (:func:`qbank_connect.nacha.validate`, streamed), then sent whole,
    from its first byte, on every attempt; a stream that cannot seek is sent from where it is,
    once, after a check of its first record. A broken file raises
    :class:`~qbank_connect.nacha.NachaValidationError` (a ``ValueError``) before anything is sent.
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
        """Reject a broken file before anything is sent, naming the line and field.

        A seekable file is validated whole, a chunk at a time (memory stays flat), then
        rewound. A stream that cannot seek can only be looked into without consuming it: its
        first record is checked when its buffer shows it (``peek``), the rest by the server.
        """
        if not self._can_seek:
            peek = getattr(self._file, "peek", None)
            head = cast("bytes | str", peek(_PEEK)) if callable(peek) else b""
            if isinstance(head, str):
                raise ValueError("file must be opened in binary mode ('rb')")
            if not head:
                return  # a pipe we cannot look into without consuming it: the server checks it
            problems = check_first_record(bytes(head[:_PEEK]))
        else:
            self._file.seek(0)  # what is sent starts at byte 0 (httpx2's multipart seeks there too)
            try:
                problems = validate(self._file, max_problems=_MAX_PROBLEMS)
            except TypeError:
                raise ValueError("file must be opened in binary mode ('rb')") from None
            self._file.seek(0)
        if problems:
            raise NachaValidationError(problems)
