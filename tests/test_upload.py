"""AchUpload rewinds a re-sent file itself, whatever the caller counts as a retry."""

from __future__ import annotations

import io

from qbank_connect._upload import AchUpload

from .mock_api import nacha_file


def test_every_send_after_the_first_starts_at_byte_zero() -> None:
    upload = AchUpload(io.BytesIO(nacha_file()))
    assert upload.rewindable
    first = upload.body()
    assert first.read() == nacha_file()
    assert upload.body().read() == nacha_file()  # a 401 replay: no retry counted, still rewound
    assert upload.body().read() == nacha_file()


def test_a_file_object_positioned_mid_file_is_checked_and_sent_from_its_start() -> None:
    source = io.BytesIO(nacha_file())
    source.seek(50)
    upload = AchUpload(source)
    assert upload.body().read() == nacha_file()
    assert upload.body().read() == nacha_file()


def test_a_stream_that_cannot_seek_is_not_rewindable() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

    assert not AchUpload(Pipe()).rewindable
