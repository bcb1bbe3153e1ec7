"""The qbank-connect speed benchmark: client CPU per call against bare httpx, import, memory.

    nox -s bench                      # the full run (a few minutes on 2 cores)
    nox -s bench -- --quick           # fewer calls and repeats, for a quick look
    python bench/run.py [--quick] [--repeats N] [--calls N] [--skip-pool]
    python bench/run.py --profile sdk:sync:get     # cProfile of one case (top functions)

A local HTTP/1.1 server (bench/server.py, canned bytes) runs in its own process; every
measurement runs in a fresh client process. With 2+ CPUs the server is pinned to CPU 1 and the
clients to CPU 0, so the client's CPU time (``time.process_time``) is the client's alone.

Every case is measured in ``--repeats`` fresh processes after a warm-up; the table shows the
median and the min-max over those processes, and the ratios of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLIENT_CPU = 0
SERVER_CPU = 1
CONCURRENCY = 50

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"

ACH_REQUEST = {
    "source_account_id": "acc_operating",
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "1000.50",
    "currency": "USD",
    "effective_date": "2026-11-23",
    "memo": "Invoice 4471",
}

# The implementations measured, as (key, label); "raw" ones are bare clients doing the same calls.
IMPL_LABELS = {
    "httpx": "httpx",
    "httpx+pydantic": "httpx + pydantic",
    "httpx2": "httpx2",
    "httpx2+pydantic": "httpx2 + pydantic",
    "sdk": "**SDK**",
    "aiohttp": "aiohttp",
    "aiohttp+pydantic": "aiohttp + pydantic",
    "sdk/aiohttp": "**SDK, aiohttp backend**",
    "sdk/httpx": "SDK, legacy httpx client",
    "sdk+otel-off": "SDK, otel API, no provider",
    "sdk+otel": "SDK, tracing on",
    "openai": "openai",
}
IMPLS = tuple(IMPL_LABELS)
ASYNC_ONLY = {"aiohttp", "aiohttp+pydantic", "sdk/aiohttp"}
MODES = ("sync", "async", f"async x{CONCURRENCY}")
OPS = {"get": "balances.get", "post": "payments.create_ach"}


# ------------------------------------------------------------------------------------------------
# Worker side: one measurement in this (fresh) process, result as JSON on stdout.
# ------------------------------------------------------------------------------------------------


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass


def peak_rss_mib() -> float:
    import resource

    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def _limits(lib: Any, spec: list[int] | None) -> Any:
    if spec is None:
        return lib.Limits(max_connections=100, max_keepalive_connections=20)  # the library default
    return lib.Limits(max_connections=spec[0], max_keepalive_connections=spec[1])


def _sdk_limits() -> list[int]:
    from qbank_connect._config import DEFAULT_POOL_LIMITS

    return [DEFAULT_POOL_LIMITS.max_connections, DEFAULT_POOL_LIMITS.max_keepalive_connections]


def _enable_tracing() -> None:
    """Global OpenTelemetry SDK providers: every span goes through a processor to an exporter
    that drops it, and the histogram into a reader that is never collected."""
    from collections.abc import Sequence

    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def _sdk_http_client(impl: str, limits: list[int] | None, *, asynchronous: bool) -> Any:
    """The client handed to the SDK: none (its own pool), or legacy httpx / httpx2 with limits."""
    if impl == "sdk/httpx":
        import httpx

        lib: Any = httpx
        limits = limits or _sdk_limits()
    elif limits is not None:  # the pool study: the SDK with an injected, tuned httpx2 client
        import httpx2

        lib = httpx2
    else:
        return None
    cls = lib.AsyncClient if asynchronous else lib.Client
    return cls(limits=_limits(lib, limits))


def _sdk_setup(impl: str) -> None:
    if impl == "sdk+otel-off":
        import opentelemetry.metrics
        import opentelemetry.propagate
        import opentelemetry.trace  # noqa: F401
    elif impl == "sdk+otel":
        _enable_tracing()


def _sdk_backend(impl: str) -> dict[str, Any]:
    return {"http_backend": "aiohttp"} if impl == "sdk/aiohttp" else {}


def sync_case(impl: str, op: str, base: str, limits: list[int] | None) -> Any:
    if impl.startswith("sdk"):
        from qbank_connect import QBankConnect
        from qbank_connect.models import AchPaymentRequest

        _sdk_setup(impl)
        client = QBankConnect(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=base,
            http_client=_sdk_http_client(impl, limits, asynchronous=False),
        )
        if op == "get":
            return lambda: client.balances.get("acc_operating")
        request = AchPaymentRequest.model_validate(ACH_REQUEST)
        return lambda: client.payments.create_ach(request=request)

    from qbank_connect.models import Balance, Payment

    if impl == "openai":
        # openai parses into its own models without validating; to do the SDK's work, take the
        # response (cast_to=httpx2.Response) and validate it with the same pydantic model.
        import httpx2
        import openai

        peer = openai.OpenAI(api_key="bench-token", base_url=base)
        if op == "get":
            return lambda: Balance.model_validate_json(
                peer.get("/balances/acc_operating", cast_to=httpx2.Response).content
            )
        return lambda: Payment.model_validate_json(
            peer.post("/payments/ach", body=ACH_REQUEST, cast_to=httpx2.Response).content
        )

    import importlib
    import uuid

    from qbank_connect._config import user_agent

    lib = importlib.import_module(impl.split("+")[0])
    http = lib.Client(limits=_limits(lib, limits))
    token = http.post(
        base + "/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)
    ).json()["access_token"]
    headers = {
        "Accept": "application/json",
        "User-Agent": user_agent(),
        "Authorization": f"Bearer {token}",
    }
    validate = impl.endswith("+pydantic")
    if op == "get":
        url = base + "/balances/acc_operating"

        def get() -> Any:
            response = http.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(response.status_code)
            return Balance.model_validate_json(response.content) if validate else response.content

        return get
    url = base + "/payments/ach"

    def post() -> Any:
        response = http.post(
            url, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, json=ACH_REQUEST
        )
        if response.status_code != 202:
            raise RuntimeError(response.status_code)
        return Payment.model_validate_json(response.content) if validate else response.content

    return post


async def async_case(impl: str, op: str, base: str, limits: list[int] | None) -> Any:
    if impl.startswith("sdk"):
        from qbank_connect import AsyncQBankConnect
        from qbank_connect.models import AchPaymentRequest

        _sdk_setup(impl)
        client = AsyncQBankConnect(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=base,
            http_client=_sdk_http_client(impl, limits, asynchronous=True),
            **_sdk_backend(impl),
        )
        if op == "get":
            return lambda: client.balances.get("acc_operating")
        request = AchPaymentRequest.model_validate(ACH_REQUEST)
        return lambda: client.payments.create_ach(request=request)

    from qbank_connect.models import Balance, Payment

    if impl == "openai":
        import httpx2
        import openai

        apeer = openai.AsyncOpenAI(api_key="bench-token", base_url=base)
        if op == "get":

            async def peer_get() -> Any:
                response = await apeer.get("/balances/acc_operating", cast_to=httpx2.Response)
                return Balance.model_validate_json(response.content)

            return peer_get

        async def peer_post() -> Any:
            response = await apeer.post("/payments/ach", body=ACH_REQUEST, cast_to=httpx2.Response)
            return Payment.model_validate_json(response.content)

        return peer_post

    if impl.startswith("aiohttp"):
        return await aiohttp_case(impl, op, base)

    import importlib
    import uuid

    from qbank_connect._config import user_agent

    lib = importlib.import_module(impl.split("+")[0])
    http = lib.AsyncClient(limits=_limits(lib, limits))
    token = (
        await http.post(
            base + "/token",
            data={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
    ).json()["access_token"]
    headers = {
        "Accept": "application/json",
        "User-Agent": user_agent(),
        "Authorization": f"Bearer {token}",
    }
    validate = impl.endswith("+pydantic")
    if op == "get":
        url = base + "/balances/acc_operating"

        async def get() -> Any:
            response = await http.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(response.status_code)
            return Balance.model_validate_json(response.content) if validate else response.content

        return get
    url = base + "/payments/ach"

    async def post() -> Any:
        response = await http.post(
            url, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, json=ACH_REQUEST
        )
        if response.status_code != 202:
            raise RuntimeError(response.status_code)
        return Payment.model_validate_json(response.content) if validate else response.content

    return post


async def aiohttp_case(impl: str, op: str, base: str) -> Any:
    """Bare aiohttp (the floor of the aiohttp backend): one session, the SDK's pool size, the
    same headers and bodies; ``+pydantic`` validates the answer with the same model."""
    import json as jsonlib
    import uuid

    import aiohttp

    from qbank_connect._config import user_agent
    from qbank_connect.models import Balance, Payment

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    async with session.post(
        base + "/token",
        data={"grant_type": "client_credentials"},
        auth=aiohttp.BasicAuth(CLIENT_ID, CLIENT_SECRET),
    ) as response:
        token = (await response.json())["access_token"]
    headers = {
        "Accept": "application/json",
        "User-Agent": user_agent(),
        "Authorization": f"Bearer {token}",
    }
    validate = impl.endswith("+pydantic")
    if op == "get":
        url = base + "/balances/acc_operating"

        async def get() -> Any:
            async with session.get(url, headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(response.status)
            return Balance.model_validate_json(body) if validate else body

        return get
    url = base + "/payments/ach"

    async def post() -> Any:
        content = jsonlib.dumps(ACH_REQUEST).encode()
        async with session.post(
            url,
            data=content,
            headers={
                **headers,
                "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        ) as response:
            body = await response.read()
            if response.status != 202:
                raise RuntimeError(response.status)
        return Payment.model_validate_json(body) if validate else body

    return post


def run_calls(spec: dict[str, Any]) -> dict[str, Any]:
    base = f"http://127.0.0.1:{spec['port']}/v1"
    impl, mode, op = spec["impl"], spec["mode"], spec["op"]
    calls, warmup, limits = spec["calls"], spec["warmup"], spec.get("limits")
    profile = spec.get("profile", False)
    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()

    if mode == "sync":
        call = sync_case(impl, op, base, limits)
        for _ in range(warmup):
            call()
        if profiler:
            profiler.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(calls):
            call()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    else:
        import asyncio

        concurrency = CONCURRENCY if mode != "async" else 1

        async def main() -> tuple[float, float]:
            call = await async_case(impl, op, base, limits)

            async def worker(n: int) -> None:
                for _ in range(n):
                    await call()

            async def batch(n: int) -> None:
                if concurrency == 1:
                    await worker(n)
                else:
                    per = n // concurrency
                    await asyncio.gather(*(worker(per) for _ in range(concurrency)))

            await batch(warmup)
            if profiler:
                profiler.enable()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await batch(calls)
            return time.process_time() - cpu0, time.perf_counter() - wall0

        cpu, wall = asyncio.run(main())
        if concurrency > 1:
            calls = calls // concurrency * concurrency
    if profiler:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(35)
    return {"cpu_us": cpu / calls * 1e6, "wall_us": wall / calls * 1e6}


def run_construct(spec: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from qbank_connect import AsyncQBankConnect, QBankConnect

    imported = time.perf_counter() - t0
    base = "http://127.0.0.1:1/v1"
    results: dict[str, Any] = {"import_s": imported}
    for name, cls in (("sync", QBankConnect), ("async", AsyncQBankConnect)):
        times = []
        for _ in range(spec["n"]):
            t = time.perf_counter()
            client = cls(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base)
            times.append(time.perf_counter() - t)
        # The owned httpx client (and its TLS context) must not exist before the first call.
        results[name] = {
            "first_ms": times[0] * 1e3,
            "median_ms": statistics.median(times) * 1e3,
            "lazy_http_client": client._requester.http._owned is None,
        }
    return results


def run_import(spec: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    if spec["what"] == "sdk":
        import qbank_connect  # noqa: F401
    elif spec["what"] == "floor":
        import httpx2  # noqa: F401
        from pydantic import BaseModel  # noqa: F401
    return {"import_s": time.perf_counter() - t0}


def run_rss(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["what"] == "sdk":
        from qbank_connect import QBankConnect

        client = QBankConnect(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url="http://127.0.0.1:1/v1"
        )
        assert client is not None
    elif spec["what"] == "floor":
        import httpx2
        from pydantic import BaseModel  # noqa: F401

        http = httpx2.Client()
        assert http is not None
    return {"rss_mib": peak_rss_mib()}


def run_upload(spec: dict[str, Any]) -> dict[str, Any]:
    base = f"http://127.0.0.1:{spec['port']}/v1"
    from qbank_connect import QBankConnect

    with QBankConnect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base) as client:
        client.balances.get("acc_operating")  # token, connection, all imports
        before = peak_rss_mib()
        t0 = time.perf_counter()
        ach_file = client.payments.upload_ach_file(spec["path"])
        seconds = time.perf_counter() - t0
        assert ach_file.entry_count == 2
    return {"rss_before_mib": before, "rss_peak_mib": peak_rss_mib(), "seconds": seconds}


def run_stampede(spec: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    import httpx

    base = f"http://127.0.0.1:{spec['port']}"
    httpx.post(base + "/reset")
    from qbank_connect import AsyncQBankConnect

    async def main() -> float:
        async with AsyncQBankConnect(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base + "/v1"
        ) as client:
            t0 = time.perf_counter()
            await asyncio.gather(*(client.balances.get("acc_operating") for _ in range(spec["n"])))
            return time.perf_counter() - t0

    seconds = asyncio.run(main())
    stats = httpx.get(base + "/stats").json()
    return {"token_requests": stats["token_requests"], "calls": spec["n"], "seconds": seconds}


FIRST_CALL_IMPLS = {
    "httpx2+pydantic": "httpx2 + pydantic",
    "aiohttp+pydantic": "aiohttp + pydantic",
    "sdk": "**SDK** (httpx2)",
    "sdk/aiohttp": "**SDK, aiohttp backend**",
}


def run_first_call(spec: dict[str, Any]) -> dict[str, Any]:
    """A fresh process's start: import, construct, the first call (a token and a balance, for
    the bare libraries too), then a second call; wall and CPU milliseconds of each step."""
    import asyncio

    impl, base = spec["impl"], f"http://127.0.0.1:{spec['port']}/v1"
    marks: list[tuple[float, float]] = [(time.perf_counter(), time.process_time())]

    def mark() -> None:
        marks.append((time.perf_counter(), time.process_time()))

    async def main() -> None:
        if impl.startswith("sdk"):
            from qbank_connect import AsyncQBankConnect

            client = AsyncQBankConnect(
                CLIENT_ID, CLIENT_SECRET, base_url=base, **_sdk_backend(impl)
            )
            mark()
            await client.balances.get("acc_operating")
            mark()
            await client.balances.get("acc_operating")
            mark()
            await client.aclose()
            return
        if impl == "httpx2+pydantic":
            import httpx2
            from pydantic import BaseModel

            class Balance(BaseModel):
                account_id: str
                available: str

            async with httpx2.AsyncClient() as http:
                mark()
                token = (
                    await http.post(
                        base + "/token",
                        data={"grant_type": "client_credentials"},
                        auth=(CLIENT_ID, CLIENT_SECRET),
                    )
                ).json()["access_token"]
                for _ in range(2):
                    response = await http.get(
                        base + "/balances/acc_operating",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    Balance.model_validate_json(response.content)
                    mark()
            return
        import aiohttp
        from pydantic import BaseModel

        class Balance(BaseModel):  # type: ignore[no-redef]
            account_id: str
            available: str

        async with aiohttp.ClientSession() as session:
            mark()
            async with session.post(
                base + "/token",
                data={"grant_type": "client_credentials"},
                auth=aiohttp.BasicAuth(CLIENT_ID, CLIENT_SECRET),
            ) as answer:
                token = (await answer.json())["access_token"]
            for _ in range(2):
                async with session.get(
                    base + "/balances/acc_operating",
                    headers={"Authorization": f"Bearer {token}"},
                ) as answer:
                    Balance.model_validate_json(await answer.read())
                mark()

    asyncio.run(main())
    (w0, c0), (w1, c1), (w2, c2), (w3, _) = marks[:4]
    return {
        "start_wall_ms": (w1 - w0) * 1e3,
        "start_cpu_ms": (c1 - c0) * 1e3,
        "first_wall_ms": (w2 - w1) * 1e3,
        "first_cpu_ms": (c2 - c1) * 1e3,
        "second_wall_ms": (w3 - w2) * 1e3,
        "total_cpu_ms": (c2 - c0) * 1e3,
        "total_wall_ms": (w2 - w0) * 1e3,
    }


def first_call_table(port: int, repeats: int) -> str:
    """The first call in a fresh process, per implementation: median (min-max)."""
    rows: dict[str, dict[str, list[float]]] = {}
    for _ in range(repeats):
        for impl in FIRST_CALL_IMPLS:  # interleaved: load on the machine hits all alike
            result = spawn({"kind": "first_call", "impl": impl, "port": port})
            entry = rows.setdefault(impl, {})
            for key, value in result.items():
                entry.setdefault(key, []).append(value)
    floor = statistics.median(rows["httpx2+pydantic"]["total_cpu_ms"])
    lines = [
        "| implementation | import + construct, CPU ms | first call (token + GET), wall ms "
        "| first call, CPU ms | second call, wall ms | import + construct + first call, CPU ms "
        "| that / httpx2 + pydantic (target <= 1.2x) |",
        "|---|---|---|---|---|---|---|",
    ]
    for impl, label in FIRST_CALL_IMPLS.items():
        r = rows[impl]
        lines.append(
            f"| {label} | {fmt(r['start_cpu_ms'], 1)} | {fmt(r['first_wall_ms'], 1)} "
            f"| {fmt(r['first_cpu_ms'], 1)} | {fmt(r['second_wall_ms'], 2)} "
            f"| {fmt(r['total_cpu_ms'], 1)} "
            f"| {statistics.median(r['total_cpu_ms']) / floor:.2f}x |"
        )
    return "\n".join(lines)


WORKERS = {
    "first_call": run_first_call,
    "calls": run_calls,
    "construct": run_construct,
    "import": run_import,
    "rss": run_rss,
    "upload": run_upload,
    "stampede": run_stampede,
}


def worker_main(raw: str) -> None:
    spec = json.loads(raw)
    pin(CLIENT_CPU)
    result = WORKERS[spec["kind"]](spec)
    sys.stdout.write(json.dumps(result) + "\n")


# ------------------------------------------------------------------------------------------------
# Driver side: start the server, spawn the workers, print the tables.
# ------------------------------------------------------------------------------------------------


def env() -> dict[str, str]:
    result = dict(os.environ)
    src = str(ROOT / "src")
    result["PYTHONPATH"] = src + (
        os.pathsep + result["PYTHONPATH"] if result.get("PYTHONPATH") else ""
    )
    result.pop("QBANK_LOG", None)
    # Import times as installed: let Python cache bytecode (see prime_bytecode()).
    result.pop("PYTHONDONTWRITEBYTECODE", None)
    return result


def prime_bytecode() -> None:
    """Compile qbank_connect's .pyc files (an installed wheel has them; a checkout may not)."""
    import compileall

    compileall.compile_dir(str(ROOT / "src" / "qbank_connect"), quiet=1)


