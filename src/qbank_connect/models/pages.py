"""The list envelopes of the contract: one page of ``data`` and the ``next_cursor``."""

from __future__ import annotations

from typing import Generic, TypeVar

from ._base import ResponseModel
from .resources import Account, CheckException, Payment, Transaction

__all__ = ["AccountList", "CheckExceptionList", "ListEnvelope", "PaymentList", "TransactionList"]

ItemT = TypeVar("ItemT")


class ListEnvelope(ResponseModel, Generic[ItemT]):
    data: list[ItemT]
    next_cursor: str | None = None


class AccountList(ListEnvelope[Account]):
    """A page of accounts (schema ``AccountList``)."""


class TransactionList(ListEnvelope[Transaction]):
    """A page of transactions, newest posting first (schema ``TransactionList``)."""


class PaymentList(ListEnvelope[Payment]):
    """A page of payments, newest first (schema ``PaymentList``)."""


class CheckExceptionList(ListEnvelope[CheckException]):
    """A page of Positive Pay exceptions (schema ``CheckExceptionList``)."""
