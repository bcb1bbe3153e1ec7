"""docs/nacha.md's build example runs and prints what it says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "nacha.md"


def test_the_build_example_runs_as_written() -> None:
    block = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, str(DOC), "exec"), {})
    expected = re.search(r"print\(.*\)\s+# (.*)", block)
    assert expected is not None
    assert printed.getvalue().strip() == expected.group(1).strip()
