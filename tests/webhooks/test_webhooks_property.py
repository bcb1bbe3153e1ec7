"""Property tests: unwrap either returns a genuinely signed, fresh event or raises
QBankWebhookVerificationError; and everything sign() produces verifies.

``HYPOTHESIS_PROFILE=ci`` runs 10,000 examples per property (see conftest.py).
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import event as record
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qbank_connect.errors import QBankWebhookVerificationError
from qbank_connect.models import WebhookEvent
from qbank_connect.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    sign,
    signed_headers,
    unwrap,
    verify,
)

from .conftest import PROPERTY_EXAMPLES
from .webhook_samples import NOW, OLD_SECRET, SECRET, event_body, headers_for, hmac_hex

REASONS = {
    "missing_header",
    "malformed_header",
    "no_matching_signature",
    "timestamp_outside_tolerance",
    "invalid_event",
}
SECRETS = [SECRET, OLD_SECRET]
VALID_BODY = event_body()

# ---------------------------------------------------------------- strategies

header_names = st.sampled_from(
    [
        SIGNATURE_HEADER,
        EVENT_ID_HEADER,
        "webhook-signature",
        "WEBHOOK-EVENT-ID",
        "Content-Type",
        "X-Other",
    ]
)
header_values = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="tv01=,abcdef0123456789 ", max_size=160),
    st.builds(
        lambda t, h: f"t={t},v1={h}",
        st.integers(-10, 10**13),
        st.text("0123456789abcdef", max_size=70),
    ),
)
random_headers = st.one_of(
    st.dictionaries(header_names, header_values, max_size=5),
    st.lists(st.tuples(header_names, header_values), max_size=6),
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=100),
    st.just(VALID_BODY),
    st.just(VALID_BODY.decode()),
)


def _mutate_text(draw: Any, value: str) -> str:
    choice = draw(st.integers(0, 6))
    if choice == 0 or not value:
        return value
    pos = draw(st.integers(0, len(value) - 1))
    if choice == 1:  # flip one character
        return value[:pos] + draw(st.characters(codec="ascii")) + value[pos + 1 :]
    if choice == 2:  # delete one
        return value[:pos] + value[pos + 1 :]
    if choice == 3:  # insert one
        return value[:pos] + draw(st.characters()) + value[pos:]
    if choice == 4:  # truncate
        return value[:pos]
    if choice == 5:  # append junk
        return value + draw(st.text(max_size=10))
    return value.upper()


@st.composite
def mutated_deliveries(draw: Any) -> tuple[bytes | str, Any, float]:
    """A genuinely signed delivery, then zero or more tamperings."""
    body: bytes | str = event_body(
        event_id=draw(st.sampled_from(["evt_1", "evt_\u00e9", "e"])),
        memo=draw(st.text(max_size=20)),
    )
    timestamp = NOW + draw(st.integers(-400, 400))
    delivery = draw(
        st.text(alphabet=string.ascii_letters + string.digits + "_-.:", min_size=1, max_size=20)
    )
    secret = draw(st.sampled_from([SECRET, OLD_SECRET, "whsec_attacker"]))
    headers: dict[str, str] = headers_for(
        body, secret=secret, delivery_id=delivery, timestamp=timestamp
    )
    if draw(st.booleans()):
        headers[SIGNATURE_HEADER] = _mutate_text(draw, headers[SIGNATURE_HEADER])
    if draw(st.booleans()):
        headers[EVENT_ID_HEADER] = _mutate_text(draw, headers[EVENT_ID_HEADER])
    if draw(st.integers(0, 3)) == 0:
        raw = body
        assert isinstance(raw, bytes)
        body = _mutate_text(draw, raw.decode("utf-8")).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    pairs: Any = list(headers.items())
    shape = draw(st.integers(0, 4))
    if shape == 1:
        pairs = {k.lower() if draw(st.booleans()) else k.upper(): v for k, v in pairs}
    elif shape == 2:  # a duplicated header
        pairs.append(draw(st.sampled_from(pairs)))
    elif shape == 3:  # a dropped header
        pairs.pop(draw(st.integers(0, len(pairs) - 1)))
    elif shape == 4:
        pairs = dict(pairs)
    now = NOW + draw(st.floats(-400, 400, allow_nan=False))
    return body, pairs, now


def _all_values(headers: Any, name: str) -> list[str]:
    items = headers.items() if isinstance(headers, dict) else headers
    return [v for k, v in items if k.lower() == name.lower()]


def _genuine_and_fresh(body: bytes | str, headers: Any, now: float) -> bool:
    """Independent oracle: a single pair of headers carrying a matching v1 inside the window."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    sigs, ids = _all_values(headers, SIGNATURE_HEADER), _all_values(headers, EVENT_ID_HEADER)
    if len(sigs) != 1 or len(ids) != 1:
        return False
    entries = [e.strip() for e in sigs[0].split(",")]
    ts = [e[2:] for e in entries if e.startswith("t=")]
    if len(ts) != 1 or not ts[0].isdigit() or not ts[0].isascii():
        return False
    given_v1 = {e[3:].lower() for e in entries if e.startswith("v1=")}
    expected = {hmac_hex(s, ts[0], ids[0].strip(), raw) for s in SECRETS}
    return bool(given_v1 & expected) and abs(now - int(ts[0])) <= 300


