"""The README's resource snippets run as written, in order, against the embedded sandbox, from a
directory holding what a fresh clone holds (nothing the test suite made beforehand)."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from qbank_connect.sandbox._nacha import parse_ach_file

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SAMPLE_ACH = ROOT / "examples" / "payroll.ach"


def runnable_snippets() -> list[str]:
    section = README[README.index("## Resources") : README.index("## Errors")]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def fresh_clone(destination: Path) -> Path:
    """A copy of the files git tracks (as they are in the working tree): a fresh clone's content.

    Outside a git checkout (an unpacked sdist) the tree itself is what the user has."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        ignore = shutil.ignore_patterns("__pycache__", ".nox", "dist", "*.egg-info", ".*_cache")
        shutil.copytree(ROOT, destination, ignore=ignore)
        return destination
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not there
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / name)
    return destination


def test_resource_snippets_run_in_order_from_a_fresh_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    snippets = runnable_snippets()
    assert len(snippets) >= 6
    monkeypatch.chdir(fresh_clone(tmp_path / "clone"))  # where a user runs them from
    namespace: dict[str, object] = {}
    try:
        for snippet in snippets:
            exec(compile(snippet, "README.md", "exec"), namespace)
    finally:
        for name in ("client", "sandbox"):
            closable = namespace.get(name)
            if closable is not None:
                closable.close()  # type: ignore[attr-defined]
    assert "acc_operating" in capsys.readouterr().out
    final = namespace["final"]
    assert final.is_final  # type: ignore[attr-defined]
    assert namespace["payment"].id  # type: ignore[attr-defined]
    ach_file = namespace["ach_file"]
    assert ach_file.entry_count == 3  # type: ignore[attr-defined]
    assert ach_file.total_credit == Decimal("7555.75")  # type: ignore[attr-defined]


def test_the_sample_nacha_file_is_valid_and_its_control_totals_add_up() -> None:
    """examples/payroll.ach, checked by hand: 94-character records in blocks of 10, and the batch
    and file controls agree with the entries (count, routing hash, credit total)."""
    records = SAMPLE_ACH.read_text("ascii").splitlines()
    assert all(len(record) == 94 for record in records)
    assert len(records) % 10 == 0
    assert [r[0] for r in records[:7]] == ["1", "5", "6", "6", "6", "8", "9"]
    batch_header, entries, batch_control, file_control = (
        records[1], records[2:5], records[5], records[6]
    )  # fmt: skip
    assert batch_header[50:53] == "PPD"  # payroll to consumer accounts
    routing_hash = sum(int(entry[3:11]) for entry in entries)
    credit_cents = sum(int(entry[29:39]) for entry in entries)
    assert all(entry[1:3] == "22" for entry in entries)  # checking credits
    assert batch_control[4:10] == f"{len(entries):06d}"
    assert file_control[13:21] == f"{len(entries):08d}"
    assert batch_control[10:20] == file_control[21:31] == f"{routing_hash:010d}"
    assert batch_control[32:44] == file_control[43:55] == f"{credit_cents:012d}"
    assert file_control[7:13] == f"{len(records) // 10:06d}"  # block count
    parsed = parse_ach_file(SAMPLE_ACH.read_bytes())  # and the sandbox accepts it
    assert [e.amount for e in parsed] == [
        Decimal("2450.00"),
        Decimal("3125.50"),
        Decimal("1980.25"),
    ]
    assert sum(e.amount for e in parsed) * 100 == credit_cents


def test_the_configuration_table_lists_every_argument_of_both_clients() -> None:
    import inspect

    from qbank_connect import AsyncQBankConnect, QBankConnect
    from qbank_connect._auth import TOKEN_AUTH_METHODS

    table = README[README.index("## Configuration") : README.index("## Resources")]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}
    for cls in (QBankConnect, AsyncQBankConnect):
        arguments = set(inspect.signature(cls.__init__).parameters) - {"self"}
        assert arguments <= listed, sorted(arguments - listed)
    (method_row,) = [row for row in rows if row.startswith("| `token_auth_method`")]
    for method in TOKEN_AUTH_METHODS:
        assert f'"{method}"' in method_row
    assert "(docs/connecting.md)" in README and "(docs/advanced.md)" in README
