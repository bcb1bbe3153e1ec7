"""The project's checks. `nox` runs the default sessions; `nox -l` lists them all.

Interpreters: nox looks for python3.10 ... python3.13 on PATH (with pyenv, list them in
PYENV_VERSION, e.g. `PYENV_VERSION=3.11.7:3.10.13:3.12.1:3.13.0`).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["unasync_check", "lint", "types", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
TEST_REQUIREMENTS = "requirements/test.txt"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The unit, contract and end-to-end suites, both clients, asyncio and trio."""
    session.install("-e", ".", "-r", TEST_REQUIREMENTS)
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "ci"},
    )


@nox.session(python="3.11")
def unasync_check(session: nox.Session) -> None:
    """Fail if src/qbank_connect/_sync or tests/_sync is not what scripts/unasync.py generates."""
    session.install("unasync", "setuptools")
    session.run("python", "scripts/unasync.py", "--check")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=["3.10", "3.13"])
def types(session: nox.Session) -> None:
    """mypy --strict over the package, on the oldest and newest Python."""
    session.install("-e", ".", "mypy")
    session.run("mypy", "--strict", "src/qbank_connect")
