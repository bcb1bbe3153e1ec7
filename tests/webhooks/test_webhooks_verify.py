"""Verification, header parsing, timestamps, parsing and secrecy of qbank_connect.webhooks."""

from __future__ import annotations

import email.message
import json
import time
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2
import pytest
from starlette.datastructures import Headers as StarletteHeaders

from qbank_connect.errors import QBankError, QBankWebhookVerificationError
from qbank_connect.models import Payment, PaymentStatus, WebhookEvent
from qbank_connect.webhooks import (
    DEFAULT_TOLERANCE,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WebhookInvalidEventError,
    WebhookMalformedHeaderError,
    WebhookMissingHeaderError,
    Webhooks,
    WebhookSignatureError,
    WebhookTimestampError,
    sign,
    signed_headers,
    unwrap,
    verify,
)

from .webhook_samples import (
    EVENT_ID,
    NOW,
    OLD_SECRET,
    OTHER_SECRET,
    PAYMENT_ID,
    SECRET,
    event_body,
    headers_for,
    hmac_hex,
)

BODY = event_body()
DELIVERY = "whd_0001"


def sig_header(*entries: str) -> str:
    return ",".join(entries)


def v1(
    secret: str = SECRET, *, t: int | str = NOW, delivery: str = DELIVERY, body: bytes = BODY
) -> str:
    return "v1=" + hmac_hex(secret, t, delivery, body)


def reason_of(payload: Any, headers: Any, secret: Any = SECRET, **kw: Any) -> str:
    kw.setdefault("now", NOW)
    with pytest.raises(QBankWebhookVerificationError) as info:
        unwrap(payload, headers, secret, **kw)
    return info.value.reason


# ---------------------------------------------------------------- known answers


def test_known_answer_vector_literal() -> None:
    # Computed once with the hmac module; pins the scheme against accidental change.
    body = b'{"id":"evt_kat"}'
    expected = "fec711d5a6f72b01b343132821af336c98edba18f98d779eb7b953b18d1e5827"
    assert hmac_hex("whsec_kat_secret", 1763720130, "whd_kat_0001", body) == expected
    assert (
        sign(body, "whsec_kat_secret", "whd_kat_0001", 1763720130) == f"t=1763720130,v1={expected}"
    )
    headers = {EVENT_ID_HEADER: "whd_kat_0001", SIGNATURE_HEADER: f"t=1763720130,v1={expected}"}
    verify(body, headers, "whsec_kat_secret", now=1763720130)


def test_known_answer_vector_non_ascii_secret_and_body() -> None:
    secret = "s\u00e9cr\u00e9t-\u2603"
    body_text = '{"memo":"caf\u00e9 \u2603"}'
    expected = "9548b806f4e6fcd9ec5fa3b3214f3de6d3349f0cf9019dc5f9fd1659dcb0e49e"
    assert hmac_hex(secret, 1763720130, "whd_kat_0002", body_text.encode()) == expected
    assert sign(body_text, secret, "whd_kat_0002", 1763720130) == f"t=1763720130,v1={expected}"
    assert sign(body_text.encode(), secret, "whd_kat_0002", 1763720130).endswith(expected)


def test_valid_delivery_unwraps_to_typed_event() -> None:
    event = unwrap(BODY, headers_for(BODY), SECRET, now=NOW)
    assert isinstance(event, WebhookEvent)
    assert event.id == EVENT_ID
    assert isinstance(event.payment, Payment)
    assert event.payment.id == PAYMENT_ID
    assert event.payment.status == PaymentStatus.P_COMPLETED
    assert event.payment.is_completed
    assert verify(BODY, headers_for(BODY), SECRET, now=NOW) is None


def test_sign_matches_independent_hmac_and_format() -> None:
    header = sign(BODY, SECRET, DELIVERY, NOW)
    assert header == f"t={NOW},v1={hmac_hex(SECRET, NOW, DELIVERY, BODY)}"
    # With rotation, one v1 per secret in order.
    both = sign(BODY, [SECRET, OLD_SECRET], DELIVERY, NOW)
    assert both == f"t={NOW},{v1(SECRET)},{v1(OLD_SECRET)}"


