"""qbank-connect: the Python SDK for the QBank Connect banking API.

Example::

    from qbank_connect import QBankConnect

    with QBankConnect(client_id="...", client_secret="...", scopes=["balances.read"]) as client:
        balance = client.balances.get("acc_8f2k19")
        print(balance.available)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors
from ._idempotency import idempotency_key_for
from ._version import __version__
from .errors import (
    QBankAPIError,
    QBankAuthenticationError,
    QBankBadRequestError,
    QBankCertificateError,
    QBankClosedError,
    QBankConflictError,
    QBankConnectionError,
    QBankError,
    QBankHookAbort,
    QBankIdempotencyConflict,
    QBankIdempotencyKeyReuseError,
    QBankInsufficientFundsError,
    QBankInternalServerError,
    QBankNotFoundError,
    QBankPaymentWaitTimeout,
    QBankPermissionDeniedError,
    QBankRateLimitError,
    QBankReconciliationRequiredError,
    QBankReferenceReuseError,
    QBankRequestError,
    QBankResponseValidationError,
    QBankServiceUnavailableError,
    QBankTimeoutError,
    QBankTLSError,
    QBankTokenError,
    QBankUnprocessableEntityError,
    QBankWebhookVerificationError,
)

if TYPE_CHECKING:
    from . import journal, models, sandbox, webhooks
    from ._async.client import AsyncQBankConnect
    from ._async.pagination import AsyncPage
    from ._hooks import CallInfo
    from ._paginator import AsyncPaginator
    from ._response import RawResponse
    from ._sync.client import QBankConnect
    from ._sync.pagination import Page

    QBankConnectClient = QBankConnect
    """The name the SDK guide uses; the same class as :class:`QBankConnect`."""

__all__ = [
    "AsyncPage",
    "AsyncPaginator",
    "AsyncQBankConnect",
    "CallInfo",
    "Page",
    "QBankAPIError",
    "QBankAuthenticationError",
    "QBankBadRequestError",
    "QBankCertificateError",
    "QBankClosedError",
    "QBankConflictError",
    "QBankConnect",
    "QBankConnectClient",
    "QBankConnectionError",
    "QBankError",
    "QBankHookAbort",
    "QBankIdempotencyConflict",
    "QBankIdempotencyKeyReuseError",
    "QBankInsufficientFundsError",
    "QBankInternalServerError",
    "QBankNotFoundError",
    "QBankPaymentWaitTimeout",
    "QBankPermissionDeniedError",
    "QBankRateLimitError",
    "QBankReconciliationRequiredError",
    "QBankReferenceReuseError",
    "QBankRequestError",
    "QBankResponseValidationError",
    "QBankServiceUnavailableError",
    "QBankTLSError",
    "QBankTimeoutError",
    "QBankTokenError",
    "QBankUnprocessableEntityError",
    "QBankWebhookVerificationError",
    "RawResponse",
    "__version__",
    "errors",
    "idempotency_key_for",
    "journal",
    "models",
    "sandbox",
    "webhooks",
]


# Imported on first use, keeping `import` fast: each client pulls in only its own tree (a blocking
# app never loads the async pipeline and anyio, and vice versa); the sandbox and the webhook
# helpers are for tests and receivers only; the models (pydantic) load with the first client, so
# `qbank --help` and `import qbank_connect.errors` do not pay for them.
_LAZY = {
    "models": (".models", None),
    "QBankConnect": ("._sync.client", "QBankConnect"),
    "QBankConnectClient": ("._sync.client", "QBankConnect"),
    "AsyncQBankConnect": ("._async.client", "AsyncQBankConnect"),
    "journal": (".journal", None),
    "AsyncPage": ("._async.pagination", "AsyncPage"),
    "AsyncPaginator": ("._paginator", "AsyncPaginator"),
    "CallInfo": ("._hooks", "CallInfo"),
    "Page": ("._sync.pagination", "Page"),
    "RawResponse": ("._response", "RawResponse"),
    "sandbox": (".sandbox", None),
    "webhooks": (".webhooks", None),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