def spawn(spec: dict[str, Any], *, stderr: Any = None) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__)), "--worker", json.dumps(spec)],
        check=True,
        capture_output=stderr is None,
        stdout=subprocess.PIPE if stderr is not None else None,
        text=True,
        env=env(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


IMPORTS = {
    "bare": "pass",
    "httpx2": "import httpx2",
    "floor": "import httpx2, pydantic; from pydantic import BaseModel",
    "sdk": "import qbank_connect",
    "sync": "from qbank_connect import QBankConnect",
    "async": "from qbank_connect import AsyncQBankConnect",
}
FLOOR_LABEL = "`import httpx2, pydantic; from pydantic import BaseModel`"


def process_import_s(n: int) -> dict[str, list[float]]:
    """CPU seconds (user + system) of a fresh ``python -c CODE`` per entry of IMPORTS, minus
    the median of a bare interpreter; interleaved, so that load on the machine hits all alike.
    CPU time, not wall time: on a shared machine the wall clock mostly measures the others."""
    import resource

    times: dict[str, list[float]] = {what: [] for what in IMPORTS}
    for _ in range(n):
        for what, code in IMPORTS.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-c", code], check=True, env=env())
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[what].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    bare = statistics.median(times.pop("bare"))
    return {what: [t - bare for t in values] for what, values in times.items()}


class Server:
    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), "--cpu", str(SERVER_CPU)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def fmt(values: list[float], digits: int = 0) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def measure_calls(
    port: int,
    repeats: int,
    calls: int,
    warmup: int,
    progress: bool,
    impls: tuple[str, ...] = IMPLS,
    modes: tuple[str, ...] = MODES,
) -> dict[tuple[str, str, str], dict[str, list[float]]]:
    results: dict[tuple[str, str, str], dict[str, list[float]]] = {}
    cases = [
        (impl, mode, op)
        for mode in modes
        for op in OPS
        for impl in impls
        if not (mode == "sync" and impl in ASYNC_ONLY)
    ]
    failed: set[tuple[str, str, str]] = set()
    for repeat in range(repeats):
        # Rotate the order each repeat, so that no implementation always runs first.
        shift = repeat % len(cases)
        for case in cases[shift:] + cases[:shift]:
            impl, mode, op = case
            if case in failed:
                continue
            spec = {"kind": "calls", "impl": impl, "mode": mode, "op": op, "calls": calls,
                    "warmup": warmup, "port": port}  # fmt: skip
            try:
                result = spawn(spec)
            except subprocess.CalledProcessError as exc:
                # e.g. the SDK of this checkout does not take a legacy httpx client yet
                last = (exc.stderr or "").strip().splitlines()[-1:] or ["?"]
                print(f"  {impl} {mode} {op}: failed: {last[0]}", file=sys.stderr, flush=True)
                failed.add(case)
                continue
            entry = results.setdefault(case, {"cpu_us": [], "wall_us": []})
            entry["cpu_us"].append(result["cpu_us"])
            entry["wall_us"].append(result["wall_us"])
        if progress:
            print(f"  repeat {repeat + 1}/{repeats} done", file=sys.stderr, flush=True)
    return results


