"""Testing the FastAPI endpoint with the plugin's fixtures: no network, no credentials."""

from fastapi.testclient import TestClient
from shop_fastapi import app, get_qbank

PAYEE = {
    "name": "Acme Supply",
    "routing_number": "021000021",
    "account_number": "123456789",
    "amount": "1250.00",
}


def test_paying_an_invoice_twice_pays_once(qbank_client, qbank_sandbox):
    app.dependency_overrides[get_qbank] = lambda: qbank_client
    try:
        with TestClient(app) as http:
            first = http.post("/invoices/INV-1042/pay", json=PAYEE)
            again = http.post("/invoices/INV-1042/pay", json=PAYEE)
    finally:
        app.dependency_overrides.clear()

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert [entry.amount for entry in qbank_sandbox.ledger()] == ["1250.00"]

    qbank_sandbox.advance(minutes=15)  # the frozen clock moves only when told: the batch runs
    payment = qbank_client.payments.get(first.json()["payment_id"])
    assert payment.status == "P_COMPLETED"
