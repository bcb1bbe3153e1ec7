# Generated from tests/_async/test_token_cache.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The shared token cache (``token_cache=``) against the sandbox over a real socket, on SQLite,
Redis and PostgreSQL (real servers).

Two clients with their own store connections stand for two processes here (the many-process
proofs are in tests/test_token_cache_processes.py): they share one token, refresh it once,
ignore an entry that was altered or sealed with another secret, and never store the secret or
the token in clear. A store that cannot be used fails with a named error before any token
request."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sniffio

import qbank_connect._auth
import qbank_connect._stores.token_cache
from qbank_connect import QBankConnect
from qbank_connect.errors import (
    QBankStoreError,
    QBankStoreUnavailableError,
    QBankStoreURLError,
)
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox
from qbank_connect.token_cache import TokenStore

from .. import store_access
from ..concurrency import gather_threads
from ..servers import free_port

pytestmark = [pytest.mark.e2e]

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
TABLE = "qbank_token_cache"


def running_trio() -> bool:
    try:
        return sniffio.current_async_library() == "trio"
    except Exception:  # no event loop: the blocking twin
        return False


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(start=START, token_ttl=3600) as sandbox, sandbox.serve() as server:
        yield sandbox, server.base_url


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def cache_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tokens.db"
    if running_trio():
        pytest.skip("psycopg and redis-py async need asyncio (see test_trio_names_the_limit)")
    return str(request.getfixturevalue(f"{request.param}_url"))


def make_client(
    base_url: str, token_cache: object, secret: str = DEMO_CLIENT_SECRET
) -> QBankConnect:
    return QBankConnect(
        DEMO_CLIENT_ID,
        secret,
        base_url=base_url,
        token_cache=token_cache,  # type: ignore[arg-type]
        max_retries=0,
    )


@pytest.fixture
def pair(
    served: tuple[Sandbox, str], cache_url: str
) -> Iterator[tuple[QBankConnect, QBankConnect]]:
    with make_client(served[1], cache_url) as one, make_client(served[1], cache_url) as two:
        yield one, two


def read(client: QBankConnect) -> None:
    balance = client.balances.get(ACCOUNT_OPERATING)
    assert balance.account_id == ACCOUNT_OPERATING


def current_token(client: QBankConnect) -> str:
    return (client._requester.tokens.get()).authorization.removeprefix("Bearer ")


def test_two_clients_share_one_token(
    served: tuple[Sandbox, str], pair: tuple[QBankConnect, QBankConnect]
) -> None:
    sandbox = served[0]
    one, two = pair
    read(one)
    read(two)
    gather_threads([lambda: read(one), lambda: read(two)] * 20)
    assert sandbox.token_requests == 1
    assert current_token(one) == current_token(two)


def test_a_token_refused_with_401_is_refreshed_once_for_all(
    served: tuple[Sandbox, str], pair: tuple[QBankConnect, QBankConnect]
) -> None:
    sandbox = served[0]
    one, two = pair
    read(one)
    read(two)
    sandbox.advance(hours=2)  # the server expires the token; the clients still think it fresh
    read(one)  # 401, a new token stored
    read(two)  # 401 with the old one, then the stored new one: no request
    assert sandbox.token_requests == 2
    assert current_token(one) == current_token(two)


class _Later:
    """``time`` moved two hours ahead, on both clocks."""

    def time(self) -> float:
        return time.time() + 7200

    def monotonic(self) -> float:
        return time.monotonic() + 7200