# (mode, the reference the SDK is held to, the target ratio) from issue 11.
TARGETS = {
    "sync": ("httpx2+pydantic", 1.05),
    "async": ("httpx2+pydantic", 1.05),
    f"async x{CONCURRENCY}": ("httpx2", 1.05),
}


def calls_table(
    results: dict[tuple[str, str, str], dict[str, list[float]]],
    impls: tuple[str, ...] = IMPLS,
    modes: tuple[str, ...] = MODES,
) -> str:
    """Client CPU per call: one column per implementation, median (min-max) of the processes."""
    lines = [
        "| mode | operation | " + " | ".join(IMPL_LABELS[i] for i in impls) + " |",
        "|---|---|" + "---|" * len(impls),
    ]
    for mode in modes:
        for op, name in OPS.items():
            cells = [
                fmt(results[(i, mode, op)]["cpu_us"], 0) if (i, mode, op) in results else "n/a"
                for i in impls
            ]
            lines.append(f"| {mode} | `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios_table(
    results: dict[tuple[str, str, str], dict[str, list[float]]], modes: tuple[str, ...] = MODES
) -> str:
    """The ratios of the medians that issue 11 sets targets for, and the tracing costs."""

    def med(impl: str, mode: str, op: str) -> float | None:
        entry = results.get((impl, mode, op))
        return statistics.median(entry["cpu_us"]) if entry else None

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.2f}x" if a is not None and b is not None else "n/a"

    def delta(a: float | None, b: float | None) -> str:
        return f"{a - b:+.0f} µs ({(a - b) / b:+.1%})" if a is not None and b is not None else "n/a"

    lines = [
        "| mode | operation | SDK / target floor (target) | SDK / httpx2 | SDK / httpx2 + pydantic "
        "| SDK / openai | SDK legacy httpx / httpx + pydantic | otel API, no provider, vs SDK "
        "| tracing on vs SDK |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in modes:
        floor, target = TARGETS[mode]
        for op, name in OPS.items():
            sdk = med("sdk", mode, op)
            vs_floor = ratio(sdk, med(floor, mode, op))
            met = (
                ""
                if vs_floor == "n/a"
                else (" met" if float(vs_floor[:-1]) <= target else " **not met**")
            )
            lines.append(
                f"| {mode} | `{name}` | {vs_floor} (<= {target}x {IMPL_LABELS[floor]}){met} "
                f"| {ratio(sdk, med('httpx2', mode, op))} "
                f"| {ratio(sdk, med('httpx2+pydantic', mode, op))} "
                f"| {ratio(sdk, med('openai', mode, op))} "
                f"| {ratio(med('sdk/httpx', mode, op), med('httpx+pydantic', mode, op))} "
                f"| {delta(med('sdk+otel-off', mode, op), sdk)} "
                f"| {delta(med('sdk+otel', mode, op), sdk)} |"
            )
    return "\n".join(lines)


def aiohttp_table(
    results: dict[tuple[str, str, str], dict[str, list[float]]], modes: tuple[str, ...] = MODES
) -> str:
    """The aiohttp backend against raw aiohttp (issue 19: at most 2.0x) and against the SDK on
    httpx2."""

    def med(impl: str, mode: str, op: str) -> float | None:
        entry = results.get((impl, mode, op))
        return statistics.median(entry["cpu_us"]) if entry else None

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.2f}x" if a is not None and b is not None else "n/a"

    lines = [
        "| mode | operation | SDK aiohttp / aiohttp (target <= 2.0x) "
        "| SDK aiohttp / aiohttp + pydantic | SDK httpx2 / SDK aiohttp |",
        "|---|---|---|---|---|",
    ]
    for mode in modes:
        if mode == "sync":
            continue
        for op, name in OPS.items():
            sdk = med("sdk/aiohttp", mode, op)
            vs_raw = ratio(sdk, med("aiohttp", mode, op))
            met = (
                "" if vs_raw == "n/a" else (" met" if float(vs_raw[:-1]) <= 2.0 else " **not met**")
            )
            lines.append(
                f"| {mode} | `{name}` | {vs_raw}{met} "
                f"| {ratio(sdk, med('aiohttp+pydantic', mode, op))} "
                f"| {ratio(med('sdk', mode, op), sdk)} |"
            )
    return "\n".join(lines)


