"""CONTRIBUTING.md stays true: every file, directory and test it names exists, and every nox
session its table lists is a session of noxfile.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "CONTRIBUTING.md").read_text()
PATH = re.compile(r"^[\w.-]+(/[\w.*-]+)+/?$|^[\w.-]+\.(py|md|yaml|toml|txt)$")


def named_paths() -> list[str]:
    """Paths in backticks, and the paths of the architecture picture (`src/...`, `tests/...`)."""
    found: set[str] = set()
    for token in re.findall(r"`([^`\s]+)`", GUIDE):
        token = token.split("::")[0]
        if PATH.match(token) and not token.startswith(("http", ".[")):
            found.add(token)
    return sorted(found)


def test_it_names_the_files_an_operation_touches() -> None:
    paths = named_paths()
    assert len(paths) >= 30
    for expected in ("spec/openapi.yaml", "scripts/unasync.py", "src/qbank_connect/_tracing.py"):
        assert expected in paths


@pytest.mark.parametrize("path", named_paths())
def test_every_named_path_exists(path: str) -> None:
    if "*" in path:
        assert list(ROOT.glob(path)), path
    else:
        assert (ROOT / path).exists(), f"CONTRIBUTING.md names {path}, which does not exist"


def test_every_test_it_names_exists() -> None:
    for path, name in re.findall(r"(tests/[\w/]+\.py)::(\w+)", GUIDE):
        assert f"def {name}(" in (ROOT / path).read_text(), (path, name)


def test_every_session_of_its_table_is_in_the_noxfile() -> None:
    noxfile = (ROOT / "noxfile.py").read_text()
    sessions = re.findall(r"^\| `(\w+)` \|", GUIDE, flags=re.MULTILINE)
    assert {"tests", "processes", "properties", "types"} <= set(sessions)
    for session in sessions:
        assert re.search(rf"^def {session}\(session", noxfile, flags=re.MULTILINE), session


def test_every_module_of_the_picture_exists() -> None:
    picture = re.findall(r"```text\n(.*?)```", GUIDE, flags=re.DOTALL)[0]
    names = set(re.findall(r"(?<![\w/.-])([\w]+(?:/[\w*]+)*(?:\.py|/))(?=[\s,]|$)", picture))
    assert {"_async/", "_sync/", "models/", "sandbox/", "cli/", "errors.py"} <= names
    homes = [ROOT, ROOT / "src" / "qbank_connect", ROOT / "src" / "qbank_connect" / "_async"]
    homes += [ROOT / "src" / "qbank_connect" / "sandbox", ROOT / "tests"]
    for name in names:
        assert any(list(home.glob(name)) for home in homes), f"the picture names {name}"
