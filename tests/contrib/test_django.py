"""qbank_connect.contrib.django in a real Django project (tests/contrib/django_project), on SQLite
and on the real PostgreSQL server: settings and system checks, the clients, the journal on the
project's database (and in its transactions), the webhook view through Django's test clients
(WSGI and ASGI) and real servers, the management commands and the admin."""

from __future__ import annotations

import io
import json
import multiprocessing
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

pytest.importorskip("django")

from qbank_connect import idempotency_key_for
from qbank_connect._stores.journal import JournalEntry, json_body_record
from qbank_connect.sandbox import ACCOUNT_OPERATING

from ..webhooks.webhook_samples import SECRET, event_body
from .conftest import Project
from .deliveries import bad_deliveries, delivery

URL = "/qbank/webhooks/"
ACH = "createAchPayment"


def ach(memo: str = "INV-1", amount: str = "125.00") -> dict[str, Any]:
    return {
        "source_account_id": ACCOUNT_OPERATING,
        "recipient_details": {
            "name": "Acme Supplies",
            "routing_number": "021000021",
            "account_number": "123456789",
            "account_type": "checking",
        },
        "amount": amount,
        "effective_date": date.today().isoformat(),
        "memo": memo,
    }


def post(client: Any, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def invoice(alias: str, number: str) -> Any:
    from .django_project.shop.models import Invoice

    return Invoice.objects.using(alias).create(number=number)


def reload(alias: str, number: str) -> Any:
    from .django_project.shop.models import Invoice

    return Invoice.objects.using(alias).get(number=number)


def calls() -> list[tuple[str, str]]:
    from .django_project.shop.receivers import CALLS

    return list(CALLS)


def behave(**changes: Any) -> None:
    from .django_project.shop.receivers import BEHAVIOUR

    BEHAVIOUR.update(changes)


# ---------------------------------------------------------------- settings and checks


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (None, {"qbank_connect.E001"}),  # no QBANK at all
        ("empty", {"qbank_connect.E003", "qbank_connect.W001"}),  # QBANK = {}
        ({"CLIENTID": "x"}, {"qbank_connect.E002"}),
        ({"ENVIRONMENT": "sandbox"}, {"qbank_connect.E004"}),  # and BASE_URL
        ({"ENVIRONMENT": "staging", "BASE_URL": None}, {"qbank_connect.E005"}),
        ({"BASE_URL": "qbank.example"}, {"qbank_connect.E005"}),
        ({"WEBHOOK_SECRET": ""}, {"qbank_connect.E006"}),
        ({"WEBHOOK_SECRET": ["ok", 3]}, {"qbank_connect.E006"}),
        ({"DATABASE": "nope"}, {"qbank_connect.E007"}),
        ({"JOURNAL": "mysql://db/x"}, {"qbank_connect.E008"}),
        ({"JOURNAL": "redis://cache/0"}, {"qbank_connect.E008"}),
        ({"TOKEN_CACHE": "django"}, {"qbank_connect.E008"}),
        ({"TIMEOUT": -1}, {"qbank_connect.E009"}),
        ({"WEBHOOK_LEASE": "5m"}, {"qbank_connect.E009"}),
        ({"MAX_RETRIES": True}, {"qbank_connect.E009"}),
    ],
)
def test_bad_settings_are_system_check_errors(
    django_project: Project, overrides: Any, expected: set[str]
) -> None:
    from django.core.checks import run_checks
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.conf import settings

    qbank = overrides
    if isinstance(overrides, dict):
        qbank = {k: v for k, v in {**django_project.qbank(), **overrides}.items() if v is not None}
    elif overrides == "empty":
        qbank = {}
    with override_settings(QBANK=qbank):
        messages = run_checks(tags=["qbank_connect"])
        assert {m.id for m in messages} == expected
        assert all(SECRET not in str(m) for m in messages)
        if any(i.startswith("qbank_connect.E") for i in expected):
            with pytest.raises(ImproperlyConfigured, match=r"qbank_connect\.E00"):
                settings()
            with pytest.raises(ImproperlyConfigured):
                get_client()


