import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _no_qbank_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests must not pick up a developer's real credentials or settings.
    for name in (
        "QBANK_CLIENT_ID",
        "QBANK_CLIENT_SECRET",
        "QBANK_BASE_URL",
        "QBANK_WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
