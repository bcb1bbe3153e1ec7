"""Testing the Django view with the plugin's fixtures: the view's client is the sandbox's."""

import json
from decimal import Decimal

import shop_django
from django.test import Client


def test_settling_an_invoice_moves_the_money(qbank_client, qbank_sandbox, monkeypatch):
    monkeypatch.setattr(shop_django, "get_qbank", lambda: qbank_client)
    before = Decimal(qbank_sandbox.balances()["acc_payroll"]["available"])

    response = Client().post(
        "/invoices/INV-7/settle",
        data=json.dumps(
            {"from_account": "acc_operating", "to_account": "acc_payroll", "amount": "2500.00"}
        ),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "P_COMPLETED"  # transfers are real time
    after = Decimal(qbank_sandbox.balances()["acc_payroll"]["available"])
    assert after - before == Decimal("2500.00")


def test_a_refused_transfer_is_a_502(qbank_client, monkeypatch):
    monkeypatch.setattr(shop_django, "get_qbank", lambda: qbank_client)
    response = Client().post(
        "/invoices/INV-8/settle",
        data=json.dumps(
            {"from_account": "acc_petty_cash", "to_account": "acc_payroll", "amount": "9999.00"}
        ),  # petty cash holds 500.00
        content_type="application/json",
    )
    assert response.status_code == 502
    assert "ERR_FUNDS_001" in response.json()["error"]