def _check(body: bytes | str, headers: Any, now: float) -> None:
    try:
        event = unwrap(body, headers, SECRETS, now=now)
    except QBankWebhookVerificationError as e:
        assert e.reason in REASONS
        for secret in SECRETS:
            assert secret not in str(e)
        record(e.reason)
        return
    record("verified")
    # Anything other than QBankWebhookVerificationError propagates and fails the test.
    assert _genuine_and_fresh(body, headers, now)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    assert event == WebhookEvent.model_validate_json(raw)


# ---------------------------------------------------------------- properties

arbitrary_deliveries = st.tuples(bodies, random_headers, st.floats(-1e12, 1e12, allow_nan=False))


@settings(max_examples=PROPERTY_EXAMPLES)
@given(st.one_of(arbitrary_deliveries, mutated_deliveries()))
@example((VALID_BODY, headers_for(VALID_BODY), float(NOW)))
@example((VALID_BODY, headers_for(VALID_BODY, secret=OLD_SECRET), NOW + 300.0))
def test_unwrap_verifies_or_raises_verification_error(
    delivery: tuple[bytes | str, Any, float],
) -> None:
    _check(*delivery)


event_ids = st.text(
    alphabet=string.ascii_letters + string.digits + string.punctuation, min_size=1, max_size=64
)
secret_texts = st.text(min_size=1, max_size=64)


@st.composite
def payloads(draw: Any) -> tuple[bytes | str, str | None]:
    """(payload, the event id when the payload is a WebhookEvent)."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=500)), None
    if kind == 1:
        return draw(st.text(max_size=200)), None
    event_id = draw(st.text(min_size=1, max_size=30))
    body = event_body(event_id=event_id, memo=draw(st.text(max_size=50)))
    return (body.decode("utf-8") if draw(st.booleans()) else body), event_id


@settings(max_examples=PROPERTY_EXAMPLES)
@given(
    payload=payloads(),
    secrets=st.lists(secret_texts, min_size=1, max_size=3),
    event_id=event_ids,
    timestamp=st.integers(0, 10**11),
    skew=st.integers(-300, 300),
    pick=st.integers(0, 2),
)
def test_whatever_sign_produces_verifies_and_unwraps(
    payload: tuple[bytes | str, str | None],
    secrets: list[str],
    event_id: str,
    timestamp: int,
    skew: int,
    pick: int,
) -> None:
    body, body_event_id = payload
    signing = secrets[pick % len(secrets)]
    header = sign(body, signing, event_id, timestamp)
    headers = {EVENT_ID_HEADER: event_id, SIGNATURE_HEADER: header}
    verify(body, headers, signing, now=timestamp + skew)
    verify(body, headers, secrets, now=timestamp + skew)  # rotation: any configured secret
    # sign() with several secrets verifies against each of them.
    multi = signed_headers(body, secrets, event_id, timestamp)
    for secret in secrets:
        verify(body, multi, secret, now=timestamp - skew)
    # unwrap gives the event back, or says the authentic body is not an event.
    try:
        event = unwrap(body, headers, signing, now=timestamp + skew)
    except QBankWebhookVerificationError as e:
        assert e.reason == "invalid_event"
        assert body_event_id is None
    else:
        assert event.id == body_event_id or body_event_id is None
    # A different secret never verifies.
    wrong = "x" + signing
    if wrong not in secrets:
        try:
            verify(body, headers, wrong, now=timestamp)
        except QBankWebhookVerificationError as e:
            assert e.reason == "no_matching_signature"
        else:
            raise AssertionError("verified with the wrong secret")
