"""The FastAPI and Django receivers in examples/, driven through their frameworks' test clients."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from qbank_connect.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, sign, signed_headers

from .webhook_samples import SECRET, event_body, hmac_hex

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URL = "/webhooks/qbank"
ATTACKER = "whsec_attacker_guess"

pytestmark = pytest.mark.filterwarnings(
    "ignore:Using `httpx2` with `starlette.testclient` is deprecated"
)


def load_example(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Django resolves ROOT_URLCONF by module name
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QBANK_WEBHOOK_SECRET", SECRET)
        spec.loader.exec_module(module)
    return module


def delivery(event_id: str, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    body = event_body(event_id=event_id, **kwargs)
    return body, signed_headers(body, SECRET, timestamp=int(time.time()))


def bad_deliveries(event_id: str) -> dict[str, tuple[bytes, Any, str]]:
    """label -> (body, headers, expected reason); none of them may be handled."""
    now = int(time.time())
    body = event_body(event_id=event_id)
    good = signed_headers(body, SECRET, "whd_bad", now)
    other_sig = sign(body, ATTACKER, "whd_bad", now)
    not_event = b'{"id": "' + event_id.encode() + b'", "type": "paymentStatusUpdate"}'
    return {
        "forged": (body, signed_headers(body, ATTACKER, timestamp=now), "no_matching_signature"),
        "tampered": (body.replace(b"1250.00", b"9999.00"), good, "no_matching_signature"),
        "failed-to-completed": (
            body,
            signed_headers(event_body(event_id, "P_FAILED"), SECRET),
            "no_matching_signature",
        ),
        "stale": (
            body,
            signed_headers(body, SECRET, timestamp=now - 301),
            "timestamp_outside_tolerance",
        ),
        "future": (
            body,
            signed_headers(body, SECRET, timestamp=now + 301),
            "timestamp_outside_tolerance",
        ),
        "missing signature": (body, {EVENT_ID_HEADER: "whd_bad"}, "missing_header"),
        "missing event id": (body, {SIGNATURE_HEADER: good[SIGNATURE_HEADER]}, "missing_header"),
        "malformed": (
            body,
            {**good, SIGNATURE_HEADER: f"t=soon,v1={'0' * 64}"},
            "malformed_header",
        ),
        # What a proxy or WSGI server makes of two Webhook-Signature headers.
        "folded duplicate": (
            body,
            {**good, SIGNATURE_HEADER: f"{other_sig},{good[SIGNATURE_HEADER]}"},
            "malformed_header",
        ),
        "not an event": (
            not_event,
            signed_headers(not_event, SECRET, timestamp=now),
            "invalid_event",
        ),
    }


# ---------------------------------------------------------------- FastAPI


@pytest.fixture(scope="module")
def fastapi_example() -> ModuleType:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx2")
    return load_example("webhooks_fastapi")


@pytest.fixture
def fastapi_client(fastapi_example: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    monkeypatch.setenv("QBANK_WEBHOOK_SECRET", SECRET)
    fastapi_example.handled.clear()
    with TestClient(fastapi_example.app) as client:
        yield client


def handled_ids(module: ModuleType) -> list[str]:
    return [event.id for event in module.handled]


def test_fastapi_valid_delivery(fastapi_example: ModuleType, fastapi_client: Any) -> None:
    body, headers = delivery("evt_fastapi_ok")
    response = fastapi_client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    assert handled_ids(fastapi_example) == ["evt_fastapi_ok"]
    assert fastapi_example.handled[0].payment.is_completed


def test_fastapi_non_ascii_body_and_lowercase_headers(
    fastapi_example: ModuleType, fastapi_client: Any
) -> None:
    body, headers = delivery("evt_fastapi_utf8", memo="Caf\u00e9 \u2603 \u4ed8\u6b3e")
    response = fastapi_client.post(
        URL, content=body, headers={k.lower(): v for k, v in headers.items()}
    )
    assert response.status_code == 200
    assert fastapi_example.handled[0].payment.memo == "Caf\u00e9 \u2603 \u4ed8\u6b3e"


@pytest.mark.parametrize("label", list(bad_deliveries("x")))
def test_fastapi_rejects(label: str, fastapi_example: ModuleType, fastapi_client: Any) -> None:
    body, headers, reason = bad_deliveries("evt_fastapi_bad")[label]
    response = fastapi_client.post(URL, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"error": reason}
    assert SECRET not in response.text
    assert fastapi_example.handled == []


def test_fastapi_rejects_duplicated_headers(
    fastapi_example: ModuleType, fastapi_client: Any
) -> None:
    body, headers = delivery("evt_fastapi_dup")
    forged = sign(body, ATTACKER, headers[EVENT_ID_HEADER])
    for pairs in (
        [
            (EVENT_ID_HEADER, headers[EVENT_ID_HEADER]),
            (SIGNATURE_HEADER, forged),
            (SIGNATURE_HEADER, headers[SIGNATURE_HEADER]),
        ],
        [
            (SIGNATURE_HEADER, headers[SIGNATURE_HEADER]),
            (EVENT_ID_HEADER, "whd_other"),
            (EVENT_ID_HEADER, headers[EVENT_ID_HEADER]),
        ],
        [*headers.items(), ("webhook-signature", headers[SIGNATURE_HEADER])],
    ):
        response = fastapi_client.post(URL, content=body, headers=pairs)
        assert response.status_code == 400
        assert response.json() == {"error": "malformed_header"}
    assert fastapi_example.handled == []


def test_fastapi_redelivery_is_acknowledged_and_handled_once(
    fastapi_example: ModuleType, fastapi_client: Any
) -> None:
    body = event_body(event_id="evt_fastapi_redelivered")
    for attempt in range(3):
        headers = signed_headers(body, SECRET, f"whd_attempt_{attempt}", int(time.time()))
        response = fastapi_client.post(URL, content=body, headers=headers)
        assert response.status_code == 200
    assert handled_ids(fastapi_example) == ["evt_fastapi_redelivered"]


def test_fastapi_replayed_delivery_after_tolerance_is_rejected(
    fastapi_example: ModuleType, fastapi_client: Any
) -> None:
    body = event_body(event_id="evt_fastapi_replay")
    old = int(time.time()) - 3600
    # An attacker replays a captured delivery an hour later.
    headers = signed_headers(body, SECRET, "whd_captured", old)
    response = fastapi_client.post(URL, content=body, headers=headers)
    assert response.status_code == 400
    assert fastapi_example.handled == []


# ---------------------------------------------------------------- Django


@pytest.fixture(scope="module")
def django_example() -> ModuleType:
    pytest.importorskip("django")
    return load_example("webhooks_django")


@pytest.fixture
def django_client(django_example: ModuleType) -> Any:
    from django.test import Client

    django_example.handled.clear()
    django_example.dedup.clear()
    return Client()


def django_post(client: Any, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_django_valid_delivery(django_example: ModuleType, django_client: Any) -> None:
    body, headers = delivery("evt_django_ok")
    response = django_post(django_client, body, headers)
    assert response.status_code == 200
    assert handled_ids(django_example) == ["evt_django_ok"]


def test_django_non_ascii_body_and_header_casing(
    django_example: ModuleType, django_client: Any
) -> None:
    body, headers = delivery("evt_django_utf8", memo="\u00dcberweisung \u20ac \U0001f4b8")
    response = django_post(django_client, body, {k.upper(): v for k, v in headers.items()})
    assert response.status_code == 200
    assert django_example.handled[0].payment.memo == "\u00dcberweisung \u20ac \U0001f4b8"


@pytest.mark.parametrize("label", list(bad_deliveries("x")))
def test_django_rejects(label: str, django_example: ModuleType, django_client: Any) -> None:
    body, headers, reason = bad_deliveries("evt_django_bad")[label]
    response = django_post(django_client, body, headers)
    assert response.status_code == 400
    assert response.json() == {"error": reason}
    assert SECRET.encode() not in response.content
    assert django_example.handled == []


def test_django_rejects_folded_event_ids(django_example: ModuleType, django_client: Any) -> None:
    body, headers = delivery("evt_django_dup")
    headers[EVENT_ID_HEADER] = f"whd_other,{headers[EVENT_ID_HEADER]}"
    response = django_post(django_client, body, headers)
    assert response.status_code == 400
    assert django_example.handled == []


def test_django_redelivery_is_acknowledged_and_handled_once(
    django_example: ModuleType, django_client: Any
) -> None:
    body = event_body(event_id="evt_django_redelivered", status="P_FAILED")
    for attempt in range(3):
        headers = signed_headers(body, SECRET, f"whd_attempt_{attempt}", int(time.time()))
        assert django_post(django_client, body, headers).status_code == 200
    assert handled_ids(django_example) == ["evt_django_redelivered"]
    assert django_example.handled[0].payment.is_failed


def test_django_only_post(django_example: ModuleType, django_client: Any) -> None:
    assert django_client.get(URL).status_code == 405


def test_django_csrf_does_not_block_deliveries(django_example: ModuleType) -> None:
    from django.test import Client

    django_example.handled.clear()
    django_example.dedup.clear()
    body, headers = delivery("evt_django_csrf")
    response = Client(enforce_csrf_checks=True).post(
        URL, data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 200


def test_independent_signature_matches_what_the_examples_accept() -> None:
    # The examples accept exactly the documented scheme, not just whatever sign() does.
    body = event_body(event_id="evt_scheme")
    now = int(time.time())
    digest = hmac_hex(SECRET, now, "whd_scheme", body)
    assert sign(body, SECRET, "whd_scheme", now) == f"t={now},v1={digest}"
