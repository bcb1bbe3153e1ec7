"""The generated sync twin must be exactly what scripts/unasync.py writes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "unasync.py"), "--check"],
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
    return target


def test_generated_code_is_up_to_date() -> None:
    result = check(ROOT)
    assert result.returncode == 0, result.stderr


def test_hand_edit_of_a_generated_file_is_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    generated = project / "src/qbank_connect/_sync/requester.py"
    generated.write_text(generated.read_text() + "\n# a hand edit\n")
    result = check(project)
    assert result.returncode == 1
    assert "differs: src/qbank_connect/_sync/requester.py" in result.stderr


def test_missing_and_stale_files_are_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "src/qbank_connect/_sync/pagination.py").unlink()
    (project / "src/qbank_connect/_sync/orphan.py").write_text("x = 1\n")
    result = check(project)
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
