"""Field types with the contract's formats, checked before anything is sent."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, overload

from pydantic import AfterValidator, BeforeValidator, StringConstraints

__all__ = [
    "AccountNumber",
    "Bic",
    "CheckNumber",
    "Coerced",
    "Currency",
    "RequestDate",
    "ResourceId",
    "RoutingNumber",
    "is_valid_routing_number",
]

_ROUTING_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def is_valid_routing_number(value: str) -> bool:
    """True when ``value`` is 9 digits whose ABA check digit is right.

    >>> is_valid_routing_number("021000021")
    True
    """
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(value, _ROUTING_WEIGHTS, strict=True)) % 10 == 0


def _routing_number(value: str) -> str:
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        raise ValueError("must be 9 digits")
    if not is_valid_routing_number(value):
        raise ValueError("has an invalid ABA check digit")
    return value


def _request_date(value: Any) -> Any:
    # A datetime is a date too for Python, but sending its date part silently would hide a bug.
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a datetime")
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date in the form YYYY-MM-DD")
    return value


RoutingNumber = Annotated[str, StringConstraints(strict=True), AfterValidator(_routing_number)]
AccountNumber = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{4,17}$")]
Currency = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")]
Bic = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")]
CheckNumber = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{1,15}$")]
ResourceId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128)]
ValueT = TypeVar("ValueT")
InputT = TypeVar("InputT")

if TYPE_CHECKING:

    class Coerced(Generic[ValueT, InputT]):
        """A field that holds a ``ValueT`` and accepts any ``InputT`` on construction.

        Type checkers only see this descriptor: the typing spec makes a dataclass-like
        ``__init__`` (pydantic's, through ``dataclass_transform``) take a descriptor field's
        ``__set__`` type, while reading the attribute gives the ``__get__`` type. So
        ``AchPaymentRequest(amount="1000.50")`` type-checks, and ``request.amount`` is a
        ``Decimal``, without the pydantic mypy plugin. At run time ``Coerced[V, I]`` is ``V``.
        """

        @overload
        def __get__(self, instance: None, owner: type[Any]) -> Coerced[ValueT, InputT]: ...
        @overload
        def __get__(self, instance: object, owner: type[Any]) -> ValueT: ...
        def __get__(self, instance: object, owner: type[Any]) -> Any: ...
        def __set__(self, instance: object, value: InputT) -> None: ...

else:

    class Coerced:
        """At run time ``Coerced[V, I]`` is ``V``, the type pydantic validates to."""

        def __class_getitem__(cls, params: tuple[Any, Any]) -> Any:
            value_type, _input_type = params
            return value_type


RequestDate = Coerced[Annotated[date, BeforeValidator(_request_date)], date | str]
"""A date sent to the API: a ``datetime.date`` or a ``"YYYY-MM-DD"`` string, never a datetime."""
