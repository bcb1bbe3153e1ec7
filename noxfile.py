"""The project's checks. `nox` runs the default sessions; `nox -l` lists them all.

Interpreters: nox finds python3.10 ... python3.13 on PATH, and this file adds pyenv's own (the
newest patch of each minor under `pyenv root`), so no PYENV_VERSION is needed. A Python that is
not installed skips its `tests` session, the single-Python checks (`types`, `lint`, ...) fall
back to the interpreter running nox, and the run ends by naming the Pythons not found. Under
CI=true a missing interpreter fails the run instead.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nox

nox.options.sessions = [
    "unasync_check",
    "lint",
    "types",
    "tests",
    "processes",
    "properties",
    "legacy_httpx",
    "aiohttp",
    "dist",
]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
TEST_REQUIREMENTS = "requirements/test.txt"
ON_CI = os.environ.get("CI", "").lower() in ("true", "1")
nox.options.error_on_missing_interpreters = ON_CI
CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"


def pyenv_root() -> Path | None:
    """pyenv's root (``$PYENV_ROOT``, ``pyenv root``, or ``~/.pyenv``), if pyenv is installed."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if pyenv := shutil.which("pyenv"):
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def pyenv_pythons(minors: list[str], root: Path | None) -> dict[str, Path]:
    """Minor version -> ``bin/pythonX.Y`` of the newest patch release pyenv has of it.

    Only plain CPython releases count (``3.12.1``, not ``3.13.0t``, ``3.12-dev`` or pypy).

    >>> pyenv_pythons(["3.12"], Path("~/.pyenv").expanduser())  # doctest: +SKIP
    {'3.12': PosixPath('/home/me/.pyenv/versions/3.12.1/bin/python3.12')}
    """
    versions = root / "versions" if root is not None else None
    if versions is None or not versions.is_dir():
        return {}
    newest: dict[str, tuple[int, Path]] = {}
    for entry in versions.iterdir():
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", entry.name)
        if match is None:
            continue
        minor, patch = f"{match[1]}.{match[2]}", int(match[3])
        exe = entry / "bin" / f"python{minor}"
        usable = minor in minors and exe.is_file() and os.access(exe, os.X_OK)
        if usable and (minor not in newest or patch > newest[minor][0]):
            newest[minor] = (patch, exe)
    return {minor: exe for minor, (_, exe) in sorted(newest.items())}


def runs(executable: str) -> bool:
    # A pyenv shim of a version that is not active is on PATH but fails when run.
    try:
        return (
            subprocess.run([executable, "-c", ""], capture_output=True, check=False).returncode == 0
        )
    except OSError:
        return False


def installed_pythons(minors: list[str]) -> set[str]:
    """The minors nox can find: this interpreter's, pyenv's (added to PATH here), or on PATH."""
    found = pyenv_pythons(minors, pyenv_root())
    # Appended, so that `python`, `python3` and every name already on PATH resolve as before.
    extra = [str(exe.parent) for exe in found.values()]
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *extra])
    installed = {CURRENT, *found}
    for minor in set(minors) - installed:
        exe = shutil.which(f"python{minor}")
        if exe is not None and runs(exe):
            installed.add(minor)
    return installed


WANTED = sorted({*PYTHONS, "3.11"}, key=lambda v: tuple(map(int, v.split("."))))
INSTALLED = installed_pythons(WANTED)
MISSING = [minor for minor in WANTED if minor not in INSTALLED]


def pythons_for(wanted: list[str]) -> list[str]:
    """The Pythons a check runs on: ``wanted`` on CI (a missing one fails); elsewhere those of
    ``wanted`` that are installed, or, when none is, the interpreter running nox."""
    if ON_CI:
        return wanted
    return [minor for minor in wanted if minor in INSTALLED] or [CURRENT]


@atexit.register
def report_missing_pythons() -> None:
    if MISSING:
        names = ", ".join(MISSING)
        print(
            f"\nnox: Python {names} not found (looked on PATH and in pyenv): their `tests`"
            f" sessions did not run; single-Python checks used Python {CURRENT} instead"
            f" (e.g. `pyenv install {MISSING[0]}` to run everything).",
            file=sys.stderr,
        )


# -- pytest sessions ------------------------------------------------------------------------------
# Every pytest session goes through `run_pytest`: one place for the install, the environment
# and the warnings policy (pyproject: every warning is an error). A new session is a function of
# three lines; add its name to `nox.options.sessions` if it belongs to the default run.
#
# What runs where (`-m` expressions over the markers in pyproject.toml):
#   tests-3.10 ... tests-3.13   everything but `slow` and `processes`, on 2 xdist workers
#   processes (3.11)            the `processes` proofs (tests/conftest.py PROCESS_PROOFS), once
#   properties (3.11)           the webhook property tests at 10,000 examples each, once
#   chaos, stampede, celery, exactly_once, exactly_once_stores   long (`slow`) runs, on demand
PER_PYTHON = "not slow and not processes"
TEST_ENV = {"HYPOTHESIS_PROFILE": "ci"}
XDIST = ["-n", "2"]  # measured on 2 cores: see CONTRIBUTING.md, "The checks"


