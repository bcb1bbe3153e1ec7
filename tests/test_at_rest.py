"""At rest: the token cache and the webhook event store keep no secret in clear (issue 17).

One store (a SQLite file, a Redis database, a PostgreSQL database) serves as the shared token
cache of a client that makes a payment, and as the event store of a de-duplicator that handles
signed events. A byte scan of everything the store holds (SQLite: the file, its WAL and shm,
while the connections are open and after they closed; Redis: every key and value; PostgreSQL:
every row of every table) finds neither the access token, the client secret, the webhook
secret, the payment's full account number, nor anything of the events' bodies: raw, base64 or
hex. (The payment journal's sealing is tested with the journal.)"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qbank_connect import QBankConnect
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox
from qbank_connect.webhooks import EventDeduplicator, unwrap

from . import store_access
from .webhooks.webhook_samples import NOW, PAYMENT_ID, SECRET, event_body, headers_for

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ACCOUNT_NUMBER = "987654321012"
MEMO = "memo-at-rest-7f3a9c"
BODY = {
    "source_account_id": ACCOUNT_OPERATING,
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": ACCOUNT_NUMBER,
        "account_type": "checking",
    },
    "amount": "12.00",
    "effective_date": "2026-11-23",
}


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(start=START, token_ttl=3600) as sandbox, sandbox.serve() as server:
        yield sandbox, server.base_url


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/qbank.db"
    return str(request.getfixturevalue(f"{request.param}_url"))


def forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), raw.hex().encode()]


def test_no_token_secret_or_account_number_in_the_stores(
    served: tuple[Sandbox, str], url: str
) -> None:
    sandbox, base_url = served
    client = QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, token_cache=url)
    dedup = EventDeduplicator(store=url)
    scans = []
    try:
        client.payments.create_ach(request=BODY)
        token = client._requester.tokens.get().authorization.removeprefix("Bearer ")
        for number in range(20):
            body = event_body(f"evt_rest_{number}", memo=MEMO)
            event = unwrap(body, headers_for(body, delivery_id=f"whd_{number}"), SECRET, now=NOW)
            assert dedup.first_time(event)
            if number % 2:
                dedup.done(event)
        scans.append(store_access.raw_bytes(url))  # connections open (SQLite: the WAL too)
    finally:
        client.close()
        dedup.close()
    scans.append(store_access.raw_bytes(url))
    assert sandbox.payments_by_key()  # the payment was made
    for stored in scans:
        assert b"qbank-token:" in stored and b"evt_rest_19" in stored  # the scan saw both
        for secret in (token, DEMO_CLIENT_SECRET, SECRET, ACCOUNT_NUMBER, MEMO, PAYMENT_ID):
            for form in forms(secret):
                assert form not in stored, secret
        assert DEMO_CLIENT_ID.encode() not in stored  # entry names are hashes
