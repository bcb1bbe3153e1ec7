"""The sandbox as a separate process (``python -m qbank_connect.sandbox --port 0``), for tests
that fork, or that kill and restart workers, without the sandbox's threads in their process."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


@contextmanager
def sandbox_process(*args: str, startup: float = 30.0) -> Iterator[str]:
    """Start the sandbox on a free loopback port; yields its base URL; stops it on exit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qbank_connect.sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + startup
        base_url = None
        seen = []
        while base_url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                raise RuntimeError(f"the sandbox did not start: {''.join(seen)!r}")
            ready, _, _ = select.select([process.stdout], [], [], remaining)
            if ready:
                line = process.stdout.readline()
                seen.append(line)
                found = re.search(r"listening on (https?://\S+)", line)
                if found:
                    base_url = found.group(1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        process.stdout.close()
