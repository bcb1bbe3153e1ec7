"""The journal's own proofs on the Django journal: the backend tests of the SQLite and
PostgreSQL journals (tests/_sync/test_journal_backends.py and its async source) run unchanged
on ``DjangoJournal`` and ``AsyncDjangoJournal``, over Django's connections to SQLite and to the
real PostgreSQL server: scope, the lease fence (20 threads racing for one lease), ages on the
database's clock, operators' resolutions, pruning, sealed bodies bound to their entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("django")

from .._async import test_journal_backends as async_proofs
from .._sync import test_journal_backends as proofs

SHARED = [
    "test_claim_inserts_once_and_returns_the_winner",
    "test_other_banks_and_client_ids_never_see_an_entry",
    "test_settle_records_once_and_pending_lists_the_rest",
    "test_one_lease_at_a_time",
    "test_concurrent_acquires_grant_one",
    "test_an_entry_past_the_window_is_marked_reconcile_and_never_leased",
    "test_resolving_closes_a_reconcile_entry",
    "test_prune_deletes_settled_entries_only",
    "test_bodies_and_answers_are_sealed_and_bound_to_their_entry",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Django's sync_to_async needs asyncio


@pytest.fixture
def journal(alias: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    from qbank_connect.contrib.django.journal import AsyncDjangoJournal, DjangoJournal

    asynchronous = request.node.name.startswith("test_async_")
    yield AsyncDjangoJournal(using=alias) if asynchronous else DjangoJournal(using=alias)


for _name in SHARED:
    globals()[_name] = getattr(proofs, _name)
    globals()[_name.replace("test_", "test_async_", 1)] = pytest.mark.anyio(
        getattr(async_proofs, _name)
    )
