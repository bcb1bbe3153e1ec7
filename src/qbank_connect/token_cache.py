"""The shared token cache: ``QBankConnect(..., token_cache=...)``.

Give a store URL, and every process using it shares one token per (client id, scopes, base
URL), refreshed by one process at a time:

- ``"sqlite:///qbank-tokens.db"`` (processes on one host; a file created ``0600``),
- ``"postgresql://user:pw@db/qbank"`` (``pip install "qbank-connect[postgres,token-cache]"``),
- ``"redis://cache:6379/0"`` (``pip install "qbank-connect[redis,token-cache]"``).

Or give an object: a :class:`TokenStore` for ``QBankConnect``, an :class:`AsyncTokenStore` for
``AsyncQBankConnect``. Entries are encrypted with AES-GCM under a key derived from the client
secret (the ``cryptography`` package, extra ``token-cache``): a copy of the store alone is not a
usable token. An entry that does not decrypt is ignored and replaced.

Example::

    from qbank_connect import QBankConnect

    client = QBankConnect(token_cache="redis://cache.internal:6379/0")
"""

from __future__ import annotations

from ._async.stores.token_cache import AsyncTokenStore
from ._sync.stores.token_cache import TokenStore

__all__ = ["AsyncTokenStore", "TokenStore"]
