"""The project's checks. `nox` runs the default sessions; `nox -l` lists them all.

Interpreters: nox looks for python3.10 ... python3.13 on PATH (with pyenv, list them in
PYENV_VERSION, e.g. `PYENV_VERSION=3.11.7:3.10.13:3.12.1:3.13.0`).
"""

from __future__ import annotations

import shutil

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
        "-m",
        "not slow",  # the long ones run in their own sessions (chaos, stampede)
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "ci"},
    )


@nox.session(python="3.11")
def unasync_check(session: nox.Session) -> None:
    """Fail if src/qbank_connect/_sync or tests/_sync is not what scripts/unasync.py generates."""
    session.install("-r", "requirements/unasync.txt")  # the generator's pinned ruff
    session.run("python", "scripts/unasync.py", "--check")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run(
        "ruff", "format", "--check", "src", "tests", "scripts", "examples", "bench", "noxfile.py"
    )


@nox.session(python=["3.10", "3.13"])
def types(session: nox.Session) -> None:
    """mypy --strict and pyright (strict, see pyproject) over the package, oldest and newest Python."""
    session.install("-e", ".", "mypy", "pyright")
    session.run("mypy", "--strict", "src/qbank_connect")
    session.run("pyright", "src/qbank_connect")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """The speed benchmark (bench/README.md); not a default session. `nox -s bench -- --quick`."""
    session.install("-e", ".")
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python="3.11")
def chaos(session: nox.Session) -> None:
    """Chaos run, both clients under random faults (tests/chaos.py): 2,000 payments by default;
    `nox -s chaos -- --payments 10000`, `-- --backend trio`, `-- --seed N`."""
    session.install("-e", ".", "-r", TEST_REQUIREMENTS)
    session.run(
        "python",
        "-W",
        "error::ResourceWarning",
        "-m",
        "tests.chaos",
        "--payments",
        "2000",
        *session.posargs,
    )


@nox.session(python="3.11")
def stampede(session: nox.Session) -> None:
    """Token stampedes, all of them (1,000 tasks on asyncio and trio, 64 threads)."""
    session.install("-e", ".", "-r", TEST_REQUIREMENTS)
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        "-m",
        "slow or not slow",
        "tests/_async/test_faults_stampede.py",
        "tests/_sync/test_faults_stampede.py",
        *session.posargs,
    )


@nox.session(python="3.11")
def celery(session: nox.Session) -> None:
    """A real Celery worker SIGKILLed after paying, the task redelivered: one payment
    (examples/celery_payments.py, docs/celery.md). Needs `redis-server` on PATH."""
    session.install("-e", ".", "-r", TEST_REQUIREMENTS)
    if shutil.which("redis-server") is None:
        session.error("redis-server is not installed (apt-get install redis-server)")
    session.run(
        "pytest", "-W", "error::ResourceWarning", "-rs", "tests/test_celery.py", *session.posargs
    )
