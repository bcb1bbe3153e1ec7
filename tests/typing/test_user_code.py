"""User code type-checks as the README writes it, and real mistakes are still reported.

Runs ``mypy --strict`` and pyright (strict) over the sample files next to this one and over the
README's examples, in a temporary directory with no configuration of ours, so no pydantic mypy
plugin: what a user who installed the package gets. Skipped with a message when a checker is not
installed, except under ``CI=true``, where a missing checker fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
README = (ROOT / "README.md").read_text()
SAMPLES = ["good_inputs.py", "bad_inputs.py"]
EXPECTATION = re.compile(r"# expect\[(mypy|pyright)\]: (.*?)\s*(?=# expect\[|$)")

Errors = dict[str, dict[int, list[str]]]  # file name -> line (1-based) -> messages


def readme_block(after: str, *, until: str | None = None) -> list[str]:
    """The ``python`` blocks of the README from the heading ``after`` to ``until``."""
    start = README.index(after)
    end = README.index(until, start) if until else README.index("\n## ", start + len(after))
    return re.findall(r"```python\n(.*?)```", README[start:end], flags=re.DOTALL)


def user_files() -> dict[str, str]:
    """File name -> source of every program a user would type-check."""
    files = {name: (HERE / name).read_text() for name in SAMPLES}
    (guide,) = readme_block("## The SDK guide's example")
    files["readme_guide.py"] = guide
    (async_example,) = readme_block("## Async")
    files["readme_async.py"] = async_example
    # The resource snippets run in order after the setup (tests/test_readme.py), so they are
    # checked as one program, followed by the idempotency section's snippet.
    resources = readme_block("## Resources", until="## Errors")
    files["readme_resources.py"] = "\n".join(resources)
    return files


def expected_errors(source: str, checker: str) -> dict[int, str]:
    """Line -> the part of the message ``checker`` must report there."""
    expected: dict[int, str] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        for name, message in EXPECTATION.findall(line):
            if name == checker:
                expected[number] = message
    return expected


def checker_missing(name: str) -> None:
    message = f"{name} is not installed (pip install -r requirements/test.txt)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("user_code")
    for name, source in user_files().items():
        (directory / name).write_text(source)
    return directory


def checker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["MYPYPATH"] = str(ROOT / "src")  # this checkout, whether installed or on PYTHONPATH
    return env


@pytest.fixture(scope="module")
def mypy_errors(workdir: Path) -> Errors:
    if importlib.util.find_spec("mypy") is None:
        checker_missing("mypy")
    (workdir / "mypy.ini").write_text("[mypy]\n")  # ours (pyproject) would add the plugin
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", "mypy.ini",
         "--cache-dir", str(workdir / ".mypy_cache"), *user_files()],
        cwd=workdir, capture_output=True, text=True, env=checker_env(), check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: Errors = defaultdict(lambda: defaultdict(list))
    for line in result.stdout.splitlines():
        match = re.match(r"(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)", line)
        if match:
            errors[match["file"]][int(match["line"])].append(match["message"])
    assert errors or result.returncode == 0, result.stdout + result.stderr
    return errors


@pytest.fixture(scope="module")
def pyright_errors(workdir: Path) -> Errors:
    if importlib.util.find_spec("pyright") is None:
        checker_missing("pyright")
    config = {"typeCheckingMode": "strict", "extraPaths": [str(ROOT / "src")]}
    (workdir / "pyrightconfig.json").write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable,
         *user_files()],
        cwd=workdir, capture_output=True, text=True, env=checker_env(), check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr
    report = json.loads(result.stdout)
    errors: Errors = defaultdict(lambda: defaultdict(list))
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            line = diagnostic["range"]["start"]["line"] + 1
            errors[Path(diagnostic["file"]).name][line].append(diagnostic["message"])
    return errors


@pytest.fixture(params=["mypy", "pyright"])
def checker(request: pytest.FixtureRequest) -> tuple[str, Errors]:
    name: str = request.param
    return name, request.getfixturevalue(f"{name}_errors")


@pytest.mark.parametrize(
    "name", ["readme_guide.py", "readme_async.py", "readme_resources.py", "good_inputs.py"]
)
def test_user_code_type_checks_as_written(name: str, checker: tuple[str, Errors]) -> None:
    checker_name, errors = checker
    found = errors.get(name, {})
    source = user_files()[name].splitlines()
    shown = {f"{line}: {source[line - 1].strip()}": messages for line, messages in found.items()}
    assert not found, f"{checker_name} refuses {name}: {json.dumps(shown, indent=1)}"


def test_real_mistakes_are_reported(checker: tuple[str, Errors]) -> None:
    checker_name, errors = checker
    expected = expected_errors((HERE / "bad_inputs.py").read_text(), checker_name)
    assert len(expected) >= 8
    found = errors.get("bad_inputs.py", {})
    assert set(found) == set(expected), f"{checker_name}: {dict(found)}"
    for line, message in expected.items():
        assert any(message in text for text in found[line]), (line, message, found[line])


def test_every_request_field_is_given_in_the_good_samples() -> None:
    """A new field with an input type of its own must get a sample above, and so a check."""
    import qbank_connect.models as models

    source = (HERE / "good_inputs.py").read_text()
    for model in (
        models.AchPaymentRequest,
        models.WirePaymentRequest,
        models.TransferRequest,
        models.CheckIssueRequest,
        models.RecipientDetails,
        models.BeneficiaryDetails,
    ):
        for field in model.model_fields:
            assert re.search(rf"\b{field}\b", source), f"{model.__name__}.{field} is never given"