def test_the_stored_wall_clock_expiry_refreshes_ahead_of_time(
    served: tuple[Sandbox, str],
    pair: tuple[QBankConnect, QBankConnect],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = served[0]
    one, two = pair
    read(one)
    sandbox.advance(hours=2)
    monkeypatch.setattr(qbank_connect._auth, "time", _Later())
    monkeypatch.setattr(qbank_connect._stores.token_cache, "time", _Later())
    # No 401 needed: the stored refresh time has passed for every process.
    gather_threads([lambda: read(one), lambda: read(two)] * 10)
    assert sandbox.token_requests == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_tampered_entry_is_ignored_and_replaced(
    served: tuple[Sandbox, str], cache_url: str, damage: str
) -> None:
    sandbox = served[0]
    with make_client(served[1], cache_url) as one:
        read(one)
    [(key, blob)] = store_access.entries(cache_url, TABLE).items()
    broken = {
        "flip": blob[:-1] + bytes([blob[-1] ^ 1]),
        "truncate": blob[:10],
        "garbage": b"not a token",
    }[damage]
    store_access.replace(cache_url, TABLE, key, broken)
    with make_client(served[1], cache_url) as two:
        read(two)
    assert sandbox.token_requests == 2
    assert store_access.entries(cache_url, TABLE)[key] != broken


def test_an_entry_sealed_with_another_secret_does_not_open(
    served: tuple[Sandbox, str], cache_url: str
) -> None:
    sandbox = served[0]
    with make_client(served[1], cache_url) as one:
        read(one)
    [(key, blob)] = store_access.entries(cache_url, TABLE).items()
    with make_client(served[1], cache_url, secret="another-secret") as other:
        with pytest.raises(qbank_connect.errors.QBankTokenError):
            other.authenticate()  # the sandbox refuses the wrong secret...
    assert sandbox.token_requests == 2  # ...and the stored token was not handed to that client
    assert store_access.entries(cache_url, TABLE) == {key: blob}


def test_neither_secret_nor_token_is_stored_in_clear(
    served: tuple[Sandbox, str], cache_url: str
) -> None:
    with make_client(served[1], cache_url) as one:
        read(one)
        token = current_token(one)
    stored = store_access.raw_bytes(cache_url)
    assert stored  # the scan saw the entry
    for secret in (DEMO_CLIENT_SECRET, token):
        for form in (secret.encode(), base64.b64encode(secret.encode())):
            assert form not in stored
    assert DEMO_CLIENT_ID.encode() not in stored  # key names are hashes
    for key in store_access.entries(cache_url, TABLE):
        assert key.startswith("qbank-token:")


def test_an_own_store_object(served: tuple[Sandbox, str]) -> None:
    class DictStore(TokenStore):
        def __init__(self) -> None:
            self.entries: dict[str, bytes] = {}
            self.closed = False

        def load(self, key: str) -> bytes | None:
            return self.entries.get(key)

        def save(self, key: str, value: bytes, expires_at: float) -> None:
            assert expires_at > time.time()
            self.entries[key] = value

        def close(self) -> None:
            self.closed = True

    store = DictStore()
    with make_client(served[1], store) as one:
        read(one)
    with make_client(served[1], store) as two:
        read(two)
    assert served[0].token_requests == 1
    assert len(store.entries) == 1
    assert not store.closed  # a store you give is yours to close


# -- bad input: named errors before any token request ----------------------------------------


@pytest.mark.parametrize(
    "url", ["redis//cache", "memcached://cache:11211", "sqlite://", "redis://:pw@cache:port/0"]
)
def test_malformed_urls_fail_in_the_constructor(url: str) -> None:
    with pytest.raises(QBankStoreURLError, match="token_cache"):
        make_client("http://127.0.0.1:1", url)


def test_token_cache_needs_oauth_and_a_store() -> None:
    with pytest.raises(ValueError, match="cannot be used with token="):
        QBankConnect(token="t", token_cache="sqlite:///x.db", base_url="http://127.0.0.1:1")
    with pytest.raises(ValueError, match=r"token store object .* not dict"):
        make_client("http://127.0.0.1:1", {})


def test_an_unreachable_store_fails_before_any_token_request(
    served: tuple[Sandbox, str], tmp_path: Path
) -> None:
    port = free_port()
    urls = [f"sqlite:///{tmp_path}/absent/tokens.db"]
    if not running_trio():
        urls += [f"redis://:pw@127.0.0.1:{port}/0", f"postgresql://u:pw@127.0.0.1:{port}/q"]
    for url in urls:
        with make_client(served[1], url) as client:
            with pytest.raises(QBankStoreUnavailableError) as caught:
                read(client)
            assert "pw@" not in str(caught.value)
    assert served[0].token_requests == 0


def test_a_corrupt_sqlite_cache_fails_before_any_token_request(
    served: tuple[Sandbox, str], tmp_path: Path
) -> None:
    path = tmp_path / "tokens.db"
    path.write_bytes(b"\x00garbage" * 1000)
    path.chmod(0o600)
    with make_client(served[1], f"sqlite:///{path}") as client:
        with pytest.raises(QBankStoreUnavailableError, match="not a SQLite database"):
            read(client)
    assert served[0].token_requests == 0


def test_trio_names_the_limit(served: tuple[Sandbox, str], redis_url: str) -> None:
    if not running_trio():
        pytest.skip("the limit is trio's")
    with make_client(served[1], redis_url) as client:
        with pytest.raises(QBankStoreError, match="need asyncio"):
            read(client)
    assert served[0].token_requests == 0