POOL_VARIANTS: list[tuple[str, list[int] | None]] = [
    ("100 conns, 20 keep-alive (httpx2 default)", [100, 20]),
    ("100 conns, 100 keep-alive (SDK default)", [100, 100]),
    ("50 conns, 50 keep-alive", [50, 50]),
    ("20 conns, 20 keep-alive", [20, 20]),
    ("10 conns, 10 keep-alive", [10, 10]),
]


def server_stats(port: int, *, reset: bool = False) -> dict[str, int]:
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{'reset' if reset else 'stats'}",
        method="POST" if reset else "GET",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def pool_study(port: int, repeats: int, calls: int, warmup: int) -> str:
    lines = [
        f"| pool limits (async, {CONCURRENCY} concurrent `balances.get`) "
        "| bare httpx2 CPU µs/call | SDK CPU µs/call (same limits) | bare httpx2 wall µs/call "
        "| SDK wall µs/call | new connections per 100 calls (bare httpx2 / SDK) |",
        "|---|---|---|---|---|---|",
    ]
    for label, limits in POOL_VARIANTS:
        row: dict[str, dict[str, list[float]]] = {}
        for _ in range(repeats):
            for impl in ("httpx2", "sdk"):
                spec = {"kind": "calls", "impl": impl, "mode": f"async x{CONCURRENCY}", "op": "get",
                        "calls": calls, "warmup": warmup, "port": port, "limits": limits}  # fmt: skip
                server_stats(port, reset=True)
                result = spawn(spec)
                stats = server_stats(port)
                result["conns_per_100"] = 100 * stats["connections"] / stats["requests"]
                entry = row.setdefault(impl, {"cpu_us": [], "wall_us": [], "conns_per_100": []})
                for key in entry:
                    entry[key].append(result[key])
        lines.append(
            f"| {label} | {fmt(row['httpx2']['cpu_us'])} | {fmt(row['sdk']['cpu_us'])} "
            f"| {fmt(row['httpx2']['wall_us'])} | {fmt(row['sdk']['wall_us'])} "
            f"| {fmt(row['httpx2']['conns_per_100'], 1)} / {fmt(row['sdk']['conns_per_100'], 1)} |"
        )
    return "\n".join(lines)