def test_good_settings_pass_and_hide_their_secrets(django_project: Project) -> None:
    from django.core.management import call_command

    from qbank_connect.contrib.django.conf import settings

    out = io.StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()
    assert SECRET not in repr(settings())
    assert django_project.qbank()["CLIENT_SECRET"] not in repr(settings())


# ---------------------------------------------------------------- clients


def _child_client_id(queue: Any) -> None:
    from qbank_connect.contrib.django import get_client

    queue.put(id(get_client()))


def test_one_blocking_client_per_process_made_again_after_fork(django_project: Project) -> None:
    from qbank_connect.contrib.django import get_client

    client = get_client()
    assert get_client() is client
    assert client.base_url == django_project.base_url
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_client_id, args=(queue,))
    child.start()
    child_id = queue.get(timeout=30)
    child.join(30)
    queue.close()
    queue.join_thread()
    assert child.exitcode == 0
    assert child_id != id(client)  # the child made its own (its parent's pool is not shared)
    assert get_client() is client


# ---------------------------------------------------------------- the journal


def test_the_journal_pays_once_from_the_projects_database(
    alias: str, django_project: Project
) -> None:
    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord

    client = get_client()
    first = client.payments.create_ach(request=ach(), reference="invoice:INV-1")
    again = client.payments.create_ach(request=ach(), reference="invoice:INV-1")
    assert again.id == first.id
    record = JournalRecord.objects.using(alias).get(reference="invoice:INV-1")
    assert (record.operation, record.state) == (ACH, "succeeded")
    assert (record.bank, record.client_id) == (django_project.base_url, client.client_id)
    entry = client.journal.get(ACH, "invoice:INV-1")  # type: ignore[union-attr]
    assert entry is not None and entry.outcome is not None and first.id in entry.outcome.body
    key = idempotency_key_for(ACH, "invoice:INV-1")
    assert django_project.sandbox.payments_by_key()[key] == [first.id]


def test_inside_atomic_the_journal_commits_or_rolls_back_with_the_business_rows(
    alias: str, django_project: Project
) -> None:
    from django.db import transaction

    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord

    from .django_project.shop.models import Invoice

    invoice(alias, "INV-2")
    client = get_client()
    with pytest.raises(RuntimeError), transaction.atomic(using=alias):
        paid = client.payments.create_ach(request=ach("INV-2"), reference="invoice:INV-2")
        Invoice.objects.using(alias).filter(number="INV-2").update(payment_id=paid.id)
        raise RuntimeError("the request fails after paying")
    # Rolled back together: no journal row, the invoice untouched.
    assert not JournalRecord.objects.using(alias).filter(reference="invoice:INV-2").exists()
    assert reload(alias, "INV-2").payment_id == ""
    # Paying again sends the same derived key: QBank replays the first payment.
    with transaction.atomic(using=alias):
        again = client.payments.create_ach(request=ach("INV-2"), reference="invoice:INV-2")
        Invoice.objects.using(alias).filter(number="INV-2").update(payment_id=again.id)
    assert again.id == paid.id
    assert reload(alias, "INV-2").payment_id == paid.id
    assert JournalRecord.objects.using(alias).get(reference="invoice:INV-2").state == "succeeded"
    key = idempotency_key_for(ACH, "invoice:INV-2")
    assert django_project.sandbox.payments_by_key()[key] == [paid.id]


def test_racing_threads_on_one_reference_pay_once(alias: str, django_project: Project) -> None:
    from django.db import connections

    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord

    client = get_client()
    barrier = threading.Barrier(6)

    def pay(_: int) -> str:
        try:
            barrier.wait(30)
            return client.payments.create_ach(request=ach("INV-R"), reference="invoice:INV-R").id
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        ids = set(pool.map(pay, range(6)))
    assert len(ids) == 1
    assert JournalRecord.objects.using(alias).filter(reference="invoice:INV-R").count() == 1
    key = idempotency_key_for(ACH, "invoice:INV-R")
    assert django_project.sandbox.payments_by_key()[key] == list(ids)


