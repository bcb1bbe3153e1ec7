"""Without PyJWT (the ``[jwt]`` extra), private_key_jwt fails at construction, naming the extra;
everything else works. A fresh process with the module blocked stands for an install without it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

BLOCK = "import sys\nsys.modules['jwt'] = None  # as if PyJWT were not installed\n"


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("client", ["QBankConnect", "AsyncQBankConnect"])
def test_private_key_jwt_names_the_missing_extra(client: str) -> None:
    result = run(
        f"""
        from cryptography.hazmat.primitives.asymmetric import ec
        from qbank_connect import {client}
        try:
            {client}(client_id="cid", token_auth_method="private_key_jwt",
                     private_key=ec.generate_private_key(ec.SECP256R1()))
        except ImportError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'qbank-connect[jwt]'" in result.stdout
    assert "private_key_jwt" in result.stdout


def test_the_rest_works_without_it() -> None:
    result = run(
        """
        from qbank_connect import QBankConnect
        from qbank_connect.sandbox import Sandbox, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
        with Sandbox() as sandbox, sandbox.http_client() as http:
            client = QBankConnect(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                                  base_url=sandbox.base_url, http_client=http)
            print(client.balances.get("acc_operating").account_id)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "acc_operating"


def test_a_sandbox_client_with_a_public_key_names_the_missing_extra() -> None:
    result = run(
        """
        from qbank_connect.sandbox import Sandbox, SandboxClient
        try:
            Sandbox(clients=[SandboxClient("c", public_key="-----BEGIN PUBLIC KEY-----")])
        except ImportError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "qbank-connect[jwt]" in result.stdout
