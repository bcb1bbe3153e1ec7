"""Records out of a source, a chunk at a time: memory stays flat whatever the file's size.

A NACHA file is records of 94 characters, one per line ("\\n" or "\\r\\n"), or concatenated
with no line break at all (NACHA allows both); the first chunk tells which.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from ._fields import RECORD_LENGTH
from ._model import NachaValidationError, Problem

__all__ = ["Source", "open_source", "records"]

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]
"""A path, the file's bytes, or a binary file object (read from where it stands)."""

CHUNK = 1 << 16
_KEEP = 2 * RECORD_LENGTH  # of an over-long line, only this much is kept (its length is counted)


@contextmanager
def open_source(source: object) -> Generator[Callable[[int], bytes], None, None]:
    """The ``read`` function of ``source``; a path is opened here and closed after."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(cast("bytes", source))).read
    elif isinstance(source, (str, os.PathLike)):
        path: str = os.fspath(cast("str", source))
        try:
            file = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            problem = Problem(0, "file", None, f"cannot open {path!r}: {exc.strerror or exc}")
            raise NachaValidationError([problem]) from None
        with file:
            yield _checked_read(file.read)
    elif callable(getattr(source, "read", None)):
        yield _checked_read(cast("IO[bytes]", source).read)
    else:
        raise TypeError(
            f"source must be a path, bytes or a binary file object, not {type(source).__name__}"
        )


def _checked_read(read: Callable[[int], Any]) -> Callable[[int], bytes]:
    def checked(size: int) -> bytes:
        try:
            data = read(size)
        except OSError as exc:
            raise NachaValidationError(
                [Problem(0, "file", None, f"cannot read the file: {exc.strerror or exc}")]
            ) from None
        if data is None:  # a non-blocking stream with nothing ready
            return b""
        if isinstance(data, str):
            raise TypeError("the file must be opened in binary mode ('rb')")
        return bytes(data)

    return checked


def _fill(read: Callable[[int], bytes], wanted: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < wanted:
        part = read(CHUNK)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def records(read: Callable[[int], bytes]) -> Iterator[tuple[bytes, int]]:
    """Each record's bytes (without its line break; at most 188 kept) and its true length."""
    first = _fill(read, RECORD_LENGTH + 2)
    if not first:
        return
    if b"\n" not in first[: RECORD_LENGTH + 2] and len(first) > RECORD_LENGTH + 1:
        yield from _fixed(first, read)
    else:
        yield from _lines(first, read)


def _fixed(buffer: bytes, read: Callable[[int], bytes]) -> Iterator[tuple[bytes, int]]:
    done = False
    while True:
        while not done and len(buffer) < CHUNK:
            part = read(CHUNK)
            if not part:
                done = True
            buffer += part
        whole = len(buffer) - len(buffer) % RECORD_LENGTH
        for start in range(0, whole, RECORD_LENGTH):
            yield buffer[start : start + RECORD_LENGTH], RECORD_LENGTH
        buffer = buffer[whole:]
        if done:
            tail = buffer.rstrip(b"\r\n")
            if tail:
                yield tail, len(tail)
            return


def _lines(first: bytes, read: Callable[[int], bytes]) -> Iterator[tuple[bytes, int]]:
    carry = b""
    extra = 0  # bytes of the current line beyond the ``_KEEP`` kept in ``carry``
    chunk = first
    while chunk:
        parts = chunk.split(b"\n")
        for index, part in enumerate(parts):
            if index:  # a line ended before this part
                yield _finish(carry, extra)
                carry, extra = b"", 0
            carry += part
            if len(carry) > _KEEP:
                extra += len(carry) - _KEEP
                carry = carry[:_KEEP]
        chunk = read(CHUNK)
    if carry or extra:
        yield _finish(carry, extra)


def _finish(line: bytes, extra: int) -> tuple[bytes, int]:
    if not extra and line.endswith(b"\r"):
        line = line[:-1]
    return line, len(line) + extra
