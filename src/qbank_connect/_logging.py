"""The ``qbank_connect`` logger. ``QBANK_LOG=debug`` (or ``info``) turns it on.

Only method, path, status, ids, retries and timings are logged: never headers, bodies, tokens or
credentials, so nothing here needs redacting after the fact."""

from __future__ import annotations

import logging
import os

__all__ = ["logger", "setup_logging_from_env"]

logger = logging.getLogger("qbank_connect")

_configured = False


def setup_logging_from_env() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    level = os.environ.get("QBANK_LOG", "").strip().lower()
    if level not in ("debug", "info"):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