def test_sign_default_timestamp_is_now() -> None:
    before = int(time.time())
    header = sign(BODY, SECRET, DELIVERY)
    t = int(header.split(",")[0].removeprefix("t="))
    assert before <= t <= int(time.time())
    verify(BODY, {EVENT_ID_HEADER: DELIVERY, SIGNATURE_HEADER: header}, SECRET)


def test_signed_headers() -> None:
    headers = signed_headers(BODY, SECRET, timestamp=NOW)
    assert set(headers) == {EVENT_ID_HEADER, SIGNATURE_HEADER}
    assert headers[EVENT_ID_HEADER]
    assert headers != signed_headers(BODY, SECRET, timestamp=NOW)  # a fresh id each time
    assert unwrap(BODY, headers, SECRET, now=NOW).id == EVENT_ID
    fixed = signed_headers(BODY, SECRET, "whd_fixed", NOW)
    assert fixed == {
        EVENT_ID_HEADER: "whd_fixed",
        SIGNATURE_HEADER: sign(BODY, SECRET, "whd_fixed", NOW),
    }


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"event_id": ""}, ValueError),
        ({"event_id": "has space"}, ValueError),
        ({"event_id": "caf\u00e9"}, ValueError),
        ({"event_id": 5}, TypeError),
        ({"timestamp": -1}, ValueError),
        ({"timestamp": 1.5}, TypeError),
        ({"timestamp": True}, TypeError),
        ({"secret": ""}, ValueError),
        ({"secret": []}, ValueError),
        ({"secret": b"bytes"}, TypeError),
        ({"payload": "\ud800"}, ValueError),
    ],
)
def test_sign_rejects_bad_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    args: dict[str, Any] = {
        "payload": BODY,
        "secret": SECRET,
        "event_id": DELIVERY,
        "timestamp": NOW,
    }
    args.update(kwargs)
    with pytest.raises(error):
        sign(**args)


# ---------------------------------------------------------------- tampering


def test_tampered_body() -> None:
    headers = headers_for(BODY)
    assert reason_of(BODY.replace(b"1250.00", b"9250.00"), headers) == "no_matching_signature"
    assert reason_of(BODY + b" ", headers) == "no_matching_signature"
    assert reason_of(BODY.replace(b"P_COMPLETED", b"P_FAILED"), headers) == "no_matching_signature"


def test_tampered_event_id() -> None:
    headers = headers_for(BODY)
    headers[EVENT_ID_HEADER] = "whd_0002"
    assert reason_of(BODY, headers) == "no_matching_signature"


def test_tampered_timestamp() -> None:
    headers = headers_for(BODY)
    headers[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER].replace(f"t={NOW}", f"t={NOW + 1}")
    assert reason_of(BODY, headers) == "no_matching_signature"
    # Leading zeros change the signed bytes too.
    headers[SIGNATURE_HEADER] = headers_for(BODY)[SIGNATURE_HEADER].replace(f"t={NOW}", f"t=0{NOW}")
    assert reason_of(BODY, headers) == "no_matching_signature"


def test_tampered_signature() -> None:
    headers = headers_for(BODY)
    sig = headers[SIGNATURE_HEADER]
    last = sig[-1]
    headers[SIGNATURE_HEADER] = sig[:-1] + ("0" if last != "0" else "1")
    assert reason_of(BODY, headers) == "no_matching_signature"


def test_wrong_secret() -> None:
    assert reason_of(BODY, headers_for(BODY, secret=OTHER_SECRET)) == "no_matching_signature"
    with pytest.raises(WebhookSignatureError):
        verify(BODY, headers_for(BODY), OTHER_SECRET, now=NOW)


def test_signature_is_not_reusable_for_another_delivery_split() -> None:
    # Moving bytes between the event id and the body must not verify.
    headers = headers_for(BODY, delivery_id="whd_1")
    headers[EVENT_ID_HEADER] = "whd_1." + BODY[:1].decode()
    assert reason_of(BODY[1:], headers) == "no_matching_signature"


# ---------------------------------------------------------------- rotation and several v1


