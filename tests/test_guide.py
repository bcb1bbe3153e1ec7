"""The code of the SDK guide (seed 000), placeholders filled in, runs as written."""

from __future__ import annotations

import httpx2
import pytest

from .mock_api import payment_json
from .transport_router import Router, router

__all__ = ["router"]  # the fixture

PROD = "https://api.qbankconnect.com/v1"

GUIDE = """
from qbank_connect import QBankConnectClient
from qbank_connect.models import AchPaymentRequest
from qbank_connect.errors import QBankIdempotencyConflict, QBankPermissionDeniedError
# Client initializes and immediately fetches a Bearer Token
client = QBankConnectClient(
client_id="YOUR_CLIENT_ID",
client_secret="YOUR_CLIENT_SECRET",
scopes=["payments.ach.write", "balances.read"]
)
# The SDK will create an automatic Idempotency-Key for this call.
ach_request = AchPaymentRequest(
source_account_id="acc_operating",
recipient_details={"name": "Acme Supplies", "routing_number": "021000021",
                   "account_number": "123456789", "account_type": "checking"},
amount=1000.50,
effective_date="2025-10-31"
)
try:
    response = client.payments.create_ach(request=ach_request)
    print(f"Payment request accepted. Status: {response.status}")
except QBankIdempotencyConflict as e:
    # If a 409 Conflict is returned, this exception will be raised.
    # Instead of attempting to retry immediately we check the status instead.
    print(f"Conflict detected. Checking transaction status: {e.detail}")
    status = client.payments.get_payment_status(e.transaction_id)
    print(f"In-flight payment status: {status.status}")
except QBankPermissionDeniedError:
    print("Authentication error: Check scopes and token.")
"""

TOKEN = httpx2.Response(
    200, json={"access_token": "guide-token", "token_type": "Bearer", "expires_in": 3600}
)


def run_guide() -> None:
    exec(compile(GUIDE, "guide", "exec"), {})


def test_guide_happy_path(capsys: pytest.CaptureFixture[str], router: Router) -> None:
    token = router.post(f"{PROD}/token").mock(return_value=TOKEN)
    ach = router.post(f"{PROD}/payments/ach").mock(
        return_value=httpx2.Response(202, json=payment_json())
    )
    run_guide()
    assert capsys.readouterr().out == "Payment request accepted. Status: P_PENDING\n"
    assert token.calls[0].content == (
        b"grant_type=client_credentials&scope=payments.ach.write+balances.read"
    )
    sent = ach.calls[0]
    assert sent.headers["idempotency-key"]
    assert b'"amount":"1000.50"' in sent.content


def test_guide_conflict_is_followed_by_the_sdk_itself(
    capsys: pytest.CaptureFixture[str], router: Router
) -> None:
    # The guide's except branch polls the transaction by hand; the SDK now does it itself
    # (GET /payments/{transaction_id}, conflict_wait=60 s by default) and returns the payment.
    transaction_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    router.post(f"{PROD}/token").mock(return_value=TOKEN)
    posted = router.post(f"{PROD}/payments/ach").mock(
        return_value=httpx2.Response(
            409,
            json={
                "type": "https://docs.qbankconnect.com/problems/idempotency-conflict",
                "title": "Idempotency Violation",
                "detail": "There is already a request with this key being processed",
                "transaction_id": transaction_id,
            },
            headers={"Content-Type": "application/problem+json"},
        )
    )
    followed = router.get(f"{PROD}/payments/{transaction_id}").mock(
        return_value=httpx2.Response(200, json=payment_json(transaction_id, status="P_PROCESSING"))
    )
    run_guide()
    assert capsys.readouterr().out.splitlines() == [
        "Payment request accepted. Status: P_PROCESSING",
    ]
    assert len(posted.calls) == 1 and len(followed.calls) == 1  # followed, never re-POSTed


def test_guide_missing_scope_path(capsys: pytest.CaptureFixture[str], router: Router) -> None:
    router.post(f"{PROD}/token").mock(return_value=TOKEN)
    router.post(f"{PROD}/payments/ach").mock(
        return_value=httpx2.Response(
            403, json={"message": "missing scope", "error_code": "ERR_SCOPE_001", "request_id": "r"}
        )
    )
    run_guide()
    assert capsys.readouterr().out == "Authentication error: Check scopes and token.\n"
