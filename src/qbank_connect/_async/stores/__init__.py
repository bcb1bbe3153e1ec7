"""The stores' I/O for the async client: connections (SQLite, PostgreSQL, Redis), the payment
journal and the calls made through it, and the shared token cache. ``_sync/stores/`` is
generated from this folder by ``scripts/unasync.py``."""