def run_pytest(
    session: nox.Session,
    *args: str,
    extras: str = "cli",
    install: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> None:
    """Install the package (with ``extras``) and the test requirements, then run pytest."""
    session.install("-e", f".[{extras}]", "-r", TEST_REQUIREMENTS, *install)
    session.run("pytest", *args, *session.posargs, env={**TEST_ENV, **(env or {})})


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The unit, contract and end-to-end suites, both clients, asyncio and trio, on each Python;
    the process-level proofs run once, in `processes`."""
    run_pytest(session, *XDIST, "-m", PER_PYTHON)


@nox.session(python=pythons_for(["3.11"]))
def processes(session: nox.Session) -> None:
    """The proofs made with real processes, once: crashes and SIGKILLs (tests/exactly_once),
    several processes on one store, fork, Celery, the quickstart and README in subprocesses,
    the install and type-check subprocesses. Needs postgresql and redis-server (apt)."""
    run_pytest(
        session, "-m", "processes and not slow", "-rs", extras="cli,postgres,redis,token-cache"
    )


@nox.session(python=pythons_for(["3.11"]))
def properties(session: nox.Session) -> None:
    """The webhook property tests at 10,000 examples each (300 in the per-Python sessions)."""
    run_pytest(
        session,
        "tests/webhooks/test_webhooks_property.py",
        env={"QBANK_PROPERTY_EXAMPLES": "10000"},
    )


@nox.session(python=pythons_for(["3.11"]))
def unasync_check(session: nox.Session) -> None:
    """Fail if src/qbank_connect/_sync or tests/_sync is not what scripts/unasync.py generates."""
    session.install("-r", "requirements/unasync.txt")  # the generator's pinned ruff
    session.run("python", "scripts/unasync.py", "--check")


@nox.session(python=pythons_for(["3.11"]))
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run(
        "ruff", "format", "--check", "src", "tests", "scripts", "examples", "bench", "noxfile.py"
    )


@nox.session(python=pythons_for(["3.10", "3.13"]))
def types(session: nox.Session) -> None:
    """mypy --strict and pyright (strict, see pyproject) over the package, oldest and newest Python
    (or, when neither is installed, the Python running nox)."""
    # Every extra the package imports somewhere, httpx (the legacy client type) and pytest (the
    # plugin, qbank_connect.testing).
    session.install(
        "-e",
        ".[aiohttp,cli,otel,postgres,redis,token-cache,jwt,django,fastapi,celery]",
        "mypy",
        "pyright",
        "httpx",
        "pytest",
        "django-stubs",  # Django ships no types; contrib/django must type-check
    )
    session.run("mypy", "--strict", "src/qbank_connect")
    session.run("pyright", "src/qbank_connect")


@nox.session(python=pythons_for(["3.11"]))
def bench(session: nox.Session) -> None:
    """The speed benchmark (bench/README.md); not a default session. `nox -s bench -- --quick`."""
    session.install("-e", ".[aiohttp]")
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python=pythons_for(["3.11"]))
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


@nox.session(python=pythons_for(["3.11"]))
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


@nox.session(python=pythons_for(["3.11"]))
def celery(session: nox.Session) -> None:
    """A real Celery worker SIGKILLed after paying, the task redelivered: one payment
    (tests/celery_tasks.py on qbank_connect.contrib.celery.QBankTask, docs/celery.md). Needs `redis-server` on PATH."""
    session.install("-e", ".", "-r", TEST_REQUIREMENTS)
    if shutil.which("redis-server") is None:
        session.error("redis-server is not installed (apt-get install redis-server)")
    session.run(
        "pytest", "-W", "error::ResourceWarning", "-rs", "tests/test_celery.py", *session.posargs
    )


@nox.session(python=pythons_for(["3.11"]))
def django42(session: nox.Session) -> None:
    """The Django integration's tests with Django 4.2 LTS (the default session has the newest)."""
    session.install("-e", ".[postgres]", "-r", TEST_REQUIREMENTS, "django>=4.2,<4.3")
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        "-rs",
        "tests/contrib/test_django.py",
        "tests/contrib/test_django_journal.py",
        *session.posargs,
    )


WHEEL_MUST_HAVE = [
    "qbank_connect/py.typed",
    "qbank_connect/_sync/client.py",
    "qbank_connect/sandbox/__init__.py",
    "qbank_connect/contrib/django/migrations/0001_initial.py",
]
SDIST_MUST_HAVE = [
    "requirements/test.txt",
    "docs/sandbox.md",
    "LICENSE",
    "tests/conftest.py",
    "noxfile.py",
]


