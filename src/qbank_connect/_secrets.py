"""Credentials wrapped so that no repr, log line or traceback can show them."""

from __future__ import annotations

from typing import Final

__all__ = ["Secret"]


class Secret:
    """Holds a credential; only :meth:`reveal` returns it.

    >>> Secret("p@ss")
    Secret('***')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value: Final = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")
