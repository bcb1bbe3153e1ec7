"""The journal's records and decisions, without a database (``qbank_connect._stores.journal``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx2
import pytest

from qbank_connect._response import error_from_response
from qbank_connect._stores.journal import (
    EntryState,
    JournalEntry,
    JournalOutcome,
    decide,
    json_body_record,
    outcome_from_error,
    outcome_from_response,
    upload_body_record,
)
from qbank_connect.errors import QBankReferenceReuseError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def entry(body: bytes = b'{"a": 1, "b": "2.00"}', age: timedelta = timedelta(0)) -> JournalEntry:
    text, digest = json_body_record(body)
    return JournalEntry("inv:1", "createAchPayment", "k", digest, text, NOW - age)


def test_digests_compare_canonical_json() -> None:
    assert (
        json_body_record(b'{"a":1,"b":"2.00"}')[1]
        == json_body_record(b'{ "b": "2.00", "a": 1 }')[1]
    )
    assert json_body_record(b'{"a":1,"b":"2.00"}')[1] != json_body_record(b'{"a":1,"b":"2.01"}')[1]
    body, _ = json_body_record(b'{"b":"2.00","a":1}')
    assert body == '{"b":"2.00","a":1}'  # stored as sent
    one = upload_body_record("a.ach", "ab" * 32, 940, {"source_account_id": "acc_payroll"})
    renamed = upload_body_record("b.ach", "ab" * 32, 940, {"source_account_id": "acc_payroll"})
    assert one[1] == renamed[1] and json.loads(one[0])["file_size"] == 940
    assert one[1] != upload_body_record("a.ach", "cd" * 32, 940, {})[1]


def test_decisions() -> None:
    attempted = entry()
    assert decide(entry(), attempted, NOW) == "send"
    assert decide(entry(age=timedelta(hours=22, minutes=59)), attempted, NOW) == "send"
    assert decide(entry(age=timedelta(hours=23)), attempted, NOW) == "reconcile"
    done = entry(age=timedelta(days=30)).settled(JournalOutcome(201, "{}", True))
    assert done.state is EntryState.SUCCEEDED and decide(done, attempted, NOW) == "replay"
    with pytest.raises(QBankReferenceReuseError) as caught:
        decide(entry(b'{"a": 2}'), attempted, NOW)
    assert caught.value.reference == "inv:1" and "nothing was sent" in str(caught.value)


def test_outcomes_round_trip_and_rebuild_the_answer() -> None:
    ok = httpx2.Response(201, headers={"Request-Id": "req_1"}, json={"id": "p1", "amount": "1.00"})
    outcome = outcome_from_response(ok)
    again = JournalOutcome.from_json(outcome.to_json())
    assert again == outcome and again.succeeded and again.executed
    assert json.loads(again.http_response().content) == {"id": "p1", "amount": "1.00"}
    assert again.http_response().headers["request-id"] == "req_1"

    funds = httpx2.Response(
        422, json={"message": "no", "error_code": "ERR_FUNDS_001", "request_id": "r"}
    )
    refused = outcome_from_error(error_from_response(funds, idempotency_key="k"))
    assert (
        refused is not None and refused.executed and refused.error == "QBankInsufficientFundsError"
    )
    rebuilt = error_from_response(JournalOutcome.from_json(refused.to_json()).http_response())
    assert type(rebuilt).__name__ == "QBankInsufficientFundsError"
    invalid = outcome_from_error(error_from_response(httpx2.Response(400, json={"message": "x"})))
    assert invalid is not None and not invalid.executed
    for status in (401, 403, 409, 429, 500, 503):
        assert outcome_from_error(error_from_response(httpx2.Response(status))) is None