def test_rotated_secrets_either_works() -> None:
    for signing_secret in (SECRET, OLD_SECRET):
        headers = headers_for(BODY, secret=signing_secret)
        assert unwrap(BODY, headers, [SECRET, OLD_SECRET], now=NOW).id == EVENT_ID
        assert unwrap(BODY, headers, (OLD_SECRET, SECRET), now=NOW).id == EVENT_ID
    assert reason_of(BODY, headers_for(BODY, secret=OTHER_SECRET), [SECRET, OLD_SECRET]) == (
        "no_matching_signature"
    )


def test_header_with_signatures_for_both_secrets() -> None:
    headers = {
        EVENT_ID_HEADER: DELIVERY,
        SIGNATURE_HEADER: sig_header(f"t={NOW}", v1(OLD_SECRET), v1(SECRET)),
    }
    for configured in (SECRET, OLD_SECRET, [OTHER_SECRET, SECRET]):
        verify(BODY, headers, configured, now=NOW)
    assert reason_of(BODY, headers, OTHER_SECRET) == "no_matching_signature"


@pytest.mark.parametrize("position", [0, 1, 2])
def test_several_v1_any_one_matching(position: int) -> None:
    bogus = ["v1=" + "0" * 64, "v1=" + "ab" * 32]
    entries = [*bogus]
    entries.insert(position, v1())
    headers = {EVENT_ID_HEADER: DELIVERY, SIGNATURE_HEADER: sig_header(f"t={NOW}", *entries)}
    verify(BODY, headers, SECRET, now=NOW)


def test_entry_order_and_t_position_do_not_matter() -> None:
    headers = {EVENT_ID_HEADER: DELIVERY, SIGNATURE_HEADER: sig_header(v1(), f"t={NOW}")}
    verify(BODY, headers, SECRET, now=NOW)


def test_uppercase_hex_is_accepted() -> None:
    headers = {
        EVENT_ID_HEADER: DELIVERY,
        SIGNATURE_HEADER: sig_header(f"t={NOW}", v1().upper().replace("V1=", "v1=")),
    }
    verify(BODY, headers, SECRET, now=NOW)


def test_v0_only_is_malformed_but_unknown_schemes_are_ignored() -> None:
    v0 = "v0=" + hmac_hex(SECRET, NOW, DELIVERY, BODY)
    only_v0 = {EVENT_ID_HEADER: DELIVERY, SIGNATURE_HEADER: sig_header(f"t={NOW}", v0)}
    assert reason_of(BODY, only_v0) == "malformed_header"
    mixed = {
        EVENT_ID_HEADER: DELIVERY,
        SIGNATURE_HEADER: sig_header(f"t={NOW}", "v0=zz!", v1(), "v2=future"),
    }
    verify(BODY, mixed, SECRET, now=NOW)


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize("offset", [0, 1, -1, 299, -299, 300, -300])
def test_timestamp_inside_tolerance(offset: int) -> None:
    headers = headers_for(BODY, timestamp=NOW + offset)
    verify(BODY, headers, SECRET, now=NOW)
    verify(BODY, headers, SECRET, now=datetime.fromtimestamp(NOW, timezone.utc))


@pytest.mark.parametrize("offset", [301, -301, 86_400, -86_400, -NOW])
def test_timestamp_outside_tolerance(offset: int) -> None:
    headers = headers_for(BODY, timestamp=NOW + offset)
    with pytest.raises(WebhookTimestampError) as info:
        unwrap(BODY, headers, SECRET, now=NOW)
    assert info.value.reason == "timestamp_outside_tolerance"
    assert reason_of(BODY, headers, now=datetime.fromtimestamp(NOW, timezone.utc)) == (
        "timestamp_outside_tolerance"
    )


def test_fractional_now_just_outside() -> None:
    headers = headers_for(BODY, timestamp=NOW)
    verify(BODY, headers, SECRET, now=NOW + 300.0)
    assert reason_of(BODY, headers, now=NOW + 300.001) == "timestamp_outside_tolerance"
    assert reason_of(BODY, headers, now=NOW - 300.001) == "timestamp_outside_tolerance"


