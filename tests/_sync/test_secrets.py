# Generated from tests/_async/test_secrets.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""No credential or token in logs, reprs, exception messages or tracebacks."""

from __future__ import annotations

import logging
import traceback

import httpx2
import pytest

from qbank_connect.errors import QBankError

from ..mock_api import CLIENT_SECRET, MockAPI, balance_json, error
from .conftest import make_client

TOKEN_MARK = "SECRETTOKEN"  # every token MockAPI issues contains it


def leaks(text: str) -> list[str]:
    found = []
    for secret in (CLIENT_SECRET, TOKEN_MARK, "p%40ss", "cEBzczp3L3Jk"):  # raw, encoded, base64
        if secret in text:
            found.append(secret)
    return found


def test_nothing_secret_in_debug_logs_reprs_errors_or_tracebacks(
    api: MockAPI, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.route(
        "GET",
        "/balances/acc_operating",
        error(503, "ERR_SYS_001"),
        error(401, "ERR_AUTH_001"),
        httpx2.Response(200, json=balance_json()),
        error(500, "ERR_SYS_000"),
    )
    client = make_client(api)
    balance = client.balances.get("acc_operating")
    errors: list[BaseException] = []
    try:
        client.balances.get("acc_operating")
    except QBankError as exc:
        errors.append(exc)
    api.token_answers = [httpx2.Response(401, json={"error": "invalid_client"})]
    client2 = make_client(api)
    try:
        client2.authenticate()
    except QBankError as exc:
        errors.append(exc)

    assert len(errors) == 2
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /balances/acc_operating" in logged  # logging is really on
    assert "retrying" in logged
    texts = [
        logged,
        repr(client),
        str(client.__dict__),
        repr(client._requester.__dict__),
        repr(balance),
    ]
    for exc in errors:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        texts.append(repr(getattr(exc, "__dict__", {})))
    for text in texts:
        assert leaks(text) == [], text[:500]


def test_request_repr_masks_authorization(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    client = make_client(api)
    client.balances.get("acc_operating")
    sent = api.calls("GET", "/balances/acc_operating")[0]
    assert TOKEN_MARK in sent.headers["authorization"]  # it was really sent...
    assert TOKEN_MARK not in repr(sent.headers)  # ...and httpx2 masks it in reprs
