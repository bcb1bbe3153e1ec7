"""OAuth 2.0 client credentials, the parts without I/O: request encoding and token lifetimes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from typing import cast
from urllib.parse import quote_plus, urlencode

import httpx2

from ._secrets import Secret
from .errors import QBankResponseValidationError, QBankTokenError

__all__ = [
    "TOKEN_AUTH_METHODS",
    "AccessToken",
    "ClientCredentials",
    "TokenSource",
    "basic_authorization",
    "parse_token_response",
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


TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
"""How the credentials reach ``POST /token`` (RFC 6749 section 2.3.1; the contract takes both)."""


class ClientCredentials:
    """The client id and secret, and how they are sent to ``POST /token``.

    ``client_secret_basic`` (the default) sends them in an ``Authorization: Basic`` header,
    each form-encoded first as RFC 6749 2.3.1 says (so a space in a secret travels as ``+``,
    which some servers decode wrongly); ``client_secret_post`` sends them as form fields."""

    __slots__ = ("_body", "_header", "client_id")

    def __init__(
        self,
        client_id: str,
        client_secret: Secret,
        scopes: Sequence[str] | None,
        *,
        method: str = "client_secret_basic",
    ) -> None:
        if method not in TOKEN_AUTH_METHODS:
            raise ValueError(
                f"token_auth_method must be one of {', '.join(TOKEN_AUTH_METHODS)}, got {method!r}"
            )
        self.client_id = client_id
        fields = {"grant_type": "client_credentials"}
        if scopes:
            fields["scope"] = " ".join(scopes)
        if method == "client_secret_post":
            fields["client_id"] = client_id
            fields["client_secret"] = client_secret.reveal()
            self._header: Secret | None = None
        else:
            self._header = basic_authorization(client_id, client_secret)
        self._body = Secret(urlencode(fields))

    def token_request(self, user_agent: str) -> tuple[dict[str, str], bytes]:
        """Headers and form body of one ``POST /token``."""
        headers = {
            "Accept": "application/json",
            "User-Agent": user_agent,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self._header is not None:
            headers["Authorization"] = self._header.reveal()
        return headers, self._body.reveal().encode("ascii")

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret='***')"


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
    parsed = _json_or_none(response.content)
    if response.status_code != 200:
        raise _token_error(response, parsed)
    if not isinstance(parsed, dict):
        raise QBankResponseValidationError("token response is not a JSON object", response=response)
    body = cast("dict[str, object]", parsed)
    access_token = body.get("access_token")
    expires_in = body.get("expires_in")
    if not isinstance(access_token, str) or not access_token:
        raise QBankResponseValidationError("token response has no access_token", response=response)
    if expires_in is not None and (isinstance(expires_in, bool) or not isinstance(expires_in, int)):
        raise QBankResponseValidationError("token response has a bad expires_in", response=response)
    scope = body.get("scope")
    return AccessToken(
        access_token,
        expires_in=expires_in,
        scope=scope if isinstance(scope, str) else None,
    )


def _token_error(response: httpx2.Response, body: object) -> QBankTokenError:
    """An OAuth error (RFC 6749 5.2), or the standard error body of a gateway in front."""
    from . import models
    from ._response import validated

    oauth = validated(models.OAuthErrorResponse, body)
    standard = None if oauth is not None else validated(models.ErrorResponse, body)
    message = "token request refused"
    code: str | None = None
    if oauth is not None:
        code = oauth.error
        message += f": {code}"
        if oauth.error_description:
            message += f" ({oauth.error_description[:200]})"
    elif standard is not None and standard.error_code:
        code = standard.error_code
        message += f": {code} ({(standard.message or '')[:200]})"
    else:
        message += f" ({response.status_code} {response.reason_phrase})"
    return QBankTokenError(
        message,
        response=response,
        body=body if body is not None else response.text[:2000],
        error_code=code,
        error=oauth or standard,
    )


def _json_or_none(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