def test_the_async_client_uses_the_same_journal(alias: str, django_project: Project) -> None:
    from asgiref.sync import async_to_sync

    from qbank_connect.contrib.django import aget_client, get_client
    from qbank_connect.contrib.django.models import JournalRecord

    async def pay() -> str:
        client = await aget_client()
        assert await aget_client() is client
        try:
            payment = await client.payments.create_ach(request=ach("A"), reference="invoice:A")
            return payment.id
        finally:
            await client.aclose()

    paid = async_to_sync(pay)()
    assert JournalRecord.objects.using(alias).get(reference="invoice:A").state == "succeeded"
    # The blocking client answers the same reference from the journal, without a request.
    assert get_client().payments.create_ach(request=ach("A"), reference="invoice:A").id == paid


def pending_entry(alias: str, reference: str, age: timedelta = timedelta(0)) -> JournalEntry:
    """What a crash leaves: the entry recorded, its payment never answered (or never sent),
    recorded ``age`` ago on the database's clock."""
    from django.db.models import F

    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord

    body, digest = json_body_record(json.dumps(ach(reference)).encode())
    entry = JournalEntry(
        reference=reference,
        operation=ACH,
        idempotency_key=idempotency_key_for(ACH, reference),
        body_digest=digest,
        body=body,
        created_at=datetime.now(timezone.utc),
    )
    journal = get_client().journal
    assert journal is not None
    stored = journal.claim(entry)
    if age:
        JournalRecord.objects.using(alias).filter(reference=reference).update(
            created_at=F("created_at") - age.total_seconds()
        )
    return stored


def test_qbank_recover_settles_pending_entries_with_a_table_and_exit_code(
    alias: str, django_project: Project
) -> None:
    from django.core.management import CommandError, call_command

    pending_entry(alias, "invoice:REC-1")
    out = io.StringIO()
    call_command("qbank_recover", stdout=out)
    text = out.getvalue()
    assert "succeeded" in text and "invoice:REC-1" in text and "1 succeeded" in text
    key = idempotency_key_for(ACH, "invoice:REC-1")
    assert len(django_project.sandbox.payments_by_key()[key]) == 1
    # A key past QBank's retention is never sent again: a person must reconcile it (exit 2).
    pending_entry(alias, "invoice:REC-OLD", age=timedelta(hours=25))
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("qbank_recover", stdout=out)
    assert raised.value.returncode == 2
    assert "reconcile" in out.getvalue() and "invoice:REC-OLD" in out.getvalue()
    old_key = idempotency_key_for(ACH, "invoice:REC-OLD")
    assert old_key not in django_project.sandbox.payments_by_key()


def test_qbank_journal_pending_resolve_and_prune(alias: str, django_project: Project) -> None:
    from django.core.management import CommandError, call_command

    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord

    pending_entry(alias, "invoice:J-1", age=timedelta(hours=30))
    pending_entry(alias, "invoice:J-2", age=timedelta(hours=30))
    out = io.StringIO()
    call_command("qbank_journal", "pending", stdout=out)
    assert "invoice:J-1" in out.getvalue() and "2 open" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("qbank_recover", stdout=out)  # both too old: marked reconcile, not sent
    # Reconciled by hand: J-1 was found at QBank, J-2 never reached it.
    client = get_client()
    found = client.payments.create_ach(request=ach("elsewhere"))
    call_command("qbank_journal", "resolve", ACH, "invoice:J-1", "--payment", found.id, stdout=out)
    call_command("qbank_journal", "resolve", ACH, "invoice:J-2", "--not-sent", stdout=out)
    assert "invoice:J-1: resolved" in out.getvalue()
    with pytest.raises(CommandError, match="not reconcile"):
        call_command("qbank_journal", "resolve", ACH, "invoice:J-1", "--not-sent")
    assert (
        client.payments.create_ach(request=ach("invoice:J-1"), reference="invoice:J-1").id
        == found.id
    )
    fresh = client.payments.create_ach(request=ach("invoice:J-2"), reference="invoice:J-2")
    assert fresh.id != found.id  # paid afresh, under a new key (the next generation)
    # Prune: entries settled before the cut-off go; an open one never does.
    pending_entry(alias, "invoice:J-3", age=timedelta(hours=50))
    JournalRecord.objects.using(alias).exclude(settled_at=None).update(settled_at=1.0)
    call_command("qbank_journal", "prune", "--days", "1", stdout=out)
    left = set(JournalRecord.objects.using(alias).values_list("reference", flat=True))
    assert left == {"invoice:J-3"}


