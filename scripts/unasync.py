"""Generate the synchronous twin of the hand-written async code.

    python scripts/unasync.py           # rewrite src/qbank_connect/_sync and tests/_sync
    python scripts/unasync.py --check   # exit 1 if any generated file is stale, missing or extra

``_async`` is the only source of truth. Each file is tokenized (``tokenize``, with ``ast`` to
tell docstrings from other strings) and rewritten by the rules of :data:`RULES`, each scoped to
what it may touch: identifiers (code tokens, and the same words in strings and comments), prose
(docstrings and comments only) or whole lines of code. ``async``/``await`` keywords are removed.
The result is import-sorted and formatted by the environment's ruff (``ruff check --select I
--fix`` and ``ruff format``, with the project's configuration), so generated files read like
hand-written ones, and it is byte-stable: the same input and ruff give the same files.

A rule that matches nothing in the whole run fails the run, naming the rule: a rule for code
that has gone, or a sentence that has drifted, is found at once rather than left to rot.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib.util
import io
import re
import subprocess
import sys
import tempfile
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
TREES = [
    (Path("src/qbank_connect/_async"), Path("src/qbank_connect/_sync")),
    (Path("tests/_async"), Path("tests/_sync")),
]


@dataclass(frozen=True)
class Rule:
    """One rewrite from the async spelling to the blocking one.

    ``scope`` says what the rule may touch:

    * ``"name"``: an identifier, whole: a code token, and the same word inside strings,
      docstrings and comments (``"async_sleep"`` in ``monkeypatch.setattr(m, "async_sleep", f)``);
    * ``"prose"``: text inside docstrings and comments, never code or other strings;
    * ``"line"``: a whole logical line of code (stripped of its indentation); an empty
      ``replace`` drops the line.

    ``find`` is exact text, or a compiled regex (``replace`` may then use ``\\1``); a name or a
    line must match in full.
    """

    scope: Literal["name", "prose", "line"]
    find: str | re.Pattern[str]
    replace: str

    @property
    def pattern(self) -> re.Pattern[str]:
        return self.find if isinstance(self.find, re.Pattern) else re.compile(re.escape(self.find))

    def replacement(self, match: re.Match[str]) -> str:
        return match.expand(self.replace) if isinstance(self.find, re.Pattern) else self.replace

    def __str__(self) -> str:
        find = self.find.pattern if isinstance(self.find, re.Pattern) else self.find
        return f"{self.scope} rule {find!r} -> {self.replace!r}"


# The one table. Every rule must match somewhere in the run (see the module docstring): add a
# rule with the async code that needs it, remove it with the last code that did.
RULES: tuple[Rule, ...] = (
    # -- names ------------------------------------------------------------------------------
    # AsyncQBankConnect -> QBankConnect, AsyncIterator -> Iterator, AsyncClient -> Client, ...
    Rule("name", re.compile(r"Async([A-Z]\w*)"), r"\1"),
    Rule("name", "aclose", "close"),
    Rule("name", "__aenter__", "__enter__"),
    Rule("name", "__aexit__", "__exit__"),
    Rule("name", "__aiter__", "__iter__"),
    Rule("name", "__anext__", "__next__"),
    Rule("name", "_async", "_sync"),
    Rule("name", "async_sleep", "sleep"),
    Rule("name", "async_map_bounded", "map_bounded"),
    Rule("name", "async_context_identity", "sync_context_identity"),
    Rule("name", "async_drivers_usable", "sync_drivers_usable"),
    Rule("name", "async_raw_method", "raw_method"),
    Rule("name", "async_paginated", "paginated"),
    Rule("name", "async_transport", "transport"),
    Rule("name", "legacy_async_client", "legacy_client"),
    Rule("name", "async_blocking_check", "blocking_check"),
    Rule("name", "async_http_client", "http_client"),
    Rule("name", "gather_async", "gather_threads"),
    Rule("name", "open_async_journal", "open_journal"),
    Rule("name", "open_async_event_store", "open_event_store"),
    Rule("name", "asynccontextmanager", "contextmanager"),
    Rule("name", "async_call_blocking", "call_blocking"),  # a worker thread -> a direct call
    Rule("name", "run_hooks_async", "run_hooks"),  # coroutine hooks -> plain functions only
    Rule("name", "async_hooks_of", "hooks_of"),
    Rule("name", "async_transport_for", "sync_transport_for"),  # aiohttp: async only
    Rule("name", "async_backend_options", "sync_backend_options"),
    Rule("name", "async_sandbox_http", "sandbox_http"),
    Rule("name", "async_preload", "preload"),
    # -- prose (docstrings and comments) ----------------------------------------------------
    # Examples in docstrings: `await client.x()` -> `client.x()`, but "and await a decision" stays.
    Rule("prose", re.compile(r"\bawait (?=[A-Za-z_][\w.]*[.(\[])"), ""),
    Rule("prose", re.compile(r"\basync (with|for|def)\b"), r"\1"),
    Rule(
        "prose",
        "The async QBank Connect client (asyncio and trio).",
        "The QBank Connect client, blocking (thread-safe; fork-safe for Celery and gunicorn).",
    ),
    Rule(
        "prose",
        "``AsyncQBankConnect``: the hand-written async client, from which ``QBankConnect`` is "
        "generated.",
        "``QBankConnect``: the blocking client.",
    ),
    Rule(
        "prose",
        "The request pipeline of the async client",
        "The request pipeline of the blocking client",
    ),
    Rule("prose", "Bearer tokens for the async client", "Bearer tokens for the blocking client"),
    # requester._close_with_owner: who finalizes the guard differs between the twins.
    Rule(
        "prose",
        re.compile(r"The owner is the event loop: .*?finalizer\s+hook\.", re.DOTALL),
        "The owner is the process: the generator's ``finally`` runs when the requester closes or\n"
        "    drops it, and closes the pool only in that process (a forked child leaves its parent's\n"
        "    pool untouched: another thread may have held the pool's locks at the fork).",
    ),
    # The aiohttp backend is the async client's only.
    Rule("prose", " Or an ``aiohttp.ClientSession``: see below.", ""),
    Rule(
        "prose",
        re.compile(
            r"``\"httpx2\"`` \(the default\) or ``\"aiohttp\"``, which.*?docs/aiohttp\.md\.",
            re.DOTALL,
        ),
        '``"httpx2"`` only (the default): the aiohttp backend is\n'
        "            the async client's (docs/aiohttp.md).",
    ),
    # -- lines of code ----------------------------------------------------------------------
    # redis-py: redis.asyncio is the async twin of the redis module.
    Rule("line", "from redis.asyncio import Redis as AsyncRedis", "from redis import Redis"),
    Rule(
        "line",
        'self._redis: Any = require_driver("redis.asyncio", purpose=purpose)',
        'self._redis: Any = require_driver("redis", purpose=purpose)',
    ),
    # len() needs I/O: the async de-duplicator has `await dedup.count()`, the blocking one both.
    Rule(
        "line",
        'raise TypeError("len() of an AsyncEventDeduplicator: use await dedup.count()")',
        "return self.count()",
    ),
    # Async-only test markers: the blocking tests are plain functions.
    Rule("line", re.compile(r"pytestmark = pytest\.mark\.anyio|@pytest\.mark\.anyio"), ""),
    Rule("line", re.compile(r"pytestmark = \[pytest\.mark\.anyio, (.+)\]"), r"pytestmark = [\1]"),
)

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_STRING_TOKENS = {tokenize.STRING} | {
    getattr(tokenize, name)
    for name in ("FSTRING_MIDDLE", "TSTRING_MIDDLE")
    if hasattr(tokenize, name)
}


class Rewriter:
    """Applies :data:`RULES` to source files, counting how often each rule matched."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self.rules = rules
        self.uses: Counter[Rule] = Counter()
        self._exact_names = {
            r.find: r for r in rules if r.scope == "name" and isinstance(r.find, str)
        }
        self._name_patterns = [
            r for r in rules if r.scope == "name" and isinstance(r.find, re.Pattern)
        ]
        self._prose = [r for r in rules if r.scope == "prose"]
        self._lines = [r for r in rules if r.scope == "line"]

    def unused(self) -> list[Rule]:
        return [rule for rule in self.rules if not self.uses[rule]]

    def rewrite(self, source: str) -> str:
        """The blocking twin of one async module (not yet formatted)."""
        starts = [0]  # where each line starts, split as tokenize splits them (on "\n" only)
        for line in io.StringIO(source).readlines():
            starts.append(starts[-1] + len(line))

        def offset(position: tuple[int, int]) -> int:
            return starts[position[0] - 1] + position[1]

        docstrings = _docstring_spans(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        line_ends = _logical_line_ends(tokens)
        edits: list[tuple[int, int, str]] = []
        skip_to = 0  # tokens before this offset belong to a line a line rule rewrote
        for index, token in enumerate(tokens):
            start, end = offset(token.start), offset(token.end)
            if start < skip_to:
                continue
            if index in line_ends:
                last = tokens[line_ends[index]]
                line_edit = self._line(source, offset((token.start[0], 0)), start, offset(last.end))
                if line_edit is not None:
                    edits.append(line_edit)
                    skip_to = line_edit[1]
                    continue
            if token.type == tokenize.NAME and token.string in ("async", "await"):
                following = tokens[index + 1]
                same_line = following.start[0] == token.start[0]
                edits.append((start, offset(following.start) if same_line else end, ""))
            elif token.type == tokenize.NAME:
                replaced = self._name(token.string)
                if replaced != token.string:
                    edits.append((start, end, replaced))
            elif token.type == tokenize.COMMENT or (
                token.type in _STRING_TOKENS and source[start:end] == token.string
            ):
                text = token.string
                if token.type == tokenize.COMMENT or (token.start, token.end) in docstrings:
                    text = self._prose_text(text)
                text = _IDENTIFIER.sub(lambda m: self._name(m.group()), text)
                if text != token.string:
                    edits.append((start, end, text))
        for start, end, text in sorted(edits, reverse=True):
            source = source[:start] + text + source[end:]
        return source

    def _name(self, name: str) -> str:
        rule = self._exact_names.get(name)
        if rule is not None:
            self.uses[rule] += 1
            return rule.replace
        for rule in self._name_patterns:
            match = rule.pattern.fullmatch(name)
            if match:
                self.uses[rule] += 1
                return rule.replacement(match)
        return name

    def _prose_text(self, text: str) -> str:
        for rule in self._prose:
            text, count = rule.pattern.subn(rule.replacement, text)
            self.uses[rule] += count
        return text

    def _line(
        self, source: str, line_start: int, start: int, end: int
    ) -> tuple[int, int, str] | None:
        """The edit of the first line rule matching the logical line ``source[start:end]``."""
        text = source[start:end].rstrip("\r\n")
        for rule in self._lines:
            match = rule.pattern.fullmatch(text)
            if match is None:
                continue
            self.uses[rule] += 1
            replaced = rule.replacement(match)
            if not replaced:  # the whole line goes, its indentation and line break included
                return line_start, end, ""
            return start, end, replaced + source[start + len(text) : end]
        return None


_NOT_CODE = {
    tokenize.NEWLINE,
    tokenize.NL,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.COMMENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


def _logical_line_ends(tokens: list[tokenize.TokenInfo]) -> dict[int, int]:
    """Index of each logical line's first code token -> index of its NEWLINE (or ENDMARKER)."""
    ends: dict[int, int] = {}
    first: int | None = None
    for index, token in enumerate(tokens):
        if first is None and token.type not in _NOT_CODE:
            first = index
        elif first is not None and token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            ends[first] = index
            first = None
    return ends


def _docstring_spans(source: str) -> set[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) of every string that is a statement of its own: docstrings, attribute docs."""
    spans = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and node.end_lineno is not None
            and node.end_col_offset is not None
        ):
            spans.add(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))
    return spans


def header(source: Path) -> str:
    return (
        f"# Generated from {source.as_posix()} by scripts/unasync.py: do not edit.\n"
        "# Change the async source and run `python scripts/unasync.py`.\n"
    )


def ruff(*arguments: str) -> None:
    """Run the environment's ruff with the project's configuration."""
    config = ["--config", str(ROOT / "pyproject.toml"), "--no-cache", "--quiet"]
    if importlib.util.find_spec("ruff") is None:
        raise SystemExit(
            "unasync: the generator formats its output with ruff, which this Python lacks: "
            "`python -m pip install -r requirements/unasync.txt` (or `nox -s unasync_check`)"
        )
    command = [sys.executable, "-m", "ruff", *arguments, *config]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"unasync: `ruff {' '.join(arguments)}` failed:\n{result.stderr}")


def formatted(texts: dict[Path, str]) -> dict[Path, str]:
    """``texts`` import-sorted and formatted by ruff, in a scratch copy of the project's layout."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        for target, text in texts.items():
            (base / target).parent.mkdir(parents=True, exist_ok=True)
            (base / target).write_text(text, encoding="utf-8")
        ruff("check", "--select", "I", "--fix", "--exit-zero", str(base))
        ruff("format", str(base))
        return {target: (base / target).read_text(encoding="utf-8") for target in texts}


def async_sources(tree: Path) -> list[Path]:
    return sorted(p for p in (ROOT / tree).rglob("*.py") if "__pycache__" not in p.parts)


def generate(rewriter: Rewriter) -> dict[Path, str]:
    """Every generated file (relative path -> content)."""
    outputs: dict[Path, str] = {}
    for async_tree, sync_tree in TREES:
        for source in async_sources(async_tree):
            relative = source.relative_to(ROOT / async_tree)
            target = sync_tree / relative
            text = rewriter.rewrite(source.read_text(encoding="utf-8"))
            outputs[target] = header(async_tree / relative) + text
    return formatted(outputs)


def existing(tree: Path) -> set[Path]:
    return {
        p.relative_to(ROOT) for p in (ROOT / tree).rglob("*.py") if "__pycache__" not in p.parts
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()

    rewriter = Rewriter()
    outputs = generate(rewriter)
    unused = rewriter.unused()
    if unused:
        print("unasync: these rules matched nothing (remove them or fix them):", file=sys.stderr)
        print("\n".join(f"  {rule}" for rule in unused), file=sys.stderr)
        return 1

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
