"""The sandbox over a real socket: a stdlib ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive."""

from __future__ import annotations

import socket
import ssl
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from .._closing import Closing
from ._app import App, run_blocking
from ._client_auth import certificate_thumbprint
from ._http import SYSTEM_ERRORS, Request, Response, error_response, framed

__all__ = ["SandboxServer"]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # close() wakes idle keep-alive connections first, then joins
    request_queue_size = 2048
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], app: App, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.handshakes: list[str | None] = []
        self.accepted = 0  # connections accepted, whether their TLS handshake succeeds or not
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # HTTPS: the handshake runs here, in the connection's thread, not in the accept loop.
        request.settimeout(10)
        tls = self.ssl_context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        with self._connections_lock:
            self._connections.discard(request)  # detached by wrap_socket
            self._connections.add(tls)
        try:
            try:
                tls.do_handshake()
            except (ssl.SSLError, OSError):
                _refuse_gracefully(tls)  # the alert reaches the client before the close
                return
            with self._connections_lock:
                self.handshakes.append(certificate_thumbprint(tls.getpeercert(binary_form=True)))
            _Handler(tls, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(tls)
            tls.close()

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def wake_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients going away (or close() waking them) is normal for a test server.
        pass


def _refuse_gracefully(tls: ssl.SSLSocket) -> None:
    """Close a connection whose handshake failed without a reset: the client's unread bytes
    would make the kernel send RST, and the client would never read the TLS alert naming why."""
    try:
        raw = socket.socket(fileno=tls.detach())
    except OSError:
        return
    try:
        raw.settimeout(2)
        raw.shutdown(socket.SHUT_WR)
        while raw.recv(65536):
            pass
    except OSError:
        pass
    finally:
        raw.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QBankSandbox/1.0"
    timeout = 120  # idle keep-alive connections are closed after this many seconds

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.isdigit():
            return None
        return self.rfile.read(int(length))

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            issue = {"field": "body", "issue": "has invalid Content-Length or chunked framing"}
            refusal = error_response(
                str(uuid.uuid4()), 400, "ERR_VAL_001", "The request is invalid.", details=[issue]
            )
            self._send(framed(self.command, refusal), close=True)
            return
        split = urlsplit(self.path)
        certificate = None
        scheme = "http"
        if isinstance(self.connection, ssl.SSLSocket):
            certificate, scheme = self.connection.getpeercert(binary_form=True), "https"
        request = Request.build(
            self.command,
            unquote(split.path),
            split.query,
            list(self.headers.items()),
            body,
            client_certificate=certificate,
            origin=f"{scheme}://{self.headers.get('Host', '')}",
        )
        app = cast(_HTTPServer, self.server).app
        try:
            reply = run_blocking(app.exchange(request))
        except Exception:  # a sandbox bug: show it, answer like a real server would
            traceback.print_exc()
            code, message = SYSTEM_ERRORS[500]
            failure = error_response(str(uuid.uuid4()), 500, code, message)
            self._send(framed(self.command, failure), close=True)
            return
        if reply.response is None:
            # Commit then drop: the work is done, the client gets no answer at all.
            self.close_connection = True
            return
        self._send(reply.response)

    def _send(self, response: Response, *, close: bool = False) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")  # also sets close_connection
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the app (HEAD, OPTIONS, TRACE, ...), which answers 405 where
        # the operation table has none, instead of the standard library's HTML 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


class SandboxServer(Closing):
    """A running loopback server; use it as a context manager.

    Example::

        with sandbox.serve(port=0) as server:
            httpx2.get(server.base_url + "/accounts")
    """

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._httpd = _HTTPServer((host, port), app, ssl_context)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        display = f"[{host}]" if ":" in host else host
        scheme = "http" if ssl_context is None else "https"
        self.base_url = f"{scheme}://{display}:{self.port}{app.base_path}"
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="qbank-sandbox-server",
            daemon=True,
        )
        self._ticker = threading.Thread(target=self._tick, name="qbank-sandbox-clock", daemon=True)
        self._thread.start()
        self._ticker.start()
        self._closed = False

    @property
    def handshakes(self) -> list[str | None]:
        """HTTPS: one entry per TLS connection accepted, in order: the SHA-256 thumbprint
        (``x5t#S256``) of the client certificate it presented, or None (for tests of rotation).

        Example::

            assert server.handshakes == [thumbprint_old, thumbprint_new]
        """
        with self._httpd._connections_lock:
            return list(self._httpd.handshakes)

    @property
    def connections(self) -> int:
        """How many connections the server accepted, a failed TLS handshake included (each
        ``handshakes`` entry is one that succeeded).

        Example::

            assert server.connections == 1     # a refused certificate was not tried again
        """
        with self._httpd._connections_lock:
            return self._httpd.accepted

    def _tick(self) -> None:
        # Keeps a real-time clock's ACH batches (and their webhooks) moving with no traffic.
        while not self._stop.wait(1.0):
            self._httpd.app.tick()

    def close(self) -> None:
        """Stop accepting, close every connection and join the server's threads."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.wake_connections()
        self._httpd.server_close()
        self._thread.join()
        self._ticker.join()
