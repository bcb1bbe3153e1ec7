"""``qbank journal pending | resolve | prune`` in a real subprocess, on a journal a client of
the SDK filled against a served sandbox."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect._stores.journal import json_body_record
from qbank_connect.journal import EntryState, JournalEntry
from qbank_connect.sandbox import SandboxServer

from .helpers import ACH, DEMO_SECRET, assert_one_line_error, cli_env, qbank, served_env

OP = "createAchPayment"


def fill(server: SandboxServer, url: str) -> str:
    """One settled payment, one pending entry, one past QBank's retention (reconcile)."""
    with QBankConnect("demo-client", DEMO_SECRET, base_url=server.base_url, journal=url) as client:
        paid = client.payments.create_ach(request=ACH, reference="invoice:paid")
        assert client.journal is not None
        text, digest = json_body_record(json.dumps({**ACH, "amount": "3.00"}).encode())
        for reference in ("invoice:open", "invoice:old"):
            client.journal.claim(
                JournalEntry(
                    reference, OP, idempotency_key_for(OP, reference), digest, text, paid.created_at
                )
            )
    path = url[len("sqlite:///") :]
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "UPDATE qbank_journal SET created_at = created_at - 90000 WHERE reference = 'invoice:old'"
        )
    conn.close()
    return paid.id


def test_pending_resolve_prune(server: SandboxServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    paid_id = fill(server, url)
    env = served_env(server.base_url, QBANK_JOURNAL=url)

    listed = qbank("journal", "pending", "--output", "json", env=env)
    assert listed.returncode == 0, listed
    rows = {row["reference"]: row for row in listed.json()}
    assert set(rows) == {"invoice:open", "invoice:old"}
    assert rows["invoice:old"]["age_hours"] >= 25
    assert "123456789" not in listed.stdout and "body" not in rows["invoice:open"]

    # The old one becomes reconcile on the journal's clock before it can be resolved.
    resolved = qbank(
        "journal",
        "resolve",
        OP,
        "invoice:old",
        "--payment-id",
        paid_id,
        "--by",
        "ops-1",
        "--output",
        "json",
        env=env,
    )
    assert resolved.returncode == 0, resolved
    data = resolved.json()
    assert data["state"] == EntryState.RESOLVED.value and data["payment_id"] == paid_id
    assert data["resolved_by"] == "ops-1" and data["resolved_at"]

    young = qbank("journal", "resolve", OP, "invoice:open", "--not-sent", env=env)
    assert_one_line_error(young, 1, "pending, not reconcile")
    neither = qbank("journal", "resolve", OP, "invoice:open", env=env)
    assert_one_line_error(neither, 1, "--payment-id ID or --not-sent")

    pruned = qbank("journal", "prune", "--older-than-days", "0", "--output", "json", env=env)
    assert pruned.returncode == 0, pruned
    assert pruned.json()["deleted"] == 2  # the settled payment and the resolved entry
    after = qbank("journal", "pending", "--output", "json", env=env)
    assert [row["reference"] for row in after.json()] == ["invoice:open"]


def test_another_client_id_sees_none_of_it(server: SandboxServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    fill(server, url)
    env = cli_env(
        QBANK_BASE_URL=server.base_url,
        QBANK_CLIENT_ID="demo-readonly",
        QBANK_CLIENT_SECRET=DEMO_SECRET,
        QBANK_JOURNAL=url,
    )
    listed = qbank("journal", "pending", "--output", "json", env=env)
    assert listed.returncode == 0, listed
    assert listed.json() == []
