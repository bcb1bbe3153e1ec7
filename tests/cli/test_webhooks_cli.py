"""``qbank webhooks send`` to a real receiver on loopback, and ``qbank webhooks verify``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qbank_connect.errors import QBankWebhookVerificationError
from qbank_connect.models import WebhookEvent
from qbank_connect.webhooks import signed_headers, unwrap

from .helpers import assert_one_line_error, cli_env, qbank

SECRET = "whsec_cli_test_secret"


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint that verifies with the SDK and answers 200, or 400 with the reason."""

    daemon_threads = True

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []
        self.refusals: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhooks/qbank"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        server: Receiver = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = unwrap(body, self.headers, SECRET)
        except QBankWebhookVerificationError as e:
            server.refusals.append(e.reason)
            status, answer = 400, json.dumps({"error": e.reason}).encode()
        else:
            server.events.append(event)
            status, answer = 200, b'{"received": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "webhook-secret"
    path.write_text(SECRET + "\n")
    return path


def test_send_a_signed_event_the_receiver_accepts(receiver: Receiver, secret_file: Path) -> None:
    run = qbank(
        "webhooks",
        "send",
        "--to",
        receiver.url,
        "--secret-file",
        str(secret_file),
        "--status",
        "P_FAILED",
    )
    assert run.returncode == 0, run
    report = run.json()
    assert (report["status_code"], report["acknowledged"]) == (200, True)
    [event] = receiver.events
    assert report["event_id"] == event.id
    assert event.payment.status == "P_FAILED" and event.payment.failure_code == "R01"


def test_send_reports_a_refusing_receiver(receiver: Receiver, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("whsec_not_the_receivers\n")
    run = qbank("webhooks", "send", "--to", receiver.url, "--secret-file", str(wrong))
    assert_one_line_error(run, 9, "400")
    assert run.json()["response_body"] == '{"error": "no_matching_signature"}'
    assert receiver.refusals == ["no_matching_signature"]
    assert "whsec_not_the_receivers" not in run.stdout + run.stderr


def test_send_with_the_secret_from_the_environment(receiver: Receiver, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    sample = json.loads(Path(__file__).with_name("event.json").read_text())
    event.write_text(json.dumps(sample))
    run = qbank(
        "webhooks",
        "send",
        "--to",
        receiver.url,
        "--event",
        str(event),
        env=cli_env(QBANK_WEBHOOK_SECRET=SECRET),
    )
    assert run.returncode == 0, run
    assert receiver.events[0].id == sample["id"]


def test_verify(tmp_path: Path, secret_file: Path) -> None:
    body = Path(__file__).with_name("event.json").read_bytes()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(signed_headers(body, SECRET)))
    run = qbank(
        "webhooks", "verify", "--secret-file", str(secret_file), "--headers", str(good), input=body
    )
    assert run.returncode == 0, run
    assert run.json()["verified"] is True

    # curl -D style header lines, signed an hour before "now": a stale delivery.
    stale = signed_headers(body, SECRET, timestamp=1_763_720_130)
    lines = tmp_path / "stale.txt"
    lines.write_text("HTTP/1.1 200 OK\n" + "".join(f"{k}: {v}\n" for k, v in stale.items()))
    run = qbank(
        "webhooks",
        "verify",
        "--secret-file",
        str(secret_file),
        "--headers",
        str(lines),
        "--now",
        str(1_763_720_130 + 3600),
        input=body,
    )
    assert_one_line_error(run, 9, "timestamp_outside_tolerance", "pass --now UNIX_TIME")
    assert "now=" not in run.stderr  # the SDK's argument, not an option of this command
    assert run.json() == {
        "verified": False,
        "reason": "timestamp_outside_tolerance",
        "message": run.json()["message"],
    }
    # The same capture, verified as of when it was received.
    run = qbank(
        "webhooks",
        "verify",
        "--secret-file",
        str(secret_file),
        "--headers",
        str(lines),
        "--now",
        str(1_763_720_130 + 5),
        input=body,
    )
    assert run.returncode == 0, run

    tampered = body.replace(b"1250.00", b"9250.00")
    run = qbank(
        "webhooks",
        "verify",
        "--secret-file",
        str(secret_file),
        "--headers",
        str(good),
        input=tampered,
    )
    assert_one_line_error(run, 9, "no_matching_signature")

    missing = tmp_path / "missing.json"
    missing.write_text("{}")
    run = qbank(
        "webhooks",
        "verify",
        "--secret-file",
        str(secret_file),
        "--headers",
        str(missing),
        input=body,
    )
    assert_one_line_error(run, 9, "missing_header")