def test_bodies_are_sealed_in_the_database(alias: str) -> None:
    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord

    get_client().payments.create_ach(request=ach("SEALED"), reference="invoice:SEALED")
    record = JournalRecord.objects.using(alias).get(reference="invoice:SEALED")
    for stored in (record.body, record.outcome or ""):
        assert stored.startswith("sealed:v1:")
        assert "123456789" not in stored and "Acme" not in stored


def test_qbank_check_reports_credentials_scopes_and_clock(django_project: Project) -> None:
    from django.core.management import CommandError, call_command
    from django.test import override_settings

    out = io.StringIO()
    call_command("qbank_check", stdout=out)
    text = out.getvalue()
    assert "ok   credentials" in text and "clock skew" in text and "FAIL" not in text
    assert django_project.qbank()["CLIENT_SECRET"] not in text
    with override_settings(QBANK=django_project.qbank(CLIENT_SECRET="wrong-secret")):
        out = io.StringIO()
        with pytest.raises(CommandError, match="credentials") as raised:
            call_command("qbank_check", stdout=out)
        assert raised.value.returncode == 1
        assert "wrong-secret" not in str(raised.value) + out.getvalue()


# ---------------------------------------------------------------- the webhook view


@pytest.fixture
def client(alias: str) -> Any:
    from django.test import Client

    return Client()


def test_a_delivery_sends_the_signal_once_and_is_done(alias: str, client: Any) -> None:
    from qbank_connect.contrib.django.models import WebhookEventRecord

    invoice(alias, "INV-1")
    body, headers = delivery("evt_dj_ok")
    response = post(client, body, headers)
    assert (response.status_code, response.json()) == (200, {"received": True})
    for _ in range(3):  # redeliveries: acknowledged, not handled again
        body, headers = delivery("evt_dj_ok")
        response = post(client, body, headers)
        assert (response.status_code, response.json()["duplicate"]) == (200, True)
    assert calls() == [("evt_dj_ok", "sync")]
    row = reload(alias, "INV-1")
    assert (row.status, row.webhook_count) == ("P_COMPLETED", 1)
    record = WebhookEventRecord.objects.using(alias).get(event_id="evt_dj_ok")
    assert (record.state, record.deliveries) == ("done", 4)


