"""``python -m qbank_connect.sandbox``: serve the sandbox on a local port until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from . import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    ACCOUNT_PETTY_CASH,
    ACCOUNT_RESERVE,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_WEBHOOK_SECRET,
    Sandbox,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qbank_connect.sandbox",
        description="Run the embedded QBank Connect sandbox over HTTP.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any)")
    parser.add_argument("--token-ttl", type=int, default=3600, help="token lifetime, seconds")
    parser.add_argument("--webhook-url", default=None, help="POST paymentStatusUpdate events here")
    parser.add_argument(
        "--webhook-secret", default=DEMO_WEBHOOK_SECRET, help="webhook signing secret"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="make the ids of created payments repeat from run to run (default: random)",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    with (
        Sandbox(
            token_ttl=args.token_ttl,
            webhook_secret=args.webhook_secret,
            webhook_url=args.webhook_url,
            seed=args.seed,
        ) as sandbox,
        sandbox.serve(args.host, args.port) as server,
    ):
        print(f"QBank Connect sandbox listening on {server.base_url}")
        print(f"  token URL:      {server.base_url}/token")
        print(f"  client_id:      {DEMO_CLIENT_ID}")
        print(f"  client_secret:  {DEMO_CLIENT_SECRET}")
        print(f"  webhook secret: {args.webhook_secret}")
        print(
            "  accounts:       "
            + ", ".join((ACCOUNT_OPERATING, ACCOUNT_PAYROLL, ACCOUNT_RESERVE, ACCOUNT_PETTY_CASH))
        )
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    print("sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
