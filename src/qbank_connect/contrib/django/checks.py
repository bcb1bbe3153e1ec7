"""System checks for ``settings.QBANK``: ``manage.py check`` reports every problem by id."""

from __future__ import annotations

from typing import Any

from django.core import checks

from .conf import problems

__all__ = ["check_settings"]


@checks.register("qbank_connect")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``qbank_connect.E001`` ... for errors, ``qbank_connect.W001`` ... for warnings."""
    return [
        (checks.Error if p.error else checks.Warning)(p.msg, hint=p.hint, id=p.id)
        for p in problems()
    ]
