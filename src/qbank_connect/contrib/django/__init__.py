"""QBank Connect in Django: ``INSTALLED_APPS = [..., "qbank_connect.contrib.django"]``.

``pip install "qbank-connect[django]"``; see docs/django.md. Configure it with ``QBANK`` in your
settings; ``get_client()`` and ``aget_client()`` return the process's clients.

Example::

    from qbank_connect.contrib.django import get_client

    payment = get_client().payments.create_ach(request=ach, reference=f"invoice:{invoice.pk}")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clients import aget_client, get_client

__all__ = ["aget_client", "get_client"]


def __getattr__(name: str) -> Any:
    # Lazily: Django imports this package before the settings and the app registry are ready.
    if name in __all__:
        from . import clients

        return getattr(clients, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
