"""OAuth 2.0 client credentials, the parts without I/O: request encoding and token lifetimes."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast
from urllib.parse import quote_plus, urlencode

import httpx2

from ._private_key_jwt import ASSERTION_TYPE
from ._secrets import Secret
from .errors import QBankResponseValidationError, QBankTokenError

if TYPE_CHECKING:
    from ._private_key_jwt import PrivateKey, PrivateKeyJWT

__all__ = [
    "SECRET_METHODS",
    "TOKEN_AUTH_METHODS",
    "AccessToken",
    "ClientCredentials",
    "TokenSource",
    "basic_authorization",
    "make_credentials",
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


TOKEN_AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "tls_client_auth",
)
"""How the client authenticates to ``POST /token``: RFC 6749 section 2.3.1 (a secret, in a Basic
header or the form), RFC 7523 section 2.2 (a signed JWT) or RFC 8705 section 2.1 (the TLS client
certificate; the form carries only ``client_id``)."""

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


class ClientCredentials:
    """The client id and its credential, and how they are sent to ``POST /token``.

    ``client_secret_basic`` (the default) sends id and secret in an ``Authorization: Basic``
    header, each form-encoded first as RFC 6749 2.3.1 says (so a space in a secret travels as
    ``+``, which some servers decode wrongly); ``client_secret_post`` sends them as form fields;
    ``private_key_jwt`` sends a fresh signed assertion each time; ``tls_client_auth`` sends
    ``client_id`` alone, the certificate being on the connection."""

    __slots__ = ("_body", "_fields", "_header", "_signer", "client_id", "method", "secret")

    def __init__(
        self,
        client_id: str,
        client_secret: Secret | None,
        scopes: Sequence[str] | None,
        *,
        method: str = "client_secret_basic",
        signer: PrivateKeyJWT | None = None,
    ) -> None:
        if method not in TOKEN_AUTH_METHODS:
            raise ValueError(
                f"token_auth_method must be one of {', '.join(TOKEN_AUTH_METHODS)}, got {method!r}"
            )
        self.client_id = client_id
        self.method = method
        self.secret = client_secret
        fields = {"grant_type": "client_credentials"}
        if scopes:
            fields["scope"] = " ".join(scopes)
        self._header: Secret | None = None
        self._signer = signer
        if method in SECRET_METHODS:
            if client_secret is None:
                raise ValueError(f"token_auth_method={method!r} needs client_secret")
            if method == "client_secret_post":
                fields["client_id"] = client_id
                fields["client_secret"] = client_secret.reveal()
            else:
                self._header = basic_authorization(client_id, client_secret)
        else:
            fields["client_id"] = client_id
            if method == "private_key_jwt":
                if signer is None:
                    raise ValueError("token_auth_method='private_key_jwt' needs private_key")
                fields["client_assertion_type"] = ASSERTION_TYPE
        self._fields = fields if signer is not None else None  # no secret is kept in clear
        self._body = Secret(urlencode(fields))

    def token_request(self, user_agent: str) -> tuple[dict[str, str], bytes]:
        """Headers and form body of one ``POST /token`` (with a new assertion, if signed)."""
        headers = {
            "Accept": "application/json",
            "User-Agent": user_agent,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self._header is not None:
            headers["Authorization"] = self._header.reveal()
        if self._signer is not None and self._fields is not None:
            fields = {**self._fields, "client_assertion": self._signer.assertion()}
            return headers, urlencode(fields).encode("ascii")
        return headers, self._body.reveal().encode("ascii")

    def __repr__(self) -> str:
        if self.method in SECRET_METHODS:
            return f"ClientCredentials(client_id={self.client_id!r}, client_secret='***')"
        return f"ClientCredentials(client_id={self.client_id!r}, method={self.method!r})"


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


def make_credentials(
    client_id: str | None,
    client_secret: str | None,
    scopes: Sequence[str] | None,
    *,
    method: str,
    token_url: str,
    private_key: PrivateKey | None,
    private_key_id: str | None,
    private_key_alg: str | None,
    has_certificate: bool,
) -> ClientCredentials:
    """The credentials for ``token_auth_method``, every argument checked before any I/O.

    ``client_secret`` falls back to ``QBANK_CLIENT_SECRET`` only for the secret methods;
    ``has_certificate`` says whether the connections present a client certificate."""
    if method not in TOKEN_AUTH_METHODS:
        raise ValueError(
            f"token_auth_method must be one of {', '.join(TOKEN_AUTH_METHODS)}, got {method!r}"
        )
    if method != "private_key_jwt":
        for name, value in (
            ("private_key", private_key),
            ("private_key_id", private_key_id),
            ("private_key_alg", private_key_alg),
        ):
            if value is not None:
                raise ValueError(f"{name}= is for token_auth_method='private_key_jwt'")
    if method not in SECRET_METHODS and client_secret is not None:
        raise ValueError(
            f"client_secret cannot be used with token_auth_method={method!r}: "
            "the contract takes exactly one client authentication method"
        )
    if method in SECRET_METHODS:
        client_secret = client_secret or os.environ.get("QBANK_CLIENT_SECRET") or None
    if not client_id:
        raise ValueError("client_id (or QBANK_CLIENT_ID) is required unless token= is given")
    if method in SECRET_METHODS:
        if not client_secret:
            raise ValueError(
                "client_secret (or QBANK_CLIENT_SECRET) is required unless token= is given"
            )
        return ClientCredentials(client_id, Secret(client_secret), scopes, method=method)
    if method == "tls_client_auth":
        if not has_certificate:
            raise ValueError(
                "token_auth_method='tls_client_auth' needs client_cert= (or ssl_context= "
                "holding the client certificate)"
            )
        return ClientCredentials(client_id, None, scopes, method=method)
    if private_key is None:
        raise ValueError("token_auth_method='private_key_jwt' needs private_key=")
    from ._private_key_jwt import PrivateKeyJWT

    signer = PrivateKeyJWT(
        private_key,
        client_id=client_id,
        audience=token_url,
        key_id=private_key_id,
        algorithm=private_key_alg,
    )
    return ClientCredentials(client_id, None, scopes, method=method, signer=signer)
