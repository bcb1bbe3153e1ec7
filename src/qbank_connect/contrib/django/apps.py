"""The Django app: ``INSTALLED_APPS = [..., "qbank_connect.contrib.django"]``."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["QBankConnectConfig"]


class QBankConnectConfig(AppConfig):
    name = "qbank_connect.contrib.django"
    label = "qbank_connect"
    verbose_name = "QBank Connect"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
