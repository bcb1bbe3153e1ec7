"""The noxfile's own logic: finding pyenv's Pythons, falling back, and checking the distributions."""

from __future__ import annotations

import atexit
import importlib.util
import io
import os
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from _pytest.mark.expression import Expression

from .conftest import PROCESS_PROOFS, is_process_proof

ROOT = Path(__file__).resolve().parent.parent


def load_noxfile(**env: str) -> ModuleType:
    """Import noxfile.py as nox does, leaving PATH (which it extends) and atexit as they were."""
    pytest.importorskip("nox", reason="nox is in requirements/test.txt")
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # nox: a session registered twice
        patch.setenv("PATH", os.environ.get("PATH", ""))
        for name, value in env.items():
            patch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    atexit.unregister(module.report_missing_pythons)
    return module


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    return load_noxfile(CI="")


def fake_python(root: Path, version: str, name: str) -> Path:
    exe = root / "versions" / version / "bin" / name
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_the_newest_patch_of_each_wanted_minor_is_found(
    noxfile: ModuleType, tmp_path: Path
) -> None:
    fake_python(tmp_path, "3.10.2", "python3.10")
    newest_310 = fake_python(tmp_path, "3.10.13", "python3.10")  # 13 > 9: numbers, not text
    fake_python(tmp_path, "3.10.9", "python3.10")
    newest_312 = fake_python(tmp_path, "3.12.1", "python3.12")
    fake_python(tmp_path, "3.13.0t", "python3.13")  # free-threaded build: not a plain release
    fake_python(tmp_path, "3.13-dev", "python3.13")
    fake_python(tmp_path, "pypy3.10-7.3.12", "python3.10")
    fake_python(tmp_path, "3.11.7", "python3")  # no bin/python3.11: not usable
    fake_python(tmp_path, "3.9.18", "python3.9")  # not wanted
    (tmp_path / "versions" / "3.12.9").mkdir()  # a broken install, no bin/

    found = noxfile.pyenv_pythons(["3.10", "3.11", "3.12", "3.13"], tmp_path)

    assert found == {"3.10": newest_310, "3.12": newest_312}


def test_no_pyenv_means_nothing_found(noxfile: ModuleType, tmp_path: Path) -> None:
    assert noxfile.pyenv_pythons(["3.12"], None) == {}
    assert noxfile.pyenv_pythons(["3.12"], tmp_path / "absent") == {}


