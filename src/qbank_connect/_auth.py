"""OAuth 2.0 client credentials, the parts without I/O: request encoding and token lifetimes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from urllib.parse import quote_plus, urlencode

import httpx2

from ._secrets import Secret
from .errors import QBankResponseValidationError, QBankTokenError, is_json_object, json_object

__all__ = [
    "AccessToken",
    "TokenSource",
    "basic_authorization",
    "parse_token_response",
    "token_request_body",
]

TokenSource = str | Callable[[], str]
"""What ``token=`` accepts: a pre-issued bearer token, or a callable that returns the current one."""

# Refresh this long before expiry, so that a token is never sent in its last moments.
_REFRESH_MARGIN = 60.0


def basic_authorization(client_id: str, client_secret: Secret) -> Secret:
    """The ``Authorization: Basic`` value of RFC 6749 section 2.3.1.

    Id and secret are each form-urlencoded *before* base64, so a secret with ``:``, ``+`` or ``%``
    reaches the server intact."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret.reveal())}"
    return Secret("Basic " + base64.b64encode(pair.encode()).decode("ascii"))


def token_request_body(scopes: Sequence[str] | None) -> bytes:
    fields = {"grant_type": "client_credentials"}
    if scopes:
        fields["scope"] = " ".join(scopes)
    return urlencode(fields).encode("ascii")


class AccessToken:
    """A bearer token and when to stop using it (on the monotonic clock)."""

    __slots__ = ("authorization", "refresh_at", "scope")

    def __init__(self, value: str, *, expires_in: float | None, scope: str | None = None) -> None:
        self.authorization = "Bearer " + value
        self.scope = scope
        if expires_in is None:
            self.refresh_at = float("inf")
        else:
            margin = min(_REFRESH_MARGIN, max(expires_in, 0) * 0.1)
            self.refresh_at = time.monotonic() + expires_in - margin

    def is_fresh(self) -> bool:
        return time.monotonic() < self.refresh_at

    def __repr__(self) -> str:
        return f"AccessToken('***', scope={self.scope!r})"


def parse_token_response(response: httpx2.Response) -> AccessToken:
    """Turn the answer of ``POST /token`` into a token, or raise a named error.

    Neither the token nor the credentials ever reach the error's message."""
    request_id = response.headers.get("request-id")
    if response.status_code != 200:
        body = _json_or_none(response.content)
        error = json_object(body).get("error")
        description = json_object(body).get("error_description")
        code = error if isinstance(error, str) else None
        message = "token request refused"
        if code:
            message += f": {code}"
        if isinstance(description, str):
            message += f" ({description[:200]})"
        raise QBankTokenError(
            message,
            response=response,
            body=body if body is not None else response.text[:2000],
            error_code=code,
            request_id=request_id,
        )
    parsed = _json_or_none(response.content)
    if not is_json_object(parsed):
        raise QBankResponseValidationError("token response is not a JSON object", response=response)
    body = parsed
    access_token: object = body.get("access_token")
    expires_in: object = body.get("expires_in")
    if not isinstance(access_token, str) or not access_token:
        raise QBankResponseValidationError("token response has no access_token", response=response)
    if expires_in is not None and (isinstance(expires_in, bool) or not isinstance(expires_in, int)):
        raise QBankResponseValidationError("token response has a bad expires_in", response=response)
    scope: object = body.get("scope")
    return AccessToken(
        access_token,
        expires_in=expires_in,
        scope=scope if isinstance(scope, str) else None,
    )


def _json_or_none(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
