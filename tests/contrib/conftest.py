"""Fixtures for the Django tests: the test project (tests/contrib/django_project) configured once
per session on two databases, SQLite (``default``) and the real PostgreSQL server (``pg``), both
migrated; the sandbox served on a loopback socket as the project's QBank."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from ..webhooks.webhook_samples import OLD_SECRET, SECRET


class Project:
    """The configured project: its QBank (the sandbox) and its database aliases."""

    def __init__(self, sandbox: Sandbox, base_url: str, aliases: list[str]) -> None:
        self.sandbox = sandbox
        self.base_url = base_url
        self.aliases = aliases

    def qbank(self, **overrides: Any) -> dict[str, Any]:
        """A ``QBANK`` settings dict for the sandbox (what the test project uses)."""
        return {
            "CLIENT_ID": DEMO_CLIENT_ID,
            "CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "BASE_URL": self.base_url,
            "WEBHOOK_SECRET": [SECRET, OLD_SECRET],
            "JOURNAL": "django",
            **overrides,
        }


@pytest.fixture(scope="session")
def django_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    pytest.importorskip("django")
    import django
    from django.conf import settings
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    from .django_project import settings as project

    directory = tmp_path_factory.mktemp("django")
    databases: dict[str, Any] = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(directory / "project.db"),
            "OPTIONS": {"timeout": 30},
            "TEST": {"NAME": str(directory / "test.db")},
        }
    }
    try:
        server = request.getfixturevalue("postgres_server")
    except pytest.skip.Exception:
        server = None  # no PostgreSQL here: SQLite only (CI=true fails instead)
    if server is not None:
        databases["pg"] = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": server.port,
            "TEST": {"NAME": f"django_test_{os.getpid()}"},
        }
    with Sandbox() as sandbox, sandbox.serve(port=0) as api:
        project_settings = {k: getattr(project, k) for k in dir(project) if k.isupper()}
        project_settings["DATABASES"] = databases
        settings.configure(**project_settings)
        QBANK = Project(sandbox, api.base_url, list(databases))
        settings.QBANK = QBANK.qbank()
        django.setup()
        setup_test_environment()
        old = setup_databases(verbosity=0, interactive=False, aliases=set(databases))
        try:
            yield QBANK
        finally:
            from qbank_connect.contrib.django.clients import reset_clients

            reset_clients()
            teardown_databases(old, verbosity=0)
            teardown_test_environment()


@pytest.fixture(params=["default", "pg"])
def alias(request: pytest.FixtureRequest, django_project: Project) -> Iterator[str]:
    """Each Django test on SQLite and on PostgreSQL: ``QBANK["DATABASE"]`` is this alias."""
    if request.param not in django_project.aliases:
        pytest.skip("PostgreSQL is not installed")
    from django.test import override_settings

    from qbank_connect.contrib.django.models import JournalRecord, WebhookEventRecord

    from .django_project.shop.models import Invoice
    from .django_project.shop.receivers import BEHAVIOUR, CALLS

    for model in (JournalRecord, WebhookEventRecord, Invoice):
        model.objects.using(request.param).all().delete()
    BEHAVIOUR.update({"fail": set(), "async": False})
    CALLS.clear()
    with override_settings(QBANK=django_project.qbank(DATABASE=request.param)):
        yield request.param


def project_path() -> Path:
    return Path(__file__).resolve().parent / "django_project"
