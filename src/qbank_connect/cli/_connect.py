"""Which QBank to talk to, with which credentials, and the client for it.

A secret is never a flag value (it would land in shell history and ``ps``): it comes from
``QBANK_CLIENT_SECRET``, ``--secret-file`` or ``--prompt-secret``. ``--sandbox`` starts an
embedded sandbox for the one command (demo credentials, no network).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import BadInput, set_hint

if TYPE_CHECKING:
    from .._async.client import AsyncQBankConnect
    from .._sync.client import QBankConnect
    from ..sandbox import Sandbox

__all__ = ["Target", "aconnect", "connect", "read_secret_file"]


@dataclass(frozen=True)
class Target:
    """The connection options every API command takes."""

    client_id: str | None = None
    base_url: str | None = None
    environment: str = "production"
    secret_file: Path | None = None
    prompt_secret: bool = False
    sandbox: bool = False
    max_retries: int | None = None

    def credentials(self, default_id: str | None = None) -> tuple[str, str | None]:
        """``(client_id, secret)``; ``secret`` is ``None`` when the SDK reads it from the env."""
        client_id = self.client_id or default_id
        if not client_id:
            raise BadInput("no client id: set QBANK_CLIENT_ID or pass --client-id")
        if self.secret_file is not None and self.prompt_secret:
            raise BadInput("give --secret-file or --prompt-secret, not both")
        if self.secret_file is not None:
            return client_id, read_secret_file(self.secret_file, "--secret-file")
        if self.prompt_secret:
            import getpass

            secret = getpass.getpass(f"client secret for {client_id}: ")
            if not secret:
                raise BadInput("no client secret entered")
            return client_id, secret
        if not os.environ.get("QBANK_CLIENT_SECRET"):
            raise BadInput(
                "no client secret: set QBANK_CLIENT_SECRET, or pass --secret-file PATH or "
                "--prompt-secret (a secret is never accepted as a flag value)"
            )
        return client_id, None


def read_secret_file(path: Path, flag: str) -> str:
    """The secret in ``path``: its first line, surrounding whitespace removed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise BadInput(f"{flag}: cannot read {str(path)!r}: {reason}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadInput(f"{flag}: {str(path)!r} is empty")
    return lines[0]


def _retries(target: Target) -> int:
    from .._config import DEFAULT_MAX_RETRIES

    return DEFAULT_MAX_RETRIES if target.max_retries is None else target.max_retries


def _client_arguments(
    target: Target, sandbox: Sandbox | None
) -> tuple[str, str | None, dict[str, Any]]:
    """Credentials and client options for ``target``: its own, or the embedded sandbox's."""
    if sandbox is None:
        client_id, secret = target.credentials()
        options: dict[str, Any] = {"environment": target.environment, "base_url": target.base_url}
    else:
        client_id, secret = _sandbox_credentials(target)
        options = {"base_url": sandbox.base_url}
    return client_id, secret, {**options, "max_retries": _retries(target)}


def _sandbox_credentials(target: Target) -> tuple[str, str | None]:
    """The embedded sandbox's credentials: the demo client's by default; the read-only demo
    client's for ``--client-id demo-readonly`` (its published secret: nothing to set); any other
    client id with the secret given as for a real host."""
    from ..sandbox import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_READONLY_CLIENT_ID,
        DEMO_READONLY_CLIENT_SECRET,
    )

    demo = {
        DEMO_CLIENT_ID: DEMO_CLIENT_SECRET,
        DEMO_READONLY_CLIENT_ID: DEMO_READONLY_CLIENT_SECRET,
    }
    client_id = target.client_id or DEMO_CLIENT_ID
    if client_id in demo and target.secret_file is None and not target.prompt_secret:
        return client_id, demo[client_id]
    return target.credentials()


SANDBOX_NOT_FOUND_HINT = (
    "the embedded sandbox (--sandbox) starts empty on every command, so what another run "
    "created is not in it; for state that lasts, run `qbank sandbox` and pass --base-url"
)


@contextmanager
def _explained_not_found() -> Generator[None, None, None]:
    """A 404 of the embedded sandbox says why (e.g. `payments wait ID` of an earlier run)."""
    from ..errors import QBankNotFoundError

    try:
        yield
    except QBankNotFoundError as error:
        set_hint(error, SANDBOX_NOT_FOUND_HINT)
        raise


@contextmanager
def connect(target: Target) -> Generator[QBankConnect, None, None]:
    """A blocking client for ``target`` (and the embedded sandbox behind it, if asked for)."""
    from .._sync.client import QBankConnect

    if not target.sandbox:
        client_id, secret, options = _client_arguments(target, None)
        with QBankConnect(client_id, secret, **options) as client:
            yield client
        return
    from ..sandbox import Sandbox

    with Sandbox() as sandbox:
        http = sandbox.http_client()  # httpx2 types `with` on it loosely: closed by hand
        client_id, secret, options = _client_arguments(target, sandbox)
        try:
            with (
                _explained_not_found(),
                QBankConnect(client_id, secret, http_client=http, **options) as client,
            ):
                yield client
        finally:
            http.close()


@asynccontextmanager
async def aconnect(target: Target) -> AsyncGenerator[AsyncQBankConnect, None]:
    """The async twin of :func:`connect` (bulk commands)."""
    from .._async.client import AsyncQBankConnect

    if not target.sandbox:
        client_id, secret, options = _client_arguments(target, None)
        async with AsyncQBankConnect(client_id, secret, **options) as client:
            yield client
        return
    from ..sandbox import Sandbox

    with Sandbox() as sandbox:
        http = sandbox.async_http_client()
        client_id, secret, options = _client_arguments(target, sandbox)
        try:
            with _explained_not_found():
                async with AsyncQBankConnect(
                    client_id, secret, http_client=http, **options
                ) as client:
                    yield client
        finally:
            await http.aclose()
