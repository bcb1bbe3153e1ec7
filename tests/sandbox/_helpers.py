"""Shared helpers for the sandbox tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx2
import yaml

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    SANDBOX_ROUTING_NUMBER,
)

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml").read_text()
)
START = datetime(2026, 11, 21, 10, 7, 30, tzinfo=timezone.utc)
TODAY = START.date().isoformat()


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` pointers inside the spec."""
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def form_credentials(**fields: str) -> dict[str, str]:
    """A client_secret_post token form for the demo client, plus ``fields``."""
    return {
        "grant_type": "client_credentials",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        **fields,
    }


def new_key() -> str:
    return str(uuid.uuid4())


def basic_auth(
    client_id: str = DEMO_CLIENT_ID, secret: str = DEMO_CLIENT_SECRET
) -> httpx2.BasicAuth:
    # RFC 6749 section 2.3.1: form-encode id and secret, then Basic.
    return httpx2.BasicAuth(quote_plus(client_id), quote_plus(secret))


def get_token(
    http: httpx2.Client,
    scope: str | None = None,
    client_id: str = DEMO_CLIENT_ID,
    secret: str = DEMO_CLIENT_SECRET,
) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = http.post("/token", data=data, auth=basic_auth(client_id, secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def get_token_async(http: httpx2.AsyncClient) -> str:
    """The demo client's token, by form fields (client_secret_post) this time."""
    response = await http.post("/token", data=form_credentials())
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def ach_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_account_id": ACCOUNT_OPERATING,
        "recipient_details": {
            "name": "Jane Doe",
            "routing_number": SANDBOX_ROUTING_NUMBER,
            "account_number": "000123456",
            "account_type": "checking",
        },
        "amount": "125.50",
        "effective_date": TODAY,
    }
    body.update(overrides)
    return body


def wire_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_account_id": ACCOUNT_OPERATING,
        "beneficiary": {
            "name": "Globex Ltd",
            "account_number": "GB29NWBK60161331926819",
            "bic": "NWBKGB2L",
        },
        "amount": "25000.00",
        "currency": "USD",
        "purpose": "Invoice 42",
    }
    body.update(overrides)
    return body


def transfer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_account_id": ACCOUNT_OPERATING,
        "destination_account_id": "acc_payroll",
        "amount": "5000.00",
        "memo": "Payroll funding",
    }
    body.update(overrides)
    return body


def issue_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": ACCOUNT_OPERATING,
        "check_number": "10501",
        "amount": "740.00",
        "issue_date": TODAY,
        "payee_name": "Acme Supplies",
    }
    body.update(overrides)
    return body