@pytest.mark.parametrize("label", list(bad_deliveries("x")))
def test_bad_deliveries_get_400_with_the_reason(
    label: str, django_project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    from django.test import Client
    from django.test import override_settings as override

    from qbank_connect.contrib.django.models import WebhookEventRecord

    body, headers, reason = bad_deliveries("evt_dj_bad")[label]
    with override(QBANK=django_project.qbank()):
        WebhookEventRecord.objects.all().delete()
        response = post(Client(), body, headers)
        assert (response.status_code, response.json()) == (400, {"error": reason})
        assert SECRET.encode() not in response.content
        assert not WebhookEventRecord.objects.exists()
    assert reason in caplog.text and SECRET not in caplog.text


def test_a_failing_receiver_rolls_back_answers_500_and_the_redelivery_is_handled(
    alias: str, client: Any
) -> None:
    from qbank_connect.contrib.django.models import WebhookEventRecord

    invoice(alias, "INV-1")
    behave(fail={"evt_dj_flaky"})
    body, headers = delivery("evt_dj_flaky")
    assert post(client, body, headers).status_code == 500
    # The receiver's write rolled back with the event, which was given back.
    assert reload(alias, "INV-1").webhook_count == 0
    assert not WebhookEventRecord.objects.using(alias).filter(event_id="evt_dj_flaky").exists()
    body, headers = delivery("evt_dj_flaky")
    assert post(client, body, headers).status_code == 200
    assert reload(alias, "INV-1").webhook_count == 1
    assert calls() == [("evt_dj_flaky", "sync"), ("evt_dj_flaky", "sync")]


def test_async_receivers_are_awaited(alias: str, client: Any) -> None:
    invoice(alias, "INV-1")
    behave(**{"async": True, "fail": {"evt_dj_async_fail"}})
    body, headers = delivery("evt_dj_async")
    assert post(client, body, headers).status_code == 200
    body, headers = delivery("evt_dj_async_fail")
    assert post(client, body, headers).status_code == 500
    assert calls() == [("evt_dj_async", "async"), ("evt_dj_async_fail", "async")]
    assert reload(alias, "INV-1").webhook_count == 1  # the failed one's write rolled back


def test_an_event_another_delivery_holds_gets_409_until_its_lease_expires(
    alias: str, client: Any
) -> None:
    from qbank_connect.contrib.django.dedup import DatabaseDeduplicator, LeaseLost
    from qbank_connect.contrib.django.models import WebhookEventRecord
    from qbank_connect.models import WebhookEvent

    invoice(alias, "INV-1")
    event = WebhookEvent.model_validate_json(event_body("evt_dj_orphan"))
    dedup = DatabaseDeduplicator(using=alias)
    lease = dedup.claim(event)  # a receiver took it, then was killed
    assert lease is not None
    body, headers = delivery("evt_dj_orphan")
    response = post(client, body, headers)
    assert (response.status_code, response.json()) == (409, {"error": "in_progress"})
    assert calls() == []
    # The lease runs out (the database's clock): the next delivery takes the event over.
    WebhookEventRecord.objects.using(alias).filter(event_id="evt_dj_orphan").update(
        expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)
    )
    body, headers = delivery("evt_dj_orphan")
    assert post(client, body, headers).status_code == 200
    assert calls() == [("evt_dj_orphan", "sync")]
    # The dead holder's lease is fenced off: it can neither finish nor release the event.
    with pytest.raises(LeaseLost):
        dedup.done(event, lease)
    dedup.release(event, lease)
    assert dedup.handled(event)


def test_the_view_is_csrf_exempt_and_post_only(alias: str) -> None:
    from django.test import Client

    invoice(alias, "INV-1")
    body, headers = delivery("evt_dj_csrf")
    csrf = Client(enforce_csrf_checks=True)
    assert post(csrf, body, headers).status_code == 200
    assert csrf.get(URL).status_code == 405


def test_without_a_webhook_secret_deliveries_get_500(django_project: Project) -> None:
    from django.test import Client, override_settings

    qbank = django_project.qbank()
    del qbank["WEBHOOK_SECRET"]
    with override_settings(QBANK=qbank):
        body, headers = delivery("evt_dj_unset")
        response = post(Client(), body, headers)
    assert (response.status_code, response.json()) == (500, {"error": "not_configured"})


def test_under_asgi_with_the_async_test_client(alias: str) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    invoice(alias, "INV-1")
    behave(**{"async": True})

    async def deliver() -> list[int]:
        client = AsyncClient()
        statuses = []
        for _ in range(2):
            body, headers = delivery("evt_dj_asgi")
            response = await client.post(
                URL, data=body, content_type="application/json", headers=headers
            )
            statuses.append(response.status_code)
        return statuses

    assert async_to_sync(deliver)() == [200, 200]
    assert calls() == [("evt_dj_asgi", "async")]
    assert reload(alias, "INV-1").webhook_count == 1


