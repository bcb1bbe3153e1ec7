"""``qbank``: the QBank Connect API from a shell (the ``cli`` extra: ``pip install ".[cli]"``).

Example::

    $ qbank balances get acc_operating --sandbox
    $ qbank payments create-ach --csv payroll.csv --account acc_payroll

See ``docs/cli.md``. Built on Typer (Click) and rich, which the ``cli`` extra installs; this
module imports neither until :func:`main` runs, and the SDK only when a command runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

EXTRA_HINT = (
    'the qbank command line needs the "cli" extra: from a checkout, python -m pip install '
    '".[cli]"; from a wheel, python -m pip install "dist/qbank_connect-<version>-py3-none-any'
    '.whl[cli]" (pip install "qbank-connect[cli]" once it is published on PyPI)'
)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``qbank`` console script (and ``python -m qbank_connect``).

    Example::

        from qbank_connect.cli import main
        main(["accounts", "list", "--sandbox", "--output", "json"])   # exits via SystemExit
    """
    try:
        import rich  # noqa: F401  # pyright: ignore[reportUnusedImport]
        import typer  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as exc:
        sys.stderr.write(f"qbank: {EXTRA_HINT} (missing: {exc.name})\n")
        raise SystemExit(1) from None
    from ._app import run

    run(None if argv is None else list(argv))
