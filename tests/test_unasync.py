"""The generated sync twin must be exactly what scripts/unasync.py writes, and its rules honest."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "unasync.py"


def check(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "unasync.py"), *options],
        capture_output=True,
        text=True,
        check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    for part in ("scripts", "src", "tests"):
        shutil.copytree(
            ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copyfile(ROOT / "pyproject.toml", target / "pyproject.toml")  # ruff's configuration
    return target


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_up_to_date() -> None:
    result = check(ROOT, "--check")
    assert result.returncode == 0, result.stderr


def test_hand_edit_of_a_generated_file_is_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    generated = project / "src/qbank_connect/_sync/requester.py"
    generated.write_text(generated.read_text() + "\n# a hand edit\n")
    result = check(project, "--check")
    assert result.returncode == 1
    assert "differs: src/qbank_connect/_sync/requester.py" in result.stderr


def test_missing_and_stale_files_are_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "src/qbank_connect/_sync/pagination.py").unlink()
    (project / "src/qbank_connect/_sync/orphan.py").write_text("x = 1\n")
    result = check(project, "--check")
    assert result.returncode == 1
    assert "missing: src/qbank_connect/_sync/pagination.py" in result.stderr
    assert "stale (no async source): src/qbank_connect/_sync/orphan.py" in result.stderr


def test_output_is_byte_stable(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    subprocess.run([sys.executable, str(project / "scripts/unasync.py")], check=True)
    first = {p: p.read_bytes() for p in (project / "src/qbank_connect/_sync").rglob("*.py")}
    subprocess.run([sys.executable, str(project / "scripts/unasync.py")], check=True)
    second = {p: p.read_bytes() for p in (project / "src/qbank_connect/_sync").rglob("*.py")}
    assert first == second


def test_a_rule_that_matches_nothing_fails_the_run(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    script = project / "scripts/unasync.py"
    text = script.read_text()
    table = "RULES: tuple[Rule, ...] = (\n"
    assert table in text
    script.write_text(text.replace(table, table + '    Rule("name", "aread", "read"),\n'))
    before = (project / "src/qbank_connect/_sync/client.py").read_bytes()
    for options in (["--check"], []):
        result = check(project, *options)
        assert result.returncode == 1
        assert "matched nothing" in result.stderr
        assert "name rule 'aread' -> 'read'" in result.stderr
    assert (project / "src/qbank_connect/_sync/client.py").read_bytes() == before  # nothing written


def test_a_drifted_sentence_fails_the_run(tmp_path: Path) -> None:
    # The async docstring a prose rule rewrites is edited: the rule no longer matches, and says so
    # instead of leaving the blocking twin with a sentence about event loops.
    project = copy_project(tmp_path)
    source = project / "src/qbank_connect/_async/http.py"
    text = source.read_text()
    assert "The owner is the event loop: " in text
    source.write_text(text.replace("The owner is the event loop: ", "The owner is the loop: "))
    result = check(project, "--check")
    assert result.returncode == 1
    assert "prose rule 'The owner is the event loop: " in result.stderr


def test_rules_are_scoped_to_code_strings_docstrings_and_comments() -> None:
    unasync = load_script()
    source = '''"""Call ``await client.aclose()``; checks await a decision."""

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


@pytest.mark.anyio
async def test_close(client: AsyncQBankConnect) -> None:
    """Uses ``async with AsyncQBankConnect()``."""
    message = "await client.aclose() in AsyncQBankConnect"  # async with, in a comment
    async with client:
        await client.aclose()
'''
    expected = '''"""Call ``client.close()``; checks await a decision."""

import pytest

pytestmark = [pytest.mark.e2e]


def test_close(client: QBankConnect) -> None:
    """Uses ``with QBankConnect()``."""
    message = "await client.close() in QBankConnect"  # with, in a comment
    with client:
        client.close()
'''
    rewriter = unasync.Rewriter()
    assert rewriter.rewrite(source) == expected
    assert rewriter.rewrite("pytestmark = pytest.mark.anyio\nx = 1\n") == "x = 1\n"


def test_unused_rules_are_counted_over_the_whole_run() -> None:
    unasync = load_script()
    used, unused = unasync.Rule("name", "aclose", "close"), unasync.Rule("prose", "gone", "x")
    rewriter = unasync.Rewriter((used, unused))
    rewriter.rewrite("async def f(c):\n    await c.aclose()\n")
    assert rewriter.unused() == [unused]
    rewriter.rewrite("# this sentence is gone\n")
    assert rewriter.unused() == []


def test_generated_tests_keep_no_async_only_markers() -> None:
    for path in (ROOT / "tests/_sync").rglob("*.py"):
        assert not re.search(r"\banyio\b", path.read_text()), path
