"""docs/connecting.md stays true to the code: every block compiles, every argument it gives
the clients exists on both, and its sandbox example runs as written."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from qbank_connect import AsyncQBankConnect, QBankConnect

DOC = (Path(__file__).resolve().parent.parent / "docs" / "connecting.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) >= 7


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_block_compiles_and_uses_real_arguments(index: int) -> None:
    tree = ast.parse(BLOCKS[index])
    parameters = {
        name: set(inspect.signature(cls.__init__).parameters)
        for name, cls in (("QBankConnect", QBankConnect), ("AsyncQBankConnect", AsyncQBankConnect))
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            known = parameters.get(node.func.id)
            if known is not None:
                for keyword in node.keywords:
                    assert keyword.arg in known, (node.func.id, keyword.arg)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "reload_client_cert"
        ):
            for keyword in node.keywords:
                assert keyword.arg == "ssl_context"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "with_options"
        ):
            for cls in (QBankConnect, AsyncQBankConnect):
                known = set(inspect.signature(cls.with_options).parameters)
                for keyword in node.keywords:
                    assert keyword.arg in known, ("with_options", keyword.arg)
    for line in BLOCKS[index].splitlines():
        for match in re.finditer(r'token_auth_method="(\w+)"', line):
            assert match.group(1) in ("private_key_jwt", "tls_client_auth")


def test_the_sandbox_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = [b for b in BLOCKS if "Sandbox(clients=" in b]
    exec(compile(block, "docs/connecting.md", "exec"), {})
    assert capsys.readouterr().out.strip()  # the balance
