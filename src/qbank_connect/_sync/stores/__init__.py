# Generated from src/qbank_connect/_async/stores/__init__.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The stores' I/O for the async client: connections (SQLite, PostgreSQL, Redis), the payment
journal and the calls made through it, and the shared token cache. ``_sync/stores/`` is
generated from this folder by ``scripts/unasync.py``."""