# ---------------------------------------------------------------- real servers


@contextmanager
def wsgi_server() -> Iterator[str]:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


@contextmanager
def asgi_server() -> Iterator[str]:
    import socket

    import uvicorn
    from django.core.asgi import get_asgi_application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(get_asgi_application(), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.mark.parametrize("server", ["wsgi", "asgi"])
def test_real_servers_handle_each_event_once_under_concurrent_redeliveries(
    alias: str, server: str
) -> None:
    """WSGI (Django's threaded server) or ASGI (uvicorn) on a loopback socket: 15 events, each
    delivered 3 times, 6 at a time in a shuffled order; every 5th receiver fails once; QBank's
    redelivery of anything not answered 200 follows. Each invoice is updated exactly once."""
    import httpx2
    from django.db import connections

    events = {f"evt_srv_{n}": f"INV-S{n}" for n in range(15)}
    for number in events.values():
        invoice(alias, number)
    behave(**{"fail": set(list(events)[::5]), "async": server == "asgi"})
    serve = wsgi_server if server == "wsgi" else asgi_server
    with serve() as url, httpx2.Client(base_url=url, timeout=60) as http:
        statuses: dict[str, list[int]] = {e: [] for e in events}

        def deliver(event_id: str) -> None:
            body, headers = delivery(event_id, memo=events[event_id])
            response = http.post(URL, content=body, headers=headers)
            statuses[event_id].append(response.status_code)

        jobs = [e for e in events for _ in range(3)]
        random.Random(3).shuffle(jobs)
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(deliver, jobs))
        for _ in range(3):  # QBank redelivers until it gets a 200
            for event_id, seen in statuses.items():
                if 200 not in seen:
                    deliver(event_id)
    connections.close_all()
    assert all(200 in seen for seen in statuses.values())
    counts = {n: reload(alias, n).webhook_count for n in events.values()}
    assert counts == dict.fromkeys(events.values(), 1)
    assert sum(s.count(500) for s in statuses.values()) == 3


# ---------------------------------------------------------------- admin


@pytest.mark.parametrize("alias", ["default"], indirect=True)  # the admin reads "default"
def test_admin_pages_are_read_only_and_mask_account_numbers(
    alias: str, django_project: Project
) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from qbank_connect.contrib.django import get_client
    from qbank_connect.contrib.django.models import JournalRecord, WebhookEventRecord

    get_client().payments.create_ach(request=ach("ADM"), reference="invoice:ADM")
    body, headers = delivery("evt_dj_admin")
    post(Client(), body, headers)
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    try:
        browser = Client()
        browser.force_login(admin)
        record = JournalRecord.objects.get(reference="invoice:ADM")
        event = WebhookEventRecord.objects.get(event_id="evt_dj_admin")
        pages = [
            "/admin/qbank_connect/journalrecord/",
            f"/admin/qbank_connect/journalrecord/{record.pk}/change/",
            "/admin/qbank_connect/webhookeventrecord/",
            f"/admin/qbank_connect/webhookeventrecord/{event.pk}/change/",
        ]
        for page in pages:
            response = browser.get(page)
            assert response.status_code == 200, page
            html = response.content.decode()
            assert "123456789" not in html
            assert SECRET not in html and event.lease not in html
        detail = browser.get(pages[1]).content.decode()
        assert "•••••6789" in detail and "invoice:ADM" in detail
        assert browser.get("/admin/qbank_connect/journalrecord/add/").status_code == 403
        assert (
            browser.post(
                f"/admin/qbank_connect/journalrecord/{record.pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )
        assert JournalRecord.objects.filter(pk=record.pk).exists()
    finally:
        admin.delete()
