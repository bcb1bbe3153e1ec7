"""Every example of docs/cli.md runs as written: each ``sh`` block in bash, in order, with
``qbank`` on PATH, in a directory holding the files the page names (their content taken from
the page where it shows them), against the embedded sandbox (``--sandbox``) or the sandbox
server a block starts. A ``$ command`` line is followed by its output, checked (``...`` stands
for the parts that change from run to run)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qbank_connect.webhooks import signed_headers

from ..servers import free_port
from .helpers import cli_env

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
TEXT = DOC.read_text()
WEBHOOK_SECRET = "whsec_docs_example"


def sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", TEXT, flags=re.DOTALL)


def shown_files() -> dict[str, str]:
    """The files the page shows: a `name`: line, a blank line, then a fenced block."""
    return dict(
        re.findall(r"^`([\w.-]+)`:\n\n```\w*\n(.*?)```", TEXT, flags=re.MULTILINE | re.DOTALL)
    )


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    """A webhook receiver standing in for the page's http://localhost:8000."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name, content in shown_files().items():
        (tmp_path / name).write_text(content)
    (tmp_path / "whsec.txt").write_text(WEBHOOK_SECRET + "\n")
    body = (Path(__file__).with_name("event.json")).read_bytes()
    (tmp_path / "captured-body.json").write_bytes(body)
    headers = signed_headers(body, WEBHOOK_SECRET)
    (tmp_path / "captured-headers.txt").write_text(
        "".join(f"{name}: {value}\n" for name, value in headers.items())
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "qbank"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m qbank_connect "$@"\n')
    shim.chmod(0o755)
    return tmp_path


def bash(script: str, cwd: Path, *, strict: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``script``; ``strict``: stop at the first failing command (a pipe's too)."""
    env = cli_env()
    env["PATH"] = os.pathsep.join([str(cwd / "bin"), env["PATH"]])
    if strict:
        script = "set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def runnable(block: str, receiver: str) -> str:
    """The block as bash runs it: the test's receiver and a free port in place of the page's,
    and a wait for a server started with `&` to listen before the next line."""
    port = str(free_port())
    block = block.replace("http://localhost:8000", receiver).replace("8080", port)
    lines: list[str] = []
    for line in block.replace("\\\n", " ").splitlines():
        lines.append(line)
        if line.rstrip().endswith("&"):
            lines.append(
                f"for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break;"
                " sleep 0.1; done"
            )
    return "\n".join(lines) + "\n"


def expected_pattern(lines: list[str]) -> re.Pattern[str]:
    return re.compile(
        "\n".join(".*?".join(re.escape(part) for part in line.split("...")) for line in lines)
    )


def test_the_page_has_examples_and_shows_their_files() -> None:
    assert len(sh_blocks()) >= 6
    assert {"payroll.csv", "entries.csv", "ach.json"} <= set(shown_files())
    json.loads(shown_files()["ach.json"])


def test_every_example_runs_as_written(workdir: Path, receiver: str) -> None:
    for block in sh_blocks():
        if block.startswith("$ "):
            # A transcript: each `$ command` and the output the page promises for it.
            command, *output = block.rstrip("\n").split("\n")
            done = bash("{ " + command.removeprefix("$ ") + "; } 2>&1", workdir, strict=False)
            assert done.returncode == 0, (block, done.stdout, done.stderr)
            assert expected_pattern(output).fullmatch(done.stdout.rstrip("\n")), (
                block,
                done.stdout,
            )
            continue
        done = bash(runnable(block, receiver), workdir)
        assert done.returncode == 0, (block, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
    assert (workdir / "payroll.ach").is_file()  # nacha build wrote it; validate and upload ran
    assert (workdir / "payroll.results.csv").is_file()  # the bulk run's results
