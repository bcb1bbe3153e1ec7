"""The errors of the SDK's stores: the shared token cache, the payment journal and webhook
de-duplication, on SQLite, PostgreSQL or Redis.

All are :class:`~qbank_connect.errors.QBankError`; they are re-exported by
``qbank_connect.errors``. No message ever contains a password from a store URL: URLs are shown
with their password replaced by ``***``.

Example::

    from qbank_connect.errors import QBankStoreError

    try:
        client = QBankConnect(token_cache="redis://cache.internal:6379/0")
        client.authenticate()
    except QBankStoreError as e:
        print("the token cache is not usable:", e)
"""

from __future__ import annotations

from .errors import QBankError

__all__ = [
    "QBankStoreDriverMissingError",
    "QBankStoreError",
    "QBankStoreURLError",
    "QBankStoreUnavailableError",
]


class QBankStoreError(QBankError):
    """A store (token cache, journal, webhook de-duplication) cannot be used."""


class QBankStoreURLError(QBankStoreError, ValueError):
    """A store URL is malformed, or names a scheme the SDK does not know (raised before any I/O)."""


class QBankStoreDriverMissingError(QBankStoreError, ImportError):
    """The optional package a store needs is not installed; the message names the extra."""


class QBankStoreUnavailableError(QBankStoreError):
    """The store cannot be opened, reached or written: a closed port, a read-only or corrupt
    SQLite file, a refused login."""