def test_now_as_datetime_in_other_timezones() -> None:
    headers = headers_for(BODY, timestamp=NOW)
    tz = timezone(timedelta(hours=-5))
    received = datetime.fromtimestamp(NOW + 300, tz)
    verify(BODY, headers, SECRET, now=received)
    assert (
        reason_of(BODY, headers, now=received + timedelta(seconds=1))
        == "timestamp_outside_tolerance"
    )
    assert reason_of(BODY, headers, now=datetime.fromtimestamp(NOW - 301, tz)) == (
        "timestamp_outside_tolerance"
    )


def test_now_default_is_current_time() -> None:
    fresh = headers_for(BODY, timestamp=int(time.time()))
    verify(BODY, fresh, SECRET)
    stale = headers_for(BODY, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookTimestampError):
        verify(BODY, stale, SECRET)


def test_custom_tolerance() -> None:
    headers = headers_for(BODY, timestamp=NOW - 10)
    assert reason_of(BODY, headers, tolerance=5) == "timestamp_outside_tolerance"
    verify(BODY, headers, SECRET, now=NOW, tolerance=10)
    verify(BODY, headers, SECRET, now=NOW, tolerance=timedelta(seconds=10))
    assert DEFAULT_TOLERANCE == 300


def test_signature_is_checked_before_timestamp() -> None:
    # A forged and stale delivery is reported as forged.
    assert reason_of(BODY, headers_for(BODY, secret=OTHER_SECRET, timestamp=NOW - 9999)) == (
        "no_matching_signature"
    )


