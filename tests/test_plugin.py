"""The pytest plugin (``qbank_connect.testing``), proven on a small user project run by pytest
in a subprocess: the docs' FastAPI and Django examples and their tests, found through the
``pytest11`` entry point with no conftest.py."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qbank_connect

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(qbank_connect.__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "testing"


def _entry_point_registered() -> bool:
    return any(
        ep.name == "qbank_connect.testing" and ep.value == "qbank_connect.testing"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )


def _declared_entry_points() -> str:
    """The pytest11 table of pyproject.toml, as an installed package's entry_points.txt."""
    text = (ROOT / "pyproject.toml").read_text()
    table = re.search(r"^\[project\.entry-points\.pytest11\]\n((?:[^\[\n].*\n)+)", text, re.M)
    assert table is not None, "pyproject.toml declares no pytest11 entry point"
    lines = [line.replace('"', "").replace(" ", "") for line in table.group(1).splitlines()]
    return "[pytest11]\n" + "\n".join(line for line in lines if line and line[0] != "#") + "\n"


def _user_project(tmp_path: Path, *, examples: bool = True) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    project.mkdir()
    if examples:
        for path in EXAMPLES.glob("*.py"):
            shutil.copy(path, project / path.name)
    (project / "test_untouched.py").write_text(
        "import sys\n\n"
        "def test_nothing_of_the_sdk_is_loaded_unless_a_fixture_asks():\n"
        "    assert 'qbank_connect.sandbox' not in sys.modules\n"
        "    assert 'qbank_connect.models' not in sys.modules\n"
        "    assert 'pydantic' not in sys.modules\n"
        "    assert 'httpx2' not in sys.modules\n"
    )
    paths = [str(project), str(SRC)]
    if not _entry_point_registered():
        # Not installed (a checkout): give the subprocess the entry point pyproject.toml
        # declares, the way an installed distribution would, so discovery is the real one.
        site = tmp_path / "site"
        info = site / "qbank_connect_plugin_check-0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: qbank-connect-plugin-check\nVersion: 0\n"
        )
        (info / "entry_points.txt").write_text(_declared_entry_points())
        paths.append(str(site))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBANK_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return project, env


def _pytest(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error::ResourceWarning",
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_user_project_gets_the_fixtures(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("django")
    project, env = _user_project(tmp_path)
    done = _pytest(project, env, "-p", "anyio", "--ignore=test_untouched.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b7 passed\b", done.stdout), done.stdout


def test_a_project_that_does_not_use_it_loads_nothing_of_the_sdk(tmp_path: Path) -> None:
    project, env = _user_project(tmp_path, examples=False)
    done = _pytest(project, env, "-p", "no:anyio", "-p", "no:asyncio", "-p", "no:hypothesispytest")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout


def test_explicit_p_and_the_entry_point_are_one_plugin(tmp_path: Path) -> None:
    project, env = _user_project(tmp_path, examples=False)
    done = _pytest(project, env, "-p", "qbank_connect.testing", "test_untouched.py", "--fixtures")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("qbank_sandbox_server") >= 1


def test_it_can_be_disabled(tmp_path: Path) -> None:
    project, env = _user_project(tmp_path, examples=False)
    (project / "test_fixture.py").write_text("def test_it(qbank_sandbox):\n    pass\n")
    done = _pytest(project, env, "-p", "no:qbank_connect.testing", "test_fixture.py")
    assert done.returncode == 1
    assert "fixture 'qbank_sandbox' not found" in done.stdout