def write_nacha(path: Path, size: int) -> None:
    """A valid-looking NACHA file of about ``size`` bytes: 94-character records, '\\n' separated."""
    header = (
        b"101 021000021 0210000212611211403A094101QBANK NA               BENCH CORP             "
        + b" " * 8
    )
    assert len(header) == 94, len(header)
    entry = b"6220210000211234567890123456000010005000000000001     ACME SUPPLIES         0021000020000001"
    entry = entry.ljust(94)[:94]
    block = (b"\n".join([entry] * 1000)) + b"\n"
    with open(path, "wb") as f:
        f.write(header + b"\n")
        written = 95
        while written < size:
            f.write(block)
            written += len(block)
        f.write(b"9" + b"0" * 93 + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="qbank-connect speed benchmark")
    parser.add_argument("--quick", action="store_true", help="fewer calls and repeats")
    parser.add_argument("--repeats", type=int, default=None, help="fresh processes per case")
    parser.add_argument("--calls", type=int, default=None, help="measured calls per process")
    parser.add_argument("--skip-pool", action="store_true", help="skip the pool-limits study")
    parser.add_argument("--skip-extras", action="store_true", help="only the call tables")
    parser.add_argument("--impls", help=f"comma-separated subset of {','.join(IMPLS)}")
    parser.add_argument("--modes", help="comma-separated subset of sync,async,conc")
    parser.add_argument("--profile", metavar="IMPL:MODE:OP", help="cProfile one case and exit")
    parser.add_argument(
        "--first-call", action="store_true", help="only the fresh-process first-call table"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return

    repeats = args.repeats or (2 if args.quick else 5)
    calls = args.calls or (1000 if args.quick else 2000)
    warmup = 200 if args.quick else 500
    pin(CLIENT_CPU)
    prime_bytecode()

    import httpx
    import httpx2
    import pydantic

    with Server() as server:
        if args.profile:
            impl, mode, op = args.profile.split(":")
            mode = {"conc": f"async x{CONCURRENCY}"}.get(mode, mode)
            spec = {"kind": "calls", "impl": impl, "mode": mode, "op": op, "calls": calls,
                    "warmup": warmup, "port": server.port, "profile": True}  # fmt: skip
            print(spawn(spec, stderr=sys.stderr))
            return

        if args.first_call:
            print(first_call_table(server.port, args.repeats or (5 if args.quick else 15)))
            return

        started = time.perf_counter()
        out: list[str] = []
        out.append(
            f"Python {sys.version.split()[0]}, httpx2 {httpx2.__version__}, aiohttp "
            f"{_version('aiohttp')}, httpx "
            f"{httpx.__version__}, openai {_version('openai')}, pydantic "
            f"{pydantic.VERSION}, {os.cpu_count()} CPUs, {sys.platform}; "
            f"{repeats} fresh processes per case, {calls} calls each "
            f"({CONCURRENCY} tasks x {calls // CONCURRENCY} at {CONCURRENCY} concurrent) after "
            f"{warmup} warm-up calls; "
            f"median (min-max); load average at start {os.getloadavg()[0]:.1f}."
        )
        out.append("")
        print("measuring calls ...", file=sys.stderr, flush=True)
        impls = tuple(args.impls.split(",")) if args.impls else IMPLS
        modes = (
            tuple({"conc": f"async x{CONCURRENCY}"}.get(m, m) for m in args.modes.split(","))
            if args.modes
            else MODES
        )
        results = measure_calls(server.port, repeats, calls, warmup, True, impls, modes)
        out.append("### Client CPU per call, µs (lower is better)")
        out.append("")
        out.append(calls_table(results, impls, modes))
        out.append("")
        out.append("### Ratios of the medians, and the targets of issue 11")
        out.append("")
        out.append(ratios_table(results, modes))

        out.append("")
        out.append("### The aiohttp backend (issue 19)")
        out.append("")
        out.append(aiohttp_table(results, modes))
        print("\n".join(out), file=sys.stderr, flush=True)  # kept if a later section fails

        if not args.skip_pool:
            print("pool study ...", file=sys.stderr, flush=True)
            out.append("")
            out.append("### Async pool limits at 50 concurrent calls")
            out.append("")
            out.append(pool_study(server.port, 1 if args.quick else 2, calls, warmup))

        if args.skip_extras:
            print("\n".join(out))
            return
        print("import, construction, memory ...", file=sys.stderr, flush=True)
        n_imports = 7 if args.quick else 20
        imports = process_import_s(n_imports)
        inproc_sdk = [spawn({"kind": "import", "what": "sdk"})["import_s"] for _ in range(5)]
        inproc_floor = [spawn({"kind": "import", "what": "floor"})["import_s"] for _ in range(5)]
        construct = spawn({"kind": "construct", "n": 2000})
        rss_sdk = spawn({"kind": "rss", "what": "sdk"})["rss_mib"]
        rss_floor = spawn({"kind": "rss", "what": "floor"})["rss_mib"]
        rss_bare = spawn({"kind": "rss", "what": "none"})["rss_mib"]

        print("first call ...", file=sys.stderr, flush=True)
        first_calls = first_call_table(server.port, 5 if args.quick else 11)

        print("upload and stampede ...", file=sys.stderr, flush=True)
        uploads = {}
        with tempfile.TemporaryDirectory() as tmp:
            for mib in (20, 200):
                path = Path(tmp) / f"bulk-{mib}.ach"
                write_nacha(path, mib * 1024 * 1024)
                try:
                    uploads[mib] = spawn({"kind": "upload", "port": server.port, "path": str(path)})
                except subprocess.CalledProcessError as exc:  # the rest of the run is kept
                    last = (exc.stderr or "").strip().splitlines()[-1:] or ["?"]
                    print(f"  upload {mib} MiB: failed: {last[0][:200]}", file=sys.stderr)
                path.unlink()
        stampede = spawn({"kind": "stampede", "port": server.port, "n": 1000})

        ms = 1e3
        med = {what: statistics.median(values) for what, values in imports.items()}
        out.append("")
        out.append("### Import, construction, memory, upload, token stampede")
        out.append("")
        out.append("| measure | qbank_connect | reference | ratio / verdict |")
        out.append("|---|---|---|---|")
        for what in ("sdk", "sync", "async"):
            out.append(
                f"| `{IMPORTS[what]}`, CPU ms of a fresh process minus a bare one "
                f"({n_imports} runs) | {fmt([t * ms for t in imports[what]], 1)} "
                f"| `import httpx2`: {med['httpx2'] * ms:.1f}; {FLOOR_LABEL}: "
                f"{med['floor'] * ms:.1f} | **{med[what] / med['httpx2']:.2f}x** httpx2 "
                f"(target <= 1.3x), {med[what] / med['floor']:.2f}x the floor |"
            )
        out.append(
            "| import, timed inside a fresh process (5 runs), ms "
            f"| {fmt([t * ms for t in inproc_sdk], 1)} | {FLOOR_LABEL}: "
            f"{fmt([t * ms for t in inproc_floor], 1)} "
            f"| {statistics.median(inproc_sdk) / statistics.median(inproc_floor):.2f}x |"
        )
        for name in ("sync", "async"):
            c = construct[name]
            out.append(
                f"| construct a {name} client (2000 times), ms | median {c['median_ms']:.3f}, "
                f"first {c['first_ms']:.3f} | target <= 5 ms | httpx client created lazily: "
                f"{'yes' if c['lazy_http_client'] else 'NO'} |"
            )
        out.append(
            f"| peak RSS after import + one client, MiB | {rss_sdk:.1f} "
            f"| {FLOOR_LABEL} + `httpx2.Client()`: {rss_floor:.1f}; bare interpreter: "
            f"{rss_bare:.1f} | +{rss_sdk - rss_floor:.1f} MiB |"
        )
        if len(uploads) < 2:
            out.append("| NACHA uploads | failed (see stderr) | | |")
        for mib, up in uploads.items():
            out.append(
                f"| peak RSS streaming a {mib} MiB NACHA upload, MiB | {up['rss_peak_mib']:.1f} "
                f"| before the upload: {up['rss_before_mib']:.1f} "
                f"| +{up['rss_peak_mib'] - up['rss_before_mib']:.1f} MiB, "
                f"{mib / up['seconds']:.0f} MiB/s |"
            )
        if len(uploads) == 2:
            growth = (uploads[200]["rss_peak_mib"] - uploads[200]["rss_before_mib"]) - (
                uploads[20]["rss_peak_mib"] - uploads[20]["rss_before_mib"]
            )
            out.append(
                f"| upload memory, 200 MiB vs 20 MiB file | {growth:+.1f} MiB | | "
                f"{'independent of file size' if growth < 5 else 'GROWS with file size'} |"
            )
        out.append(
            f"| token stampede: {stampede['calls']} concurrent calls, fresh async client "
            f"| {stampede['token_requests']} `POST /token` | must be 1 "
            f"| {'OK' if stampede['token_requests'] == 1 else 'FAIL'} "
            f"({stampede['seconds'] * 1e3:.0f} ms) |"
        )
        out.append("")
        out.append("### The first call in a fresh process (asyncio)")
        out.append("")
        out.append(first_calls)
        out.append("")
        out.append(f"Total benchmark time: {time.perf_counter() - started:.0f} s.")
        print("\n".join(out))


if __name__ == "__main__":
    main()