@pytest.mark.parametrize(
    ("now", "error"),
    [
        (datetime(2025, 11, 21, 10, 0, 0), ValueError),  # naive
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (True, TypeError),
        ("1763720130", TypeError),
    ],
)
def test_bad_now_is_a_programming_error(now: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify(BODY, headers_for(BODY), SECRET, now=now)


@pytest.mark.parametrize(
    ("tolerance", "error"), [(-1, ValueError), (float("nan"), ValueError), (None, TypeError)]
)
def test_bad_tolerance_is_a_programming_error(tolerance: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify(BODY, headers_for(BODY), SECRET, now=NOW, tolerance=tolerance)


# ---------------------------------------------------------------- headers


def test_missing_headers() -> None:
    good = headers_for(BODY)
    no_sig = {EVENT_ID_HEADER: good[EVENT_ID_HEADER]}
    no_id = {SIGNATURE_HEADER: good[SIGNATURE_HEADER]}
    for headers in (no_sig, no_id, {}, [], {"Content-Type": "application/json"}):
        with pytest.raises(WebhookMissingHeaderError) as info:
            unwrap(BODY, headers, SECRET, now=NOW)
        assert info.value.reason == "missing_header"
    with pytest.raises(WebhookMissingHeaderError, match="Webhook-Signature"):
        verify(BODY, no_sig, SECRET, now=NOW)
    with pytest.raises(WebhookMissingHeaderError, match="Webhook-Event-ID"):
        verify(BODY, no_id, SECRET, now=NOW)
    assert reason_of(BODY, {**good, SIGNATURE_HEADER: ""}) == "missing_header"
    assert reason_of(BODY, {**good, EVENT_ID_HEADER: "  "}) == "missing_header"


@pytest.mark.parametrize(
    "case",
    [
        lambda n: n,
        str.lower,
        str.upper,
        lambda n: n.swapcase(),
        lambda n: "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(n)),
    ],
)
def test_header_name_casing(case: Any) -> None:
    good = headers_for(BODY)
    headers = {case(k): v for k, v in good.items()}
    assert unwrap(BODY, headers, SECRET, now=NOW).id == EVENT_ID
    assert unwrap(BODY, list(headers.items()), SECRET, now=NOW).id == EVENT_ID


def test_many_header_types() -> None:
    good = headers_for(BODY)
    pairs = [("Content-Type", "application/json"), *good.items(), ("X-Other", "1")]
    message = email.message.Message()  # what http.server's BaseHTTPRequestHandler gives
    for name, value in pairs:
        message[name] = value
    django_style = pytest.importorskip("django.http.request").HttpHeaders(
        {
            "HTTP_WEBHOOK_EVENT_ID": good[EVENT_ID_HEADER],
            "HTTP_WEBHOOK_SIGNATURE": good[SIGNATURE_HEADER],
        }
    )
    for headers in (
        good,
        pairs,
        tuple(pairs),
        iter(pairs),
        httpx2.Headers(pairs),
        StarletteHeaders(headers=dict(pairs)),
        [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs],  # raw ASGI
        message,
        django_style,
    ):
        assert unwrap(BODY, headers, SECRET, now=NOW).id == EVENT_ID, type(headers)


def test_surrounding_whitespace_in_values_is_tolerated() -> None:
    good = headers_for(BODY)
    headers = {
        EVENT_ID_HEADER: f" {good[EVENT_ID_HEADER]}\t",
        SIGNATURE_HEADER: " " + good[SIGNATURE_HEADER].replace(",", ", "),
    }
    verify(BODY, headers, SECRET, now=NOW)


def _duplicate_variants() -> list[tuple[str, Any]]:
    good = headers_for(BODY)
    sig, did = good[SIGNATURE_HEADER], good[EVENT_ID_HEADER]
    other_sig = f"t={NOW},{v1(OTHER_SECRET)}"
    pairs_sig = [(EVENT_ID_HEADER, did), (SIGNATURE_HEADER, other_sig), (SIGNATURE_HEADER, sig)]
    pairs_id = [(EVENT_ID_HEADER, "whd_9999"), (EVENT_ID_HEADER, did), (SIGNATURE_HEADER, sig)]
    raw_asgi = [(k.lower().encode(), v.encode()) for k, v in pairs_sig]
    scope = {"type": "http", "headers": raw_asgi}
    return [
        ("pairs: two signatures", pairs_sig),
        ("pairs: two signatures, identical", [*good.items(), (SIGNATURE_HEADER, sig)]),
        ("pairs: two event ids", pairs_id),
        ("pairs: different casing", [*good.items(), ("webhook-signature", sig)]),
        ("dict: two casings", {**good, "WEBHOOK-SIGNATURE": sig}),
        ("dict: two casings of id", {**good, "webhook-event-id": did}),
        ("httpx2 multi", httpx2.Headers(pairs_sig)),
        ("httpx2 multi ids", httpx2.Headers(pairs_id)),
        ("starlette multi", StarletteHeaders(scope=scope)),
        ("raw asgi", raw_asgi),
        # A proxy or WSGI server folding two headers into one comma-joined value.
        ("folded signature", {EVENT_ID_HEADER: did, SIGNATURE_HEADER: f"{other_sig},{sig}"}),
        (
            "folded signature with space",
            {EVENT_ID_HEADER: did, SIGNATURE_HEADER: f"{sig}, {other_sig}"},
        ),
    ]


@pytest.mark.parametrize(
    ("label", "headers"), _duplicate_variants(), ids=[v[0] for v in _duplicate_variants()]
)
def test_duplicated_headers_are_malformed(label: str, headers: Any) -> None:
    with pytest.raises(WebhookMalformedHeaderError) as info:
        unwrap(BODY, headers, SECRET, now=NOW)
    assert info.value.reason == "malformed_header"


def test_folded_event_id_cannot_verify() -> None:
    good = headers_for(BODY)
    # WSGI folds two Webhook-Event-ID headers into "a,b": it was never signed.
    headers = {**good, EVENT_ID_HEADER: f"whd_9999,{good[EVENT_ID_HEADER]}"}
    assert reason_of(BODY, headers) == "no_matching_signature"


_SIG = hmac_hex(SECRET, NOW, DELIVERY, BODY)


@pytest.mark.parametrize(
    "value",
    [
        f"v1={_SIG}",  # no t=
        f"t=,v1={_SIG}",
        f"t=abc,v1={_SIG}",
        f"t=1763720130.5,v1={_SIG}",
        f"t=-1763720130,v1={_SIG}",
        f"t=+1763720130,v1={_SIG}",
        f"t=1_763_720_130,v1={_SIG}",
        f"t=\u0661\u0667\u0666\u0663,v1={_SIG}",  # Arabic-Indic digits, which int() accepts
        f"t=1e9,v1={_SIG}",
        f"t={'9' * 40},v1={_SIG}",
        f"t={NOW}",  # no v1
        f"t={NOW},v1=",  # empty v1
        f"t={NOW},v1={'g' * 64}",  # not hex
        f"t={NOW},v1={_SIG[:-1]}",  # too short
        f"t={NOW},v1={_SIG}0",  # too long
        f"t={NOW},v1={_SIG},v1=xyz",  # one bad v1 spoils the header
        f"t={NOW},v1= {_SIG[1:]}",
        f"t={NOW};v1={_SIG}",
        f"t={NOW},,v1={_SIG}",
        f"t={NOW},v1={_SIG},",
        f"t={NOW},={_SIG}",
        f"t={NOW},v1",
        f"T={NOW},v1={_SIG}",
        f"t={NOW},v1={_SIG[:-1]}\u00e9",
        f"t={NOW}," + ",".join(["v1=" + "0" * 64] * 40),  # too many signatures
        f"t={NOW},v1={_SIG}," + "x" * 5000,  # huge header
    ],
)
def test_malformed_signature_header(value: str) -> None:
    headers = {EVENT_ID_HEADER: DELIVERY, SIGNATURE_HEADER: value}
    with pytest.raises(WebhookMalformedHeaderError) as info:
        unwrap(BODY, headers, SECRET, now=NOW)
    assert info.value.reason == "malformed_header"


@pytest.mark.parametrize(
    "value",
    [
        "whd 0001",
        "whd_\u00e9",
        "whd_\x00",
        "whd_\n1",
        "x" * 10_000,
        b"whd_\xff",
        42,
        None,
    ],
)
def test_malformed_event_id_header(value: Any) -> None:
    headers = {EVENT_ID_HEADER: value, SIGNATURE_HEADER: f"t={NOW},v1={_SIG}"}
    assert reason_of(BODY, headers) == "malformed_header"


def test_bytes_header_values_are_accepted() -> None:
    good = headers_for(BODY)
    headers = {k.encode(): v.encode() for k, v in good.items()}
    verify(BODY, headers, SECRET, now=NOW)
    headers[SIGNATURE_HEADER.encode()] = b"t=1\xff"
    assert reason_of(BODY, headers) == "malformed_header"


def test_absurd_number_of_headers_is_cheap_and_rejected() -> None:
    many = ((f"x-h-{i}", "v") for i in range(10**7))
    start = time.perf_counter()
    assert reason_of(BODY, many) == "malformed_header"
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    "headers", ["Webhook-Signature: t=1", b"raw", 42, None, [("only-one",)], [1, 2]]
)
def test_headers_of_the_wrong_type_are_a_programming_error(headers: Any) -> None:
    with pytest.raises(TypeError):
        verify(BODY, headers, SECRET, now=NOW)


# ---------------------------------------------------------------- payloads and parsing


def test_non_ascii_bodies_str_and_bytes() -> None:
    body = event_body(memo="Caf\u00e9 \u2603 \u00fcber \U0001f4b8 \u4ed8\u6b3e")
    headers = headers_for(body)
    for payload in (body, body.decode("utf-8"), bytearray(body), memoryview(body)):
        event = unwrap(payload, headers, SECRET, now=NOW)
        assert event.payment.memo == "Caf\u00e9 \u2603 \u00fcber \U0001f4b8 \u4ed8\u6b3e"


def test_str_payload_is_utf8_not_latin1() -> None:
    body = event_body(memo="caf\u00e9")
    headers = headers_for(body)
    # A body decoded with the wrong charset is not what was signed.
    assert reason_of(body.decode("latin-1"), headers) == "no_matching_signature"


def test_unencodable_str_payload_is_a_verification_failure() -> None:
    assert reason_of("\ud800", headers_for(BODY)) == "no_matching_signature"


def test_body_that_verifies_but_is_not_json() -> None:
    for body in (b"", b"not json", b"\xff\xfe\x00", b'{"id": "evt_1"', b"[1, 2]", b"null"):
        headers = headers_for(body)
        verify(body, headers, SECRET, now=NOW)  # verify does not parse
        with pytest.raises(WebhookInvalidEventError) as info:
            unwrap(body, headers, SECRET, now=NOW)
        assert info.value.reason == "invalid_event"


def test_body_that_verifies_but_is_not_a_webhook_event() -> None:
    wrong = [
        {"id": "evt_1"},
        {**json.loads(BODY), "data": {}},
        {**json.loads(BODY), "created_at": "yesterday"},
        json.loads(BODY)
        | {"data": {"payment": {**json.loads(BODY)["data"]["payment"], "amount": 12.5}}},
    ]
    for value in wrong:
        body = json.dumps(value).encode()
        with pytest.raises(WebhookInvalidEventError) as info:
            unwrap(body, headers_for(body), SECRET, now=NOW)
        assert info.value.reason == "invalid_event"
        assert "Acme" not in str(info.value)  # no body values (PII) in the message


def test_deeply_nested_json_is_invalid_event() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    assert reason_of(body, headers_for(body)) == "invalid_event"


def test_unknown_fields_and_event_types_are_kept() -> None:
    value = json.loads(BODY)
    value["type"] = "paymentSomethingNew"
    value["extra"] = {"x": 1}
    body = json.dumps(value).encode()
    event = unwrap(body, headers_for(body), SECRET, now=NOW)
    assert event.type == "paymentSomethingNew"
    assert event.model_extra == {"extra": {"x": 1}}


@pytest.mark.parametrize("payload", [None, 42, {"id": "evt"}, ["x"]])
def test_payload_of_the_wrong_type_is_a_programming_error(payload: Any) -> None:
    with pytest.raises(TypeError):
        verify(payload, headers_for(BODY), SECRET, now=NOW)


# ---------------------------------------------------------------- secrets


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        ("", ValueError),
        ([], ValueError),
        ((), ValueError),
        ([SECRET, ""], ValueError),
        (None, TypeError),
        (b"whsec", TypeError),
        ([b"whsec"], TypeError),
        (42, TypeError),
        ("\ud800", ValueError),
        ([SECRET] * 17, ValueError),
    ],
)
def test_bad_secret_is_rejected(secret: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        verify(BODY, headers_for(BODY), secret, now=NOW)
    assert "\ud800" not in str(info.value)
    if secret not in (None, 42):
        with pytest.raises(error):
            Webhooks(secret)


def _failures() -> list[tuple[str, bytes, Any, Any]]:
    good = headers_for(BODY)
    not_json = b"certainly not json"
    return [
        ("forged", BODY, headers_for(BODY, secret=OTHER_SECRET), {}),
        ("tampered", BODY + b"\n", good, {}),
        ("stale", BODY, headers_for(BODY, timestamp=NOW - 1000), {}),
        ("future", BODY, headers_for(BODY, timestamp=NOW + 1000), {}),
        ("missing", BODY, {EVENT_ID_HEADER: DELIVERY}, {}),
        ("malformed", BODY, {**good, SIGNATURE_HEADER: "garbage"}, {}),
        ("duplicate", BODY, [*good.items(), (SIGNATURE_HEADER, good[SIGNATURE_HEADER])], {}),
        ("not json", not_json, headers_for(not_json), {}),
        ("not event", b'{"id": 1}', headers_for(b'{"id": 1}'), {}),
    ]


@pytest.mark.parametrize(
    ("label", "body", "headers", "kw"), _failures(), ids=[f[0] for f in _failures()]
)
@pytest.mark.parametrize("via_class", [False, True])
def test_secret_and_expected_signature_never_leak(
    label: str, body: bytes, headers: Any, kw: Any, via_class: bool
) -> None:
    secrets = [SECRET, OLD_SECRET]
    expected = {hmac_hex(s, NOW, DELIVERY, BODY) for s in secrets}
    expected |= {hmac_hex(s, NOW, "whd_0001", body) for s in secrets}
    functions = (unwrap,) if label.startswith("not ") else (unwrap, verify)
    for fn in functions:
        with pytest.raises(QBankWebhookVerificationError) as info:
            if via_class:
                getattr(Webhooks(secrets), fn.__name__)(body, headers, now=NOW)
            else:
                fn(body, headers, secrets, now=NOW)
        error = info.value
        assert isinstance(error, QBankError)
        texts = [
            str(error),
            repr(error),
            "".join(traceback.format_exception(error)),
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
            repr(error.args),
            repr(vars(error)),
        ]
        for text in texts:
            for secret in (*secrets, OTHER_SECRET):
                assert secret not in text
            for digest in expected:
                assert digest not in text
        assert error.__cause__ is None
        assert error.__suppress_context__ or error.__context__ is None


def test_error_reasons_and_hierarchy() -> None:
    pairs = {
        WebhookMissingHeaderError: "missing_header",
        WebhookMalformedHeaderError: "malformed_header",
        WebhookSignatureError: "no_matching_signature",
        WebhookTimestampError: "timestamp_outside_tolerance",
        WebhookInvalidEventError: "invalid_event",
    }
    for cls, reason in pairs.items():
        assert issubclass(cls, QBankWebhookVerificationError)
        assert cls("x").reason == reason


# ---------------------------------------------------------------- the Webhooks helper


def test_webhooks_class_unwrap_and_verify() -> None:
    hooks = Webhooks(SECRET)
    assert hooks.configured
    assert hooks.unwrap(BODY, headers_for(BODY), now=NOW).id == EVENT_ID
    assert hooks.verify(BODY, headers_for(BODY), now=NOW) is None
    with pytest.raises(WebhookSignatureError):
        hooks.unwrap(BODY, headers_for(BODY, secret=OTHER_SECRET), now=NOW)
    with pytest.raises(WebhookTimestampError):
        hooks.unwrap(BODY, headers_for(BODY), now=NOW + 301)
    assert hooks.unwrap(BODY, headers_for(BODY), now=NOW + 301, tolerance=400).id == EVENT_ID
    rotating = Webhooks([SECRET, OLD_SECRET])
    assert rotating.unwrap(BODY, headers_for(BODY, secret=OLD_SECRET), now=NOW).id == EVENT_ID


def test_webhooks_class_without_secret() -> None:
    hooks = Webhooks(None)
    assert not hooks.configured
    for method in (hooks.unwrap, hooks.verify):
        with pytest.raises(ValueError, match="webhook_secret=") as info:
            method(BODY, headers_for(BODY), now=NOW)
        assert "QBANK_WEBHOOK_SECRET" in str(info.value)
    assert repr(hooks) == "Webhooks(secret=None)"


def test_webhooks_repr_hides_secret() -> None:
    for configured in (SECRET, [SECRET, OLD_SECRET]):
        hooks = Webhooks(configured)
        for text in (repr(hooks), str(hooks), f"{hooks!r}"):
            assert SECRET not in text
            assert OLD_SECRET not in text
            assert "configured" in text
    assert not hasattr(Webhooks(SECRET), "__dict__")


def test_webhooks_class_signs_like_the_module_functions() -> None:
    hooks = Webhooks([SECRET, OLD_SECRET])
    expected = sign(BODY, [SECRET, OLD_SECRET], DELIVERY, timestamp=NOW)
    assert hooks.sign(BODY, DELIVERY, timestamp=NOW) == expected
    headers = hooks.signed_headers(BODY, timestamp=NOW)
    assert headers[SIGNATURE_HEADER].count("v1=") == 2
    assert hooks.unwrap(BODY, headers, now=NOW).id == EVENT_ID
    with pytest.raises(ValueError, match="webhook_secret="):
        Webhooks(None).sign(BODY, DELIVERY)


def test_module_functions_require_a_secret() -> None:
    # Unlike Webhooks(None) (a client configured without one), a missing secret is a type error.
    for call in (
        lambda: verify(BODY, headers_for(BODY), None, now=NOW),  # type: ignore[arg-type]
        lambda: unwrap(BODY, headers_for(BODY), None, now=NOW),  # type: ignore[arg-type]
        lambda: sign(BODY, None, DELIVERY),  # type: ignore[arg-type]
        lambda: signed_headers(BODY, None),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match="webhook secret must be a str"):
            call()
