# Generated from src/qbank_connect/_async/resources/__init__.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
from .accounts import Accounts, AccountsWithRawResponse
from .balances import Balances, BalancesWithRawResponse
from .payments import Payments, PaymentsWithRawResponse
from .positive_pay import PositivePay, PositivePayWithRawResponse
from .transactions import Transactions, TransactionsWithRawResponse
from .transfers import Transfers, TransfersWithRawResponse

__all__ = [
    "Accounts",
    "AccountsWithRawResponse",
    "Balances",
    "BalancesWithRawResponse",
    "Payments",
    "PaymentsWithRawResponse",
    "PositivePay",
    "PositivePayWithRawResponse",
    "Transactions",
    "TransactionsWithRawResponse",
    "Transfers",
    "TransfersWithRawResponse",
]
