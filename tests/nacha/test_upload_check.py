"""``upload_ach_file`` checks the file with the validator before a byte is sent."""

from __future__ import annotations

import io
from pathlib import Path

import httpx2
import pytest

from qbank_connect import nacha
from qbank_connect._upload import AchUpload

from .._sync.conftest import make_client
from ..mock_api import MockAPI, ach_file_json
from ._samples import build
from .test_validate import put

BROKEN = put(build(), 3, 35, "O")  # line 3: a letter in the amount


def test_a_broken_file_is_rejected_before_anything_is_sent(tmp_path: Path) -> None:
    api = MockAPI()
    client = make_client(api)
    path = tmp_path / "payroll.ach"
    path.write_bytes(BROKEN)
    for source in (BROKEN, path, io.BytesIO(BROKEN)):
        with pytest.raises(nacha.NachaValidationError) as info:
            client.payments.upload_ach_file(source, source_account_id="acc_payroll")  # type: ignore[arg-type]
        assert isinstance(info.value, ValueError)
        assert "line 3, field 'amount' (columns 30-39): must be digits" in str(info.value)
    assert api.requests == []


def test_a_valid_file_is_validated_then_sent_from_its_first_byte() -> None:
    api = MockAPI()
    api.route("POST", "/payments/ach/files", httpx2.Response(202, json=ach_file_json()))
    client = make_client(api)
    data = build()
    source = io.BytesIO(data)
    source.seek(100)
    client.payments.upload_ach_file(source)
    (body,) = [
        api.bodies[i] for i, r in enumerate(api.requests) if r.url.path.endswith("/ach/files")
    ]
    assert data in body


class _Pipe(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_that_cannot_seek_has_only_its_first_record_checked() -> None:
    bad_header = put(build(), 1, 35, "095")
    with pytest.raises(nacha.NachaValidationError, match="line 1, field 'record_size'"):
        AchUpload(io.BufferedReader(_Pipe(bad_header)))
    with pytest.raises(nacha.NachaValidationError, match="'1' file header"):
        AchUpload(io.BufferedReader(_Pipe(build()[95:])))
    # The rest cannot be read without consuming what is to be sent: the server checks it.
    upload = AchUpload(io.BufferedReader(_Pipe(BROKEN)))
    assert not upload.rewindable and upload.body().read() == BROKEN


def test_a_short_first_record_of_a_stream_is_reported_as_short() -> None:
    # The first line ends at its newline: its length is what is wrong, not the next record's bytes.
    from qbank_connect.nacha._check import check_first_record

    problems = check_first_record(b"101 0210000\n5200" + b" " * 90)
    assert problems and all(p.line == 1 for p in problems)
    assert any("11 characters" in p.message for p in problems), [str(p) for p in problems]
    crlf = check_first_record(b"101 0210000\r\n5200" + b" " * 90)
    assert [str(p) for p in crlf] == [str(p) for p in problems]
