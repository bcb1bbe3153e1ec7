"""CONTRACT: every response of a scripted scenario covering every operation and error
validates against spec/openapi.yaml (status, content type, body schema, headers)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx2
import jsonschema
import pytest

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PETTY_CASH,
    ACH_RETURN_R01_ACCOUNT_NUMBER,
    DEMO_READONLY_CLIENT_ID,
    DEMO_READONLY_CLIENT_SECRET,
    NachaEntry,
    Sandbox,
    build_ach_file,
)

from ._helpers import (
    SPEC,
    ach_body,
    basic_auth,
    get_token,
    issue_body,
    new_key,
    resolve,
    transfer_body,
    wire_body,
)

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC3339_MS.match(value))


def validate(instance: Any, schema: dict[str, Any]) -> None:
    wrapped = {**schema, "components": SPEC["components"]}
    jsonschema.Draft202012Validator(wrapped, format_checker=FORMATS).validate(instance)


def _operations() -> list[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for path, item in SPEC["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method, operation in item.items():
            found.append((method.upper(), pattern, operation["operationId"], operation))
    # literal paths first, so /payments/ach is not taken for /payments/{payment_id}
    found.sort(key=lambda row: "[^/]+" in row[1].pattern)
    return found


OPERATIONS = _operations()


def check_response(response: httpx2.Response) -> tuple[str, int]:
    """Validate one response against its operation; returns (operationId, status)."""
    path = response.request.url.path.removeprefix("/v1")
    method = response.request.method
    matches = [
        (op_id, op) for m, pattern, op_id, op in OPERATIONS if m == method and pattern.match(path)
    ]
    assert matches, f"no operation for {method} {path}"
    op_id, operation = matches[0]
    status = response.status_code
    responses = operation["responses"]
    if str(status) in responses:
        spec_response = resolve(responses[str(status)])
    else:
        assert status >= 400 and "default" in responses, f"{op_id}: undeclared status {status}"
        spec_response = resolve(responses["default"])
    # every response: a UUID Request-Id
    request_id = response.headers.get("request-id")
    assert request_id, f"{op_id} {status}: no Request-Id"
    uuid.UUID(request_id)
    content_type = response.headers["content-type"].split(";")[0]
    content = spec_response.get("content", {})
    if op_id == "createToken" and status in (429, 503):
        content = content  # declared with ErrorResponse via shared responses
    assert content_type in content, (
        f"{op_id} {status}: content type {content_type} not in {list(content)}"
    )
    body = response.json()
    validate(body, content[content_type]["schema"])
    for name, header in spec_response.get("headers", {}).items():
        header_schema = resolve(header)["schema"]
        value = response.headers.get(name)
        if value is None:
            continue
        if header_schema.get("type") == "integer":
            assert value.isdigit(), f"{name}: {value!r}"
            validate(int(value), header_schema)
        else:
            validate(value, header_schema)
    if status in (429, 503):
        assert response.headers["retry-after"].isdigit()
    if status == 409:
        assert content_type == "application/problem+json"
    if status >= 400 and op_id != "createToken" and status != 409:
        assert body["request_id"] == request_id
    if op_id == "createToken" and status == 200:
        assert response.headers["cache-control"] == "no-store"
    if op_id == "createToken" and status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")
    if op_id != "createToken" and status == 401:
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
    if "idempotent-replayed" in response.headers:
        assert response.headers["idempotent-replayed"] == "true"
        assert 200 <= status < 300 or status == 422
    # audit fields: what a request creates (or reads live) carries its caller and Request-Id
    if 200 <= status < 300 and isinstance(body, dict) and "actor" in body:
        assert RFC3339_MS.match(body["timestamp"])
        fresh = method == "POST" and "idempotent-replayed" not in response.headers
        if fresh or op_id in ("getAccount", "getBalance"):
            assert body["request_id"] == request_id
            assert body["actor"] == "demo-client"
    return op_id, status


@pytest.fixture
def recorded(raw_http: httpx2.Client) -> Iterator[tuple[httpx2.Client, list[httpx2.Response]]]:
    responses: list[httpx2.Response] = []

    def keep(response: httpx2.Response) -> None:
        response.read()
        responses.append(response)

    raw_http.event_hooks["response"] = [keep]
    yield raw_http, responses


def scenario(http: httpx2.Client, sandbox: Sandbox) -> None:
    """Every operation, its success and its documented errors."""
    # createToken: 200, 400s, 401, 429, 503
    token = get_token(http)
    http.post("/token", data={"grant_type": "password"}, auth=basic_auth())
    http.post(
        "/token", data={"grant_type": "client_credentials", "scope": "nope"}, auth=basic_auth()
    )
    http.post("/token", data={}, auth=basic_auth())
    http.post("/token", data={"grant_type": "client_credentials"}, auth=basic_auth(secret="bad"))
    sandbox.faults.fail_next("createToken", status=429, retry_after=0)
    http.post("/token", data={"grant_type": "client_credentials"}, auth=basic_auth())
    sandbox.faults.fail_next("createToken", status=503, retry_after=0)
    http.post("/token", data={"grant_type": "client_credentials"}, auth=basic_auth())
    reader = get_token(http, client_id=DEMO_READONLY_CLIENT_ID, secret=DEMO_READONLY_CLIENT_SECRET)
    http.headers["Authorization"] = f"Bearer {token}"
    as_reader = {"Authorization": f"Bearer {reader}"}

    # reads, with paging and errors
    first = http.get("/accounts", params={"limit": 2}).json()
    http.get("/accounts", params={"limit": 2, "cursor": first["next_cursor"]})
    http.get("/accounts", params={"limit": 0})
    http.get("/accounts", headers={"Authorization": "Bearer expired"})
    http.get(f"/accounts/{ACCOUNT_OPERATING}")
    http.get("/accounts/acc_missing")
    http.get(f"/balances/{ACCOUNT_OPERATING}")
    http.get("/balances/acc_missing")
    http.get(
        f"/balances/{ACCOUNT_OPERATING}",
        headers={"Authorization": f"Bearer {get_token(http, scope='accounts.read')}"},
    )
    page = http.get("/transactions", params={"account_id": ACCOUNT_OPERATING}).json()
    http.get(
        "/transactions", params={"account_id": ACCOUNT_OPERATING, "cursor": page["next_cursor"]}
    )
    http.get(
        "/transactions",
        params={
            "account_id": ACCOUNT_OPERATING,
            "from_date": "2026-11-01",
            "to_date": "2026-11-10",
        },
    )
    http.get("/transactions", params={"from_date": "nope"})
    http.get("/transactions", params={"account_id": "acc_missing"})
    http.get("/positivepay/exceptions")
    http.get("/positivepay/exceptions", params={"account_id": ACCOUNT_OPERATING, "limit": 1})
    http.get("/positivepay/exceptions", headers=as_reader)
    for fault in (500, 502, 504):
        sandbox.faults.fail_next("listAccounts", status=fault)
        http.get("/accounts")

    # transactional: success, replay, 400s, 403, 404, 409, 422s, 429/503
    def post(
        path: str, body: Any, key: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        return http.post(
            path, json=body, headers={"Idempotency-Key": key or new_key(), **(headers or {})}
        )

    for path, body in (
        ("/payments/ach", ach_body()),
        ("/payments/wire", wire_body()),
        ("/transfers", transfer_body()),
        ("/positivepay/issues", issue_body()),
    ):
        key = new_key()
        post(path, body, key)
        post(path, body, key)  # replay
        post(path, {**body, "amount": "3.00"}, key)  # 422 ERR_IDEM_002
        post(path, {**body, "amount": 3})  # 400
        post(path, body, headers=as_reader)  # 403
        http.post(path, json=body)  # 400 ERR_IDEM_001
        sandbox.faults.fail_next("*", status=503, retry_after=1)
        post(path, body)
        sandbox.faults.fail_next("*", status=429, retry_after=1)
        post(path, body)
    post("/payments/ach", ach_body(source_account_id="acc_missing"))
    post(
        "/transfers", transfer_body(source_account_id=ACCOUNT_PETTY_CASH, amount="100000.00")
    )  # ERR_FUNDS_001
    recipient = dict(ach_body()["recipient_details"], account_number=ACH_RETURN_R01_ACCOUNT_NUMBER)
    failing = post("/payments/ach", ach_body(recipient_details=recipient)).json()
    post(
        "/payments/wire",
        wire_body(
            beneficiary={"name": "X", "account_number": "999999999", "routing_number": "123456780"}
        ),
    )

    # 409 in flight: a slow first request and a concurrent duplicate
    import threading

    sandbox.faults.add_latency("createAchPayment", seconds=0.3, times=1)
    key = new_key()
    worker = threading.Thread(target=post, args=("/payments/ach", ach_body(amount="9.99"), key))
    worker.start()
    deadline = __import__("time").monotonic() + 2
    while not sandbox.in_flight_keys():
        assert __import__("time").monotonic() < deadline
    post("/payments/ach", ach_body(amount="9.99"), key)
    worker.join()

    # NACHA upload
    data = build_ach_file([NachaEntry("123456780", "000111222", Decimal("12.00"), "ALICE")])
    upload_key = new_key()
    for _ in range(2):
        http.post(
            "/payments/ach/files",
            files={"file": ("f.ach", data)},
            headers={"Idempotency-Key": upload_key},
        )
    http.post(
        "/payments/ach/files",
        files={"file": ("f.ach", b"garbage")},
        headers={"Idempotency-Key": new_key()},
    )
    http.post(
        "/payments/ach/files",
        files={"file": ("f.ach", data)},
        data={"source_account_id": "acc_missing"},
        headers={"Idempotency-Key": new_key()},
    )

    # payments reads after settlement
    sandbox.advance(minutes=15)
    http.get(f"/payments/{failing['id']}")
    http.get(f"/payments/{uuid.uuid4()}")
    listed = http.get("/payments", params={"limit": 3}).json()
    http.get("/payments", params={"limit": 3, "cursor": listed["next_cursor"]})
    http.get("/payments", params={"status": "P_FAILED", "account_id": ACCOUNT_OPERATING})
    http.get("/payments", params={"limit": "abc"})
    sandbox.expire_tokens()
    http.get("/payments")


def test_every_response_matches_the_spec(
    recorded: tuple[httpx2.Client, list[httpx2.Response]], sandbox: Sandbox
) -> None:
    http, responses = recorded
    scenario(http, sandbox)
    seen = [check_response(response) for response in responses]
    operations = {op_id for op_id, _ in seen}
    assert operations == {op_id for _, _, op_id, _ in OPERATIONS}
    statuses = {status for _, status in seen}
    assert {200, 201, 202, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504} <= statuses
    assert any(r.headers.get("idempotent-replayed") == "true" for r in responses)
    # the webhook events too
    assert sandbox.webhook_outbox
    for delivery in sandbox.webhook_outbox:
        validate(delivery.json(), SPEC["components"]["schemas"]["WebhookEvent"])


def test_the_contract_check_can_fail() -> None:
    """The checker rejects a response that breaks the spec (no tautology)."""
    request = httpx2.Request("GET", "http://sandbox.qbank.local/v1/balances/acc_operating")
    good = {
        "account_id": "acc_operating",
        "currency": "USD",
        "available": "1.00",
        "ledger": "1.00",
        "as_of": "2026-11-21T10:15:30.123Z",
        "timestamp": "2026-11-21T10:15:30.123Z",
        "actor": "demo-client",
        "request_id": str(uuid.uuid4()),
    }
    headers = {"Request-Id": good["request_id"]}
    assert check_response(httpx2.Response(200, json=good, headers=headers, request=request)) == (
        "getBalance",
        200,
    )
    for broken in (
        {**good, "available": 1.0},
        {**good, "as_of": "2026-11-21T10:15:30Z"},
        {k: v for k, v in good.items() if k != "ledger"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            check_response(httpx2.Response(200, json=broken, headers=headers, request=request))
    with pytest.raises(AssertionError):
        check_response(httpx2.Response(200, json=good, request=request))  # no Request-Id
    with pytest.raises(AssertionError):
        check_response(httpx2.Response(204, json=good, headers=headers, request=request))
