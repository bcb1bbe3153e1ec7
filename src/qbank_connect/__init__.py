"""qbank-connect: the Python SDK for the QBank Connect banking API.

Example::

    from qbank_connect import QBankConnect

    with QBankConnect(client_id="...", client_secret="...", scopes=["balances.read"]) as client:
        balance = client.balances.get("acc_8f2k19")
        print(balance.available)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors, models
from ._async.client import AsyncQBankConnect
from ._sync.client import QBankConnect
from ._version import __version__
from .errors import (
    QBankAPIError,
    QBankAuthenticationError,
    QBankBadRequestError,
    QBankConflictError,
    QBankConnectionError,
    QBankError,
    QBankIdempotencyConflict,
    QBankIdempotencyKeyReuseError,
    QBankInsufficientFundsError,
    QBankInternalServerError,
    QBankNotFoundError,
    QBankPaymentWaitTimeout,
    QBankPermissionDeniedError,
    QBankRateLimitError,
    QBankResponseValidationError,
    QBankServiceUnavailableError,
    QBankTimeoutError,
    QBankTokenError,
    QBankUnprocessableEntityError,
    QBankWebhookVerificationError,
)

if TYPE_CHECKING:
    from . import sandbox, webhooks

QBankConnectClient = QBankConnect
"""The name the SDK guide uses; the same class as :class:`QBankConnect`."""

__all__ = [
    "AsyncQBankConnect",
    "QBankAPIError",
    "QBankAuthenticationError",
    "QBankBadRequestError",
    "QBankConflictError",
    "QBankConnect",
    "QBankConnectClient",
    "QBankConnectionError",
    "QBankError",
    "QBankIdempotencyConflict",
    "QBankIdempotencyKeyReuseError",
    "QBankInsufficientFundsError",
    "QBankInternalServerError",
    "QBankNotFoundError",
    "QBankPaymentWaitTimeout",
    "QBankPermissionDeniedError",
    "QBankRateLimitError",
    "QBankResponseValidationError",
    "QBankServiceUnavailableError",
    "QBankTimeoutError",
    "QBankTokenError",
    "QBankUnprocessableEntityError",
    "QBankWebhookVerificationError",
    "__version__",
    "errors",
    "models",
    "sandbox",
    "webhooks",
]


def __getattr__(name: str) -> Any:
    # The sandbox and the webhook helpers are imported on first use, keeping `import` fast.
    if name in ("sandbox", "webhooks"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
