"""Generate the synchronous twin of the hand-written async code.

    python scripts/unasync.py           # rewrite src/qbank_connect/_sync and tests/_sync
    python scripts/unasync.py --check   # exit 1 if any generated file is stale, missing or extra

``_async`` is the only source of truth: the ``unasync`` package removes ``async``/``await`` and
renames tokens, then a few textual rules fix what tokens cannot reach (names inside strings and
docstrings, examples in docstrings). The output is byte-stable: the same input always gives the
same files.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import sys
import tempfile
from pathlib import Path

# This file is named like the package it uses: keep its own folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import unasync  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TREES = [
    (Path("src/qbank_connect/_async"), Path("src/qbank_connect/_sync")),
    (Path("tests/_async"), Path("tests/_sync")),
]

# Names whose sync spelling is not simply the name without its "Async" prefix.
TOKEN_REPLACEMENTS = {
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "async_sleep": "sleep",
    "async_context_identity": "sync_context_identity",
    "async_raw_method": "raw_method",
    "async_paginated": "paginated",
    "async_blocking_check": "blocking_check",
    "gather_async": "gather_threads",
    "_async": "_sync",
    "async_transport": "transport",
    "async_http_client": "http_client",
    "AsyncMock": "MagicMock",
}

# Whole phrases of prose (docstrings, comments) that read differently for the blocking client.
PROSE_REPLACEMENTS = {
    "The async QBank Connect client (asyncio and trio).": (
        "The QBank Connect client, blocking (thread-safe; fork-safe for Celery and gunicorn)."
    ),
    "``AsyncQBankConnect``: the hand-written async client, from which ``QBankConnect`` is generated.": (
        "``QBankConnect``: the blocking client."
    ),
    "The request pipeline of the async client": "The request pipeline of the blocking client",
    "Bearer tokens for the async client": "Bearer tokens for the blocking client",
}

_ASYNC_NAME = re.compile(r"\bAsync([A-Z]\w*)")
_PROSE_RULES = [
    (re.compile(r"\bawait "), ""),
    (re.compile(r"\basync (with|for|def)\b"), r"\1"),
    (re.compile(r"\baclose\(\)"), "close()"),
]


def header(source: Path) -> str:
    return (
        f"# Generated from {source.as_posix()} by scripts/unasync.py: do not edit.\n"
        "# Change the async source and run `python scripts/unasync.py`.\n"
    )


def async_sources(tree: Path) -> list[Path]:
    return sorted(p for p in (ROOT / tree).rglob("*.py") if "__pycache__" not in p.parts)


def token_replacements(sources: list[Path]) -> dict[str, str]:
    names: dict[str, str] = {}
    for path in sources:
        for name in sorted(set(_ASYNC_NAME.findall(path.read_text(encoding="utf-8")))):
            names["Async" + name] = name
    names.update(TOKEN_REPLACEMENTS)
    return names


def postprocess(text: str) -> str:
    for phrase, replacement in PROSE_REPLACEMENTS.items():
        text = text.replace(phrase, replacement)
    text = _ASYNC_NAME.sub(r"\1", text)
    for pattern, replacement in _PROSE_RULES:
        text = pattern.sub(replacement, text)
    return text


def generate() -> dict[Path, str]:
    """Every generated file (relative path -> content), built in a scratch copy of the trees."""
    outputs: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        for async_tree, sync_tree in TREES:
            sources = async_sources(async_tree)
            rule = unasync.Rule(
                fromdir=f"/{async_tree.as_posix()}/",
                todir=f"/{sync_tree.as_posix()}/",
                additional_replacements=token_replacements(sources),
            )
            copies = []
            for source in sources:
                relative = source.relative_to(ROOT)
                copy = base / relative
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, copy)
                copies.append(str(copy))
            unasync.unasync_files(copies, [rule])
            for source in sources:
                relative = source.relative_to(ROOT / async_tree)
                generated = (base / sync_tree / relative).read_text(encoding="utf-8")
                target = sync_tree / relative
                outputs[target] = header(async_tree / relative) + postprocess(generated)
    return outputs


def existing(tree: Path) -> set[Path]:
    return {
        p.relative_to(ROOT) for p in (ROOT / tree).rglob("*.py") if "__pycache__" not in p.parts
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()

    outputs = generate()
    on_disk = set().union(*(existing(sync_tree) for _, sync_tree in TREES))
    stale = sorted(on_disk - set(outputs))

    if args.check:
        problems = []
        for target, content in sorted(outputs.items()):
            path = ROOT / target
            if not path.exists():
                problems.append(f"missing: {target}")
                continue
            current = path.read_text(encoding="utf-8")
            if current != content:
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True),
                    content.splitlines(keepends=True),
                    f"{target} (on disk)",
                    f"{target} (generated)",
                    n=1,
                )
                problems.append(f"differs: {target}\n" + "".join(list(diff)[:40]))
        problems.extend(f"stale (no async source): {target}" for target in stale)
        if problems:
            print("The generated sync code is out of date:\n", file=sys.stderr)
            print("\n".join(problems), file=sys.stderr)
            print("\nRun `python scripts/unasync.py` and commit the result.", file=sys.stderr)
            return 1
        print(f"unasync --check: {len(outputs)} generated files are up to date")
        return 0

    for target in stale:
        (ROOT / target).unlink()
    for target, content in sorted(outputs.items()):
        path = ROOT / target
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
    print(f"unasync: wrote {len(outputs)} files, removed {len(stale)} stale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