def distribution_problems(wheel: Path, sdist: Path) -> list[str]:
    """What is wrong with a built wheel and sdist (an empty list when nothing is).

    The wheel must carry the typing marker, the generated sync client and the sandbox, and no
    tests; the sdist must be able to run its own tests and hold the documents the README links.
    """
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = set(archive.namelist())
    problems += [
        f"{wheel.name} lacks {name}" for name in WHEEL_MUST_HAVE if name not in wheel_files
    ]
    problems += [
        f"{wheel.name} contains {name}"
        for name in sorted(wheel_files)
        if name.startswith("tests/") or "/tests/" in name
    ]
    if not any(re.search(r"\.dist-info/licenses/LICENSE$", name) for name in wheel_files):
        problems.append(f"{wheel.name} lacks the LICENSE in its .dist-info")
    with tarfile.open(sdist) as archive:  # every member is under qbank_connect-<version>/
        sdist_files = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    problems += [
        f"{sdist.name} lacks {name}" for name in SDIST_MUST_HAVE if name not in sdist_files
    ]
    return problems


@nox.session(python=pythons_for(["3.11"]))
def dist(session: nox.Session) -> None:
    """Build the sdist and the wheel, `twine check --strict` them, and check what they contain."""
    session.install("build", "twine")
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(out))
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    session.run("twine", "check", "--strict", str(wheel), str(sdist))
    if problems := distribution_problems(wheel, sdist):
        session.error("; ".join(problems))
    session.log(f"{wheel.name} and {sdist.name}: contents as expected")


# The suites that run again with legacy httpx clients injected (tests/legacy_http.py).
LEGACY_SUITES = [
    f"tests/{tree}/test_{name}.py"
    for tree in ("_async", "_sync")
    for name in (
        "e2e",
        "errors",
        "faults_malformed",
        "retries",
        "idempotency",
        "auth",
        "resources",
        "pipeline",
        "extras",
        "hooks",
    )
]


@nox.session(python=pythons_for(["3.11"]))
def legacy_httpx(session: nox.Session) -> None:
    """The end-to-end and error-map suites again, the SDK given legacy httpx clients."""
    session.install("-e", ".", "-r", TEST_REQUIREMENTS, "httpx")
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        *LEGACY_SUITES,
        *session.posargs,
        env={"QBANK_TEST_HTTP_LIBRARY": "httpx"},
    )


# The suites that run again on the aiohttp backend (tests/aiohttp_bridge.py), async only.
AIOHTTP_SUITES = [
    *(path for path in LEGACY_SUITES if path.startswith("tests/_async/")),
    "tests/_async/test_tracing.py",
    "tests/_async/test_faults_stampede.py",
    "tests/_async/test_mtls.py",
    "tests/_async/test_journal.py",
    "tests/_async/test_journal_guards.py",
    "tests/test_aiohttp.py",
]


@nox.session(python=pythons_for(["3.11"]))
def aiohttp(session: nox.Session) -> None:
    """The async suites again on ``http_backend="aiohttp"`` (asyncio; the trio runs skip), and
    the aiohttp backend's own tests (timeouts, TLS, proxies, fork, closing)."""
    session.install("-e", ".[aiohttp,otel]", "-r", TEST_REQUIREMENTS)
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        *AIOHTTP_SUITES,
        *session.posargs,
        env={"QBANK_TEST_HTTP_LIBRARY": "aiohttp"},
    )


@nox.session(python="3.11")
def exactly_once_stores(session: nox.Session) -> None:
    """The stores' proofs in full (`-m slow` too): 16 processes on a cold shared token cache make
    one POST /token (SQLite, Redis, PostgreSQL); a journal write on the token cache's SQLite file
    during a 35 s token request succeeds; two receivers x 1,000 events x 3 deliveries, one handler
    in ten SIGKILLed, are handled once each; no secret at rest. Needs postgresql and
    redis-server (apt); with CI=true they must be there."""
    session.install("-e", ".[postgres,redis,token-cache]", "-r", TEST_REQUIREMENTS)
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        "-m",
        "slow or not slow",
        "-rs",
        "tests/test_stores.py",
        "tests/_async/test_token_cache.py",
        "tests/_sync/test_token_cache.py",
        "tests/test_token_cache_processes.py",
        "tests/test_token_cache_locks.py",
        "tests/test_at_rest.py",
        "tests/_async/test_event_stores.py",
        "tests/_sync/test_event_stores.py",
        "tests/webhooks/test_dedup_stores.py",
        "tests/webhooks/test_dedup_crash.py",
        *session.posargs,
    )


@nox.session(python="3.11")
def exactly_once(session: nox.Session) -> None:
    """The payment journal's proofs in full (tests/exactly_once/, `-m slow`): the crash test on
    SQLite and PostgreSQL, 8 workers SIGKILLed while paying 2,000 references; the fleet test,
    8 workers on clocks skewed -2 h..+2 h, SIGKILLed and SIGSTOPped, the world moved 25 h
    mid-run. Needs postgresql and faketime (apt); the short versions run in the default
    session."""
    session.install("-e", ".[postgres,token-cache]", "-r", TEST_REQUIREMENTS)
    session.run(
        "pytest",
        "-W",
        "error::ResourceWarning",
        "-m",
        "slow",
        "-rs",
        "tests/exactly_once/",
        *session.posargs,
    )
