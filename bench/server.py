"""A minimal, cheap HTTP/1.1 server for the benchmark: canned bytes on a raw asyncio Protocol.

    python bench/server.py [--cpu N]     # prints the port on stdout, then serves until killed

Keep-alive, Content-Length and chunked request bodies (read and discarded as they arrive, never
buffered), and a canned answer per route:

    POST .../token               200 token JSON (counted; answered after 50 ms, so a stampede of
                                 callers all find no token while the first fetch is in flight)
    GET  .../balances/{id}       200 a ~1 KB Balance JSON
    POST .../payments/ach        202 a Payment JSON
    POST .../payments/ach/files  202 an AchFile JSON (the multipart body is discarded)
    GET  /stats                  200 {"token_requests": n, "requests": n, "body_bytes": n,
                                 "connections": n}
    POST /reset                  200, zeroes the counters

The server only needs to be cheap enough that the client process dominates; it runs in its own
process, pinned to its own CPU when the machine has more than one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

TOKEN_DELAY = 0.05

BALANCE = {
    "account_id": "acc_operating",
    "currency": "USD",
    "available": "1250000.75",
    "ledger": "1262310.20",
    "as_of": "2026-11-21T14:03:07.412Z",
    "timestamp": "2026-11-21T14:03:07.415Z",
    "actor": "cli_7d41f0a2c9e84b1f",
    "request_id": "req_01JD8M6Q0ZK7X4W3N9C2B5V8TR",
    # Realistic extra fields (unknown to the model, kept by extra="allow") to reach ~1 KB.
    "account_name": "Operating Account - Main",
    "account_type": "checking",
    "account_number_last4": "4821",
    "routing_number": "021000021",
    "pending_credits": "15420.00",
    "pending_debits": "3109.45",
    "holds_total": "5000.00",
    "overdraft_limit": "250000.00",
    "interest_accrued_mtd": "412.37",
    "collected": "1245000.75",
    "one_day_float": "3000.00",
    "two_day_float": "2000.00",
    "holds": [
        {
            "id": "hold_01JD8KZ2",
            "amount": "2500.00",
            "reason": "check_deposit",
            "release_at": "2026-11-23T00:00:00Z",
        },
        {
            "id": "hold_01JD8KZ3",
            "amount": "2500.00",
            "reason": "ach_debit_risk",
            "release_at": "2026-11-24T00:00:00Z",
        },
    ],
    "institution": {"name": "QBank N.A.", "bic": "QBNKUS33XXX", "timezone": "America/New_York"},
    "source": "core_realtime",
    "links": {
        "self": "/v1/balances/acc_operating",
        "account": "/v1/accounts/acc_operating",
        "transactions": "/v1/accounts/acc_operating/transactions?limit=50",
    },
}

PAYMENT = {
    "id": "5f0c6f1e-8d1b-4c7a-9a53-2b0f5e9c1d47",
    "type": "ach",
    "status": "P_PENDING",
    "amount": "1000.50",
    "currency": "USD",
    "source_account_id": "acc_operating",
    "counterparty": {
        "name": "Acme Supplies",
        "account_number_last4": "6789",
        "routing_number": "021000021",
    },
    "effective_date": "2026-11-23",
    "memo": "Invoice 4471",
    "created_at": "2026-11-21T14:03:07.512Z",
    "updated_at": "2026-11-21T14:03:07.512Z",
    "status_history": [{"status": "P_PENDING", "at": "2026-11-21T14:03:07.512Z"}],
    "timestamp": "2026-11-21T14:03:07.512Z",
    "actor": "cli_7d41f0a2c9e84b1f",
    "request_id": "req_01JD8M6Q1A2B3C4D5E6F7G8H9J",
}

ACH_FILE = {
    "id": "achf_01JD8M7A2B3C4D5E",
    "file_name": "payroll.ach",
    "status": "RECEIVED",
    "entry_count": 2,
    "total_credit": "2000.00",
    "total_debit": "0.00",
    "payment_ids": [
        "0b9c4f3e-1f0a-4b8e-8c6d-3e2f1a0b9c8d",
        "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
    ],
    "received_at": "2026-11-21T14:03:08.001Z",
    "timestamp": "2026-11-21T14:03:08.001Z",
    "actor": "cli_7d41f0a2c9e84b1f",
    "request_id": "req_01JD8M7A0000000000000000AF",
}

TOKEN = {
    "access_token": "bench-token-" + "x" * 40,
    "token_type": "Bearer",
    "expires_in": 3600,
    "scope": "balances.read payments.write",
}


def canned(status: str, body: object) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Request-Id: req_01JD8M6Q0ZK7X4W3N9C2B5V8TR\r\n"
        "\r\n"
    )
    return head.encode() + payload


R_BALANCE = canned("200 OK", BALANCE)
R_PAYMENT = canned("202 Accepted", PAYMENT)
R_ACH_FILE = canned("202 Accepted", ACH_FILE)
R_TOKEN = canned("200 OK", TOKEN)
R_OK = canned("200 OK", {"ok": True})
R_NOT_FOUND = canned("404 Not Found", {"error_code": "ERR_NOT_FOUND", "message": "no such route"})

STATS = {"token_requests": 0, "requests": 0, "body_bytes": 0, "connections": 0}


def route(method: bytes, path: bytes) -> bytes | None:
    """The canned answer; None for the token route (answered later)."""
    path = path.split(b"?", 1)[0]
    if method == b"GET":
        if b"/balances/" in path:
            return R_BALANCE
        if path == b"/stats":
            return canned("200 OK", STATS)
    elif method == b"POST":
        if path.endswith(b"/payments/ach"):
            return R_PAYMENT
        if path.endswith(b"/payments/ach/files"):
            return R_ACH_FILE
        if path.endswith(b"/token"):
            STATS["token_requests"] += 1
            return None
        if path == b"/reset":
            for key in STATS:
                STATS[key] = 0
            return R_OK
    return R_NOT_FOUND


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("buf", "chunked", "pending", "remaining", "transport")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        STATS["connections"] += 1
        self.buf = b""
        self.remaining = 0  # body bytes still to discard (Content-Length)
        self.chunked = False  # inside a chunked body
        self.pending = b""  # the answer to send once the body is consumed

    def data_received(self, data: bytes) -> None:
        if self.remaining:
            # Fast path for big uploads: discard without copying into the buffer.
            n = len(data)
            if n <= self.remaining:
                self.remaining -= n
                STATS["body_bytes"] += n
                if not self.remaining:
                    self._respond()
                return
            STATS["body_bytes"] += self.remaining
            data = data[self.remaining :]
            self.remaining = 0
            self._respond()
        self.buf += data
        self._process()

    def _process(self) -> None:
        while True:
            if self.chunked:
                if not self._consume_chunks():
                    return
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            self.buf = self.buf[end + 4 :]
            request_line, _, header_block = head.partition(b"\r\n")
            method, path, _ = request_line.split(b" ", 2)
            length = 0
            chunked = False
            for line in header_block.split(b"\r\n"):
                name, _, value = line.partition(b":")
                lname = name.strip().lower()
                if lname == b"content-length":
                    length = int(value)
                elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            STATS["requests"] += 1
            answer = route(method, path)
            self.pending = answer if answer is not None else b"TOKEN"
            if chunked:
                self.chunked = True
                continue
            if length:
                have = len(self.buf)
                if have < length:
                    STATS["body_bytes"] += have
                    self.remaining = length - have
                    self.buf = b""
                    return
                STATS["body_bytes"] += length
                self.buf = self.buf[length:]
            self._respond()

    def _consume_chunks(self) -> bool:
        """Discard chunks; True once the last one (and its trailer) is consumed."""
        while True:
            line_end = self.buf.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(self.buf[:line_end].split(b";", 1)[0], 16)
            if size == 0:
                # The last chunk, then an (empty, in practice) trailer ending in a blank line.
                trailer_end = self.buf.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return False
                self.buf = self.buf[trailer_end + 4 :]
                self.chunked = False
                self._respond()
                return True
            if len(self.buf) < line_end + 2 + size + 2:
                return False
            STATS["body_bytes"] += size
            self.buf = self.buf[line_end + 2 + size + 2 :]

    def _respond(self) -> None:
        answer, self.pending = self.pending, b""
        if answer == b"TOKEN":
            loop = asyncio.get_running_loop()
            loop.call_later(TOKEN_DELAY, self._write, R_TOKEN)
        else:
            self.transport.write(answer)

    def _write(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)


async def serve(cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.cpu))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