def test_pyenv_root_comes_from_the_environment_first(
    noxfile: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert noxfile.pyenv_root() == tmp_path


def test_pyenv_pythons_are_put_on_path_after_everything_else(
    noxfile: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe = fake_python(tmp_path, "3.13.0", "python3.13")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", "/usr/bin")
    installed = noxfile.installed_pythons(["3.13"])
    assert "3.13" in installed
    assert os.environ["PATH"] == os.pathsep.join(["/usr/bin", str(exe.parent)])


@pytest.mark.parametrize(
    ("on_ci", "installed", "wanted", "expected"),
    [
        (False, {"3.11", "3.13"}, ["3.10", "3.13"], ["3.13"]),
        (False, {"3.11"}, ["3.10", "3.13"], ["3.11"]),  # none installed: the one running nox
        (True, {"3.11"}, ["3.10", "3.13"], ["3.10", "3.13"]),  # CI: a missing one must fail
    ],
)
def test_checks_fall_back_to_the_running_python_except_on_ci(
    noxfile: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    on_ci: bool,
    installed: set[str],
    wanted: list[str],
    expected: list[str],
) -> None:
    monkeypatch.setattr(noxfile, "ON_CI", on_ci)
    monkeypatch.setattr(noxfile, "INSTALLED", installed)
    monkeypatch.setattr(noxfile, "CURRENT", "3.11")
    assert noxfile.pythons_for(wanted) == expected


def test_the_run_ends_by_naming_the_pythons_not_found(
    noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(noxfile, "MISSING", ["3.10", "3.13"])
    noxfile.report_missing_pythons()
    assert "Python 3.10, 3.13 not found" in capsys.readouterr().err
    monkeypatch.setattr(noxfile, "MISSING", [])
    noxfile.report_missing_pythons()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("ci", "fails"), [("true", True), ("", False)])
def test_missing_interpreters_fail_on_ci_only(ci: str, fails: bool) -> None:
    module = load_noxfile(CI=ci)
    assert module.nox.options.error_on_missing_interpreters is fails
    load_noxfile(CI="")  # nox's options are global: leave them as a local run has them


WHEEL = {
    "qbank_connect/__init__.py": "",
    "qbank_connect/py.typed": "",
    "qbank_connect/_sync/client.py": "",
    "qbank_connect/sandbox/__init__.py": "",
    "qbank_connect/contrib/django/migrations/0001_initial.py": "",
    "qbank_connect-1.0.dist-info/licenses/LICENSE": "Apache License",
}
SDIST = {
    "README.md": "",
    "LICENSE": "Apache License",
    "noxfile.py": "",
    "requirements/test.txt": "",
    "docs/sandbox.md": "",
    "tests/conftest.py": "",
}


def build(
    tmp_path: Path, wheel_files: dict[str, str], sdist_files: dict[str, str]
) -> tuple[Path, Path]:
    wheel = tmp_path / "qbank_connect-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in wheel_files.items():
            archive.writestr(name, text)
    sdist = tmp_path / "qbank_connect-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name, text in sdist_files.items():
            info = tarfile.TarInfo(f"qbank_connect-1.0/{name}")
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    return wheel, sdist


def test_complete_distributions_have_no_problems(noxfile: ModuleType, tmp_path: Path) -> None:
    assert noxfile.distribution_problems(*build(tmp_path, WHEEL, SDIST)) == []


def test_every_missing_or_stray_file_is_a_problem(noxfile: ModuleType, tmp_path: Path) -> None:
    wheel_files = {k: v for k, v in WHEEL.items() if "py.typed" not in k and "licenses" not in k}
    wheel_files["tests/test_x.py"] = ""
    sdist_files = {k: v for k, v in SDIST.items() if not k.startswith(("requirements", "docs"))}
    del sdist_files["LICENSE"]
    problems = noxfile.distribution_problems(*build(tmp_path, wheel_files, sdist_files))
    assert problems == [
        "qbank_connect-1.0-py3-none-any.whl lacks qbank_connect/py.typed",
        "qbank_connect-1.0-py3-none-any.whl contains tests/test_x.py",
        "qbank_connect-1.0-py3-none-any.whl lacks the LICENSE in its .dist-info",
        "qbank_connect-1.0.tar.gz lacks requirements/test.txt",
        "qbank_connect-1.0.tar.gz lacks docs/sandbox.md",
        "qbank_connect-1.0.tar.gz lacks LICENSE",
    ]


def test_the_default_run_has_the_per_python_tests_and_the_proofs_once(noxfile: ModuleType) -> None:
    defaults = noxfile.nox.options.sessions
    assert {"tests", "processes", "properties", "types", "lint", "unasync_check"} <= set(defaults)


@pytest.mark.parametrize("marks", [set(), {"slow"}, {"processes"}, {"slow", "processes"}])
def test_every_test_not_slow_runs_exactly_once_in_the_default_run(
    noxfile: ModuleType, marks: set[str]
) -> None:
    """`-m "not slow"` as before, split in two: on every Python, or once in `processes`."""

    def runs(expression: str) -> bool:
        return Expression.compile(expression).evaluate(lambda name, **_: name in marks)

    per_python = runs(noxfile.PER_PYTHON)
    once = runs("processes and not slow")
    assert (per_python or once) is runs("not slow")
    assert not (per_python and once)


@pytest.mark.parametrize("entry", PROCESS_PROOFS)
def test_each_process_proof_names_a_test_that_exists(entry: str) -> None:
    path, _, name = entry.partition("::")
    assert (ROOT / "tests" / path).exists(), entry
    if name:
        assert f"def {name}(" in (ROOT / "tests" / path).read_text(), entry


def test_process_proofs_match_files_directories_and_test_ids() -> None:
    assert is_process_proof("tests/exactly_once/test_crash.py::test_crash_short[sqlite]")
    assert is_process_proof("tests/test_fork.py::test_x")
    assert is_process_proof("tests/test_stores.py::test_sqlite_many_processes_write_one_file[x]")
    assert not is_process_proof("tests/test_stores.py::test_sqlite_many_processes_write_one")
    assert not is_process_proof("tests/test_forks.py::test_x")
    assert not is_process_proof("tests/cli/test_commands.py::test_x")
