"""``with thing:`` for anything with a ``close()``."""

from __future__ import annotations

from typing_extensions import Self

__all__ = ["Closing"]


class Closing:
    """Makes ``with obj:`` call ``obj.close()`` on the way out, exception or not."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
