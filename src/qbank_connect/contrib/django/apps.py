"""The Django app: ``INSTALLED_APPS = [..., "qbank_connect.contrib.django"]``."""

from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig

__all__ = ["QBankConnectConfig"]


class QBankConnectConfig(AppConfig):
    name = "qbank_connect.contrib.django"
    label = "qbank_connect"
    verbose_name = "QBank Connect"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import_module(f"{self.name}.checks")  # registers the system checks
