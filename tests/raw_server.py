"""A tiny loopback HTTP server that answers every request with the same canned raw bytes.

For malformed-response tests: truncated JSON, HTML from a proxy, empty bodies, odd statuses,
lying ``Content-Length``s, garbage status lines. One connection at a time; each is closed after
its answer."""

from __future__ import annotations

import select
import socket
import threading
from types import TracebackType


def http_response(
    status: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    length: int | None = None,
) -> bytes:
    """Raw HTTP/1.1 answer bytes; ``length`` overrides ``Content-Length`` (to lie about it)."""
    lines = [f"HTTP/1.1 {status}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawServer:
    def __init__(self) -> None:
        self.answer = http_response("204 No Content")
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="raw-server", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.005)
            if not ready:
                continue
            connection, _ = self._listener.accept()
            with connection:
                connection.settimeout(5)
                try:
                    self.requests.append(self._read_request(connection))
                    connection.sendall(self.answer)
                    connection.shutdown(socket.SHUT_WR)
                    connection.recv(1024)  # until the client closes too
                except OSError:
                    pass

    @staticmethod
    def _read_request(connection: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
