"""``POST /token``: the OAuth 2.0 client-credentials grant (RFC 6749 section 4.4).

Clients authenticate with HTTP Basic (client_secret_basic), with ``client_id`` and
``client_secret`` form fields (client_secret_post), with a signed JWT (private_key_jwt, RFC 7523)
or with the TLS connection's certificate and ``client_id`` (tls_client_auth, RFC 8705; the token
is then bound to that certificate): exactly one of them. As RFC 6749 section 3.2 and
the contract say, empty parameters count as omitted and unknown ones are ignored; a known
parameter given twice is refused.
"""

from __future__ import annotations

import base64
import hmac
import json
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qsl

from ._auth import SandboxClient, parse_basic_credentials
from ._call import Call
from ._client_auth import certificate_thumbprint, registered_thumbprints
from ._http import Rejected, Response

if TYPE_CHECKING:
    from ._app import App

__all__ = ["create_token"]

_PARAMETERS = frozenset(
    {
        "grant_type",
        "scope",
        "client_id",
        "client_secret",
        "client_assertion_type",
        "client_assertion",
    }
)
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_BASIC_CHALLENGE = 'Basic realm="qbank"'


def _refuse(call: Call, status: int, error: str, description: str) -> Rejected:
    headers = [("Cache-Control", "no-store")]
    if status == 401:
        headers.append(("WWW-Authenticate", _BASIC_CHALLENGE))
    payload = {"error": error, "error_description": description, "request_id": call.request_id}
    return Rejected(call.respond(status, payload, headers=headers))


def _form(call: Call) -> dict[str, str]:
    if call.request.content_type() != "application/x-www-form-urlencoded":
        raise _refuse(call, 400, "invalid_request", "Use application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(call.request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise _refuse(call, 400, "invalid_request", "The body is not UTF-8.")
    form: dict[str, str] = {}
    for name, value in pairs:
        if not value or name not in _PARAMETERS:
            continue
        if name in form:
            raise _refuse(call, 400, "invalid_request", f"{name} is repeated.")
        form[name] = value
    return form


def _client(app: App, call: Call, form: dict[str, str]) -> tuple[SandboxClient, str | None]:
    """The authenticated client and, for tls_client_auth, the certificate thumbprint its
    token is bound to; or a 400/401 refusal."""
    basic = call.request.headers.get("authorization")
    methods = [
        name
        for name, used in (
            ("basic", basic is not None),
            ("post", "client_secret" in form),
            ("jwt", "client_assertion" in form or "client_assertion_type" in form),
        )
        if used
    ]
    if len(methods) > 1:
        raise _refuse(call, 400, "invalid_request", "Use one client authentication method.")
    if methods == ["jwt"]:
        return _assertion_client(app, call, form), None
    if not methods:
        return _certificate_client(app, call, form)
    if basic is not None:
        credentials = parse_basic_credentials(basic)
        if credentials is None:
            raise _refuse(call, 401, "invalid_client", "Malformed Basic credentials.")
    elif "client_id" in form:
        credentials = (form["client_id"], form["client_secret"])
    else:
        raise _refuse(call, 401, "invalid_client", "Client authentication failed.")
    client_id, secret = credentials
    client = app.clients.get(client_id)
    if (
        client is None
        or client.client_secret is None
        or not hmac.compare_digest(client.client_secret.encode(), secret.encode())
    ):
        raise _refuse(call, 401, "invalid_client", "Client authentication failed.")
    return client, None


def _assertion_client(app: App, call: Call, form: dict[str, str]) -> SandboxClient:
    if form.get("client_assertion_type") != _ASSERTION_TYPE or "client_assertion" not in form:
        raise _refuse(call, 401, "invalid_client", "Unsupported client assertion.")
    assertion = form["client_assertion"]
    client_id = form.get("client_id") or _unverified_subject(assertion)
    client = app.clients.get(client_id or "")
    if client is None:
        raise _refuse(call, 401, "invalid_client", "Client authentication failed.")
    audiences = [app.base_url + "/token"]
    if call.request.origin is not None:
        audiences.append(call.request.origin + app.base_path + "/token")
    problem = app.assertions.verify(client, assertion, audiences)
    if problem is not None:
        raise _refuse(call, 401, "invalid_client", problem)
    return client


def _certificate_client(
    app: App, call: Call, form: dict[str, str]
) -> tuple[SandboxClient, str | None]:
    client = app.clients.get(form.get("client_id", ""))
    presented = certificate_thumbprint(call.request.client_certificate)
    if client is None or presented is None or presented not in registered_thumbprints(client):
        raise _refuse(call, 401, "invalid_client", "Client authentication failed.")
    return client, presented


def _unverified_subject(assertion: str) -> str | None:
    """The ``sub`` of an assertion before its signature is checked (to find the key)."""
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    if not isinstance(claims, dict):
        return None
    subject = cast("dict[str, object]", claims).get("sub")
    return subject if isinstance(subject, str) else None


def create_token(app: App, call: Call) -> Response:
    """Issue a bearer token for the requested scopes (all the client's when omitted)."""
    form = _form(call)
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise _refuse(call, 400, "invalid_request", "grant_type is required.")
    if grant_type != "client_credentials":
        raise _refuse(call, 400, "unsupported_grant_type", "Only client_credentials is supported.")
    client, certificate = _client(app, call, form)
    requested = form.get("scope", "").split()
    refused = [s for s in requested if s not in client.scopes]
    if refused:
        raise _refuse(
            call, 400, "invalid_scope", "Not granted to this client: " + " ".join(refused)
        )
    granted = list(dict.fromkeys(requested)) if requested else list(client.scopes)
    with app.lock:
        token = app.tokens.issue(
            client.client_id, granted, app.clock.now(), certificate=certificate
        )
    payload = {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": app.tokens.ttl_seconds,
        "scope": " ".join(granted),
    }
    return call.respond(
        200, payload, headers=[("Cache-Control", "no-store"), ("Pragma", "no-cache")]
    )
