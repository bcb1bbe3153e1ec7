from .accounts import AsyncAccounts, AsyncAccountsWithRawResponse
from .balances import AsyncBalances, AsyncBalancesWithRawResponse
from .payments import AsyncPayments, AsyncPaymentsWithRawResponse
from .positive_pay import AsyncPositivePay, AsyncPositivePayWithRawResponse
from .transactions import AsyncTransactions, AsyncTransactionsWithRawResponse
from .transfers import AsyncTransfers, AsyncTransfersWithRawResponse

__all__ = [
    "AsyncAccounts",
    "AsyncAccountsWithRawResponse",
    "AsyncBalances",
    "AsyncBalancesWithRawResponse",
    "AsyncPayments",
    "AsyncPaymentsWithRawResponse",
    "AsyncPositivePay",
    "AsyncPositivePayWithRawResponse",
    "AsyncTransactions",
    "AsyncTransactionsWithRawResponse",
    "AsyncTransfers",
    "AsyncTransfersWithRawResponse",
]
