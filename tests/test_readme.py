"""The README's resource snippets run as written, in order, against the embedded sandbox."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from qbank_connect.sandbox import NachaEntry, build_ach_file

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def runnable_snippets() -> list[str]:
    section = README[README.index("## Resources") : README.index("## Errors")]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_resource_snippets_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    snippets = runnable_snippets()
    assert len(snippets) >= 6
    monkeypatch.chdir(tmp_path)  # the payments snippet uploads ./payroll.ach
    (tmp_path / "payroll.ach").write_bytes(
        build_ach_file([NachaEntry("021000021", "000123456", Decimal("10.00"), "JANE DOE")])
    )
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
