"""``python -m qbank_connect.sandbox``: serve the sandbox on a local port until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from . import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    ACCOUNT_PETTY_CASH,
    ACCOUNT_RESERVE,
    ALL_SCOPES,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_READONLY_CLIENT_ID,
    DEMO_READONLY_CLIENT_SECRET,
    DEMO_WEBHOOK_SECRET,
    Sandbox,
    SandboxClient,
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
    tls = parser.add_argument_group("HTTPS and mutual TLS")
    tls.add_argument("--tls-cert", default=None, help="serve HTTPS with this PEM certificate")
    tls.add_argument(
        "--tls-key", default=None, help="the certificate's PEM key (default: in --tls-cert)"
    )
    tls.add_argument(
        "--client-ca",
        default=None,
        help="require a client certificate issued by this PEM CA (mutual TLS)",
    )
    tls.add_argument(
        "--tls-client",
        action="append",
        default=[],
        metavar="CLIENT_ID=CERT_PEM",
        help="register a tls_client_auth client by its certificate (repeatable)",
    )
    args = parser.parse_args(argv)
    if (args.tls_key or args.client_ca or args.tls_client) and not args.tls_cert:
        parser.error("--tls-key, --client-ca and --tls-client need --tls-cert")
    if args.tls_client and not args.client_ca:
        parser.error("--tls-client needs --client-ca (clients authenticate by certificate)")
    try:
        context = None if args.tls_cert is None else _server_context(args)
        clients = _clients(args.tls_client)
    except (OSError, ssl.SSLError, ValueError) as exc:
        parser.error(str(exc))

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    with (
        Sandbox(
            clients=clients,
            token_ttl=args.token_ttl,
            webhook_secret=args.webhook_secret,
            webhook_url=args.webhook_url,
            seed=args.seed,
        ) as sandbox,
        sandbox.serve(args.host, args.port, ssl_context=context) as server,
    ):
        print(f"QBank Connect sandbox listening on {server.base_url}")
        print(f"  token URL:      {server.base_url}/token")
        print(f"  client_id:      {DEMO_CLIENT_ID}")
        print(f"  client_secret:  {DEMO_CLIENT_SECRET}")
        if context is not None and args.client_ca is not None:
            print(f"  mutual TLS:     client certificates from {args.client_ca} required")
        for client in clients or ():
            if client.certificate is not None:
                print(f"  tls_client_auth client_id: {client.client_id}")
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


def _server_context(args: argparse.Namespace) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.client_ca is not None:
        context.load_verify_locations(cafile=args.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _clients(specs: Sequence[str]) -> list[SandboxClient] | None:
    """The demo clients, and one ``tls_client_auth`` client per ``CLIENT_ID=CERT_PEM``."""
    if not specs:
        return None
    read_scopes = tuple(scope for scope in ALL_SCOPES if scope.endswith(".read"))
    clients = [
        SandboxClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        SandboxClient(DEMO_READONLY_CLIENT_ID, DEMO_READONLY_CLIENT_SECRET, read_scopes),
    ]
    for spec in specs:
        client_id, sep, path = spec.partition("=")
        if not sep or not client_id or not path:
            raise ValueError(f"--tls-client takes CLIENT_ID=CERT_PEM, not {spec!r}")
        with open(path, encoding="ascii") as file:
            clients.append(SandboxClient(client_id, certificate=file.read()))
    return clients


if __name__ == "__main__":
    sys.exit(main())
