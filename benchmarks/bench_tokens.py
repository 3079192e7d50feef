"""azlogin's token engine next to plain azure-identity, in one run, against EntraEmulator.

Writes a Markdown report (default docs/performance.md). Run it with ``nox -s bench``, or
``python benchmarks/bench_tokens.py --outage-seconds 60``. Figures are medians of repeated
runs on this machine; counts come from the emulator's own request counters.
``--startup-only`` measures the start-up rows alone (fresh processes of the console script
and of the library, a minute or so) and prints their section without writing the report.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import azure.identity
import azure.identity.aio

import azlogin
from azlogin._build.assemble import forget_shared_engines
from azlogin.testing import EntraEmulator

SCOPE = "https://storage.azure.com/.default"
PLATFORM = ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER")


@contextmanager
def platform_env(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Managed identity's platform variables into os.environ; yields the AZCOPY_* part."""
    saved = {name: os.environ.get(name) for name in PLATFORM}
    for name, value in env.items():
        if name in PLATFORM:
            os.environ[name] = value
    try:
        yield {k: v for k, v in env.items() if k.startswith("AZCOPY_")}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def raw_credential(emu: EntraEmulator, login: str, *, aio: bool = False) -> Any:
    """The azure-identity credential a user would build by hand for the same login."""
    module = azure.identity.aio if aio else azure.identity
    if login == "MSI":
        return module.ManagedIdentityCredential()
    return module.ClientSecretCredential(
        emu.tenant_id,
        emu.client_id,
        emu.client_secret,
        authority=emu.authority,
        disable_instance_discovery=True,
        connection_verify=emu.ca_path,
    )


def azlogin_credential(emu: EntraEmulator, env: dict[str, str], *, aio: bool = False) -> Any:
    """In-process rows measure the engine alone: no token store (the fresh-process row has it),
    and an engine of its own (credentials of one identity otherwise share one in a process)."""
    forget_shared_engines()
    make = azlogin.get_async_credential if aio else azlogin.get_credential
    return make(env, connection_verify=emu.ca_path, token_store="none")


# --- cached latency ----------------------------------------------------------------------


def per_call_us(call: Callable[[str], object], calls: int, repeats: int = 15) -> float:
    """Median microseconds per ``call(SCOPE)``, timed by timeit (no wrapper in the loop)."""
    runs = timeit.repeat("call(scope)", globals={"call": call, "scope": SCOPE}, number=calls,
                         repeat=repeats)  # fmt: skip
    return statistics.median(runs) / calls * 1e6


def cached_latency(emu: EntraEmulator) -> list[tuple[str, float, float]]:
    ours = azlogin_credential(emu, emu.env("SPN"))
    theirs = raw_credential(emu, "SPN")
    rows = []
    for method in ("get_token", "get_token_info"):
        ours_call, theirs_call = getattr(ours, method), getattr(theirs, method)
        ours_call(SCOPE)
        theirs_call(SCOPE)
        ours_us = per_call_us(ours_call, 50_000)
        theirs_us = per_call_us(theirs_call, 5_000)
        rows.append((method, ours_us, theirs_us))
    return rows


# --- cold start under concurrency --------------------------------------------------------


@dataclass
class Counts:
    token: int
    metadata: int
    imds: int
    failures: int


def counts(emu: EntraEmulator, failures: int) -> Counts:
    r = emu.requests
    return Counts(r["token"], r["openid-configuration"], r["imds"], failures)


def threads_cold(emu: EntraEmulator, credential: Any, n: int = 64) -> Counts:
    barrier = threading.Barrier(n)
    failures = []

    def run() -> None:
        barrier.wait()
        try:
            credential.get_token(SCOPE)
        except Exception as error:  # noqa: BLE001 - counted
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts(emu, len(failures))


def tasks_cold(emu: EntraEmulator, make: Callable[[], Any], n: int = 64) -> Counts:
    async def main() -> int:
        credential = make()
        async with credential:
            results = await asyncio.gather(
                *(credential.get_token(SCOPE) for _ in range(n)), return_exceptions=True
            )
        return sum(isinstance(result, BaseException) for result in results)

    return counts(emu, asyncio.run(main()))


def cold_start(emu: EntraEmulator) -> list[tuple[str, str, str, Counts]]:
    rows = []
    for login in ("MSI", "SPN"):
        with platform_env(emu.env(login)) as env:
            for library in ("azlogin", "azure-identity"):
                emu.reset()
                credential = (
                    azlogin_credential(emu, env)
                    if library == "azlogin"
                    else raw_credential(emu, login)
                )
                rows.append((login, "64 threads", library, threads_cold(emu, credential)))
                emu.reset()
                make = (
                    (lambda: azlogin_credential(emu, env, aio=True))
                    if library == "azlogin"
                    else (lambda login=login: raw_credential(emu, login, aio=True))
                )
                rows.append((login, "64 asyncio tasks", library, tasks_cold(emu, make)))
    return rows


# --- an outage while the cached token is valid -------------------------------------------


@dataclass
class OutageResult:
    calls: int
    failures: int
    worst_ms: float
    p99_ms: float


def outage(seconds: float) -> dict[str, OutageResult]:
    """Tokens living 299 s (inside azure-identity's 300 s refresh window) and a token endpoint
    answering 503 for ``seconds``: each library is called every 50 ms from its own thread."""
    results: dict[str, OutageResult] = {}
    with EntraEmulator(token_lifetime=299) as emu:
        credentials = {
            "azlogin": azlogin_credential(emu, emu.env("SPN")),
            "azure-identity": raw_credential(emu, "SPN"),
        }
        for credential in credentials.values():
            credential.get_token(SCOPE)
        emu.fail("token", status=503, times=-1)
        deadline = time.monotonic() + seconds

        def hammer(name: str, credential: Any) -> None:
            latencies, failures = [], 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    credential.get_token(SCOPE)
                except Exception:  # noqa: BLE001 - counted
                    failures += 1
                latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)
            latencies.sort()
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            results[name] = OutageResult(len(latencies), failures, latencies[-1], p99)

        threads = [threading.Thread(target=hammer, args=item) for item in credentials.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results


# --- a burst of 429 with Retry-After from IMDS -------------------------------------------


@dataclass
class BurstResult:
    requests: int
    early: int
    seconds_to_token: float
    failed: bool


def retry_after_burst(retry_after: int = 2, burst: int = 3) -> dict[str, BurstResult]:
    results = {}
    with EntraEmulator() as emu, platform_env(emu.env("MSI")) as env:
        for library in ("azlogin", "azure-identity"):
            emu.reset()
            emu.fail("imds", status=429, retry_after=retry_after, times=burst)
            credential = (
                azlogin.get_credential(env, token_store="none")
                if library == "azlogin"
                else raw_credential(emu, "MSI")
            )
            started = time.monotonic()
            failed = False
            try:
                credential.get_token(SCOPE)
            except Exception:  # noqa: BLE001 - reported
                failed = True
            elapsed = time.monotonic() - started
            log = [entry for entry in emu.request_log if entry[1] == "imds"]
            early = sum(
                1
                for previous, current in zip(log, log[1:])
                if previous[2] == 429 and current[0] - previous[0] < retry_after - 0.05
            )
            results[library] = BurstResult(len(log), early, elapsed, failed)
    return results


# --- start-up: fresh processes, from their start to their exit ---------------------------

FRESH_PROCESS = """
import json, sys, time
started = time.perf_counter()
env, ca, library = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
if library == "azlogin":
    import azlogin
    credential = azlogin.get_credential(env, connection_verify=ca)
else:
    from azure.identity import ClientSecretCredential
    credential = ClientSecretCredential(
        env["AZCOPY_TENANT_ID"], env["AZCOPY_SPA_APPLICATION_ID"], env["AZCOPY_SPA_CLIENT_SECRET"],
        authority=env["AZCOPY_ACTIVE_DIRECTORY_ENDPOINT"], disable_instance_discovery=True,
        connection_verify=ca)
credential.get_token("https://storage.azure.com/.default")
print(time.perf_counter() - started)
"""

AZLOGIN_ROW = "library, azlogin: `get_credential().get_token()`, token in the store"
IDENTITY_ROW = "library, azure-identity: `ClientSecretCredential.get_token()`"
HEAVY = ("azure.identity", "msal", "azure.core", "cryptography", "requests", "asyncio")
"""The packages whose import dominates a process's start-up; each row says which it loaded."""


@dataclass
class ProcessResult:
    median_ms: float
    """Wall clock from the process's start to its exit (the interpreter's start-up included)."""
    requests: float
    """Requests per process that reached the emulator."""
    heavy: tuple[str, ...]
    """The :data:`HEAVY` packages the process imported."""
    first_line_ms: float | None = None
    """For the library rows: from the script's first line (imports included) to the token."""


def run_rounds(
    commands: dict[str, list[str]], env: dict[str, str], emu: EntraEmulator, runs: int
) -> dict[str, ProcessResult]:
    """``runs`` rounds, each starting one fresh process of every command in turn (so that
    every row meets the machine's load alike), then one more of each under -X importtime."""
    import subprocess

    times: dict[str, list[float]] = {name: [] for name in commands}
    printed: dict[str, list[str]] = {name: [] for name in commands}
    requests = dict.fromkeys(commands, 0)
    for _ in range(runs):
        for name, command in commands.items():
            before = sum(emu.requests.values())
            started = time.perf_counter()
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            times[name].append((time.perf_counter() - started) * 1000)
            printed[name].append(done.stdout)
            requests[name] += sum(emu.requests.values()) - before
    results = {}
    for name, command in commands.items():
        first_line = None
        if command[1:3] == ["-c", FRESH_PROCESS]:
            first_line = statistics.median(float(out) * 1000 for out in printed[name])
        results[name] = ProcessResult(
            statistics.median(times[name]),
            requests[name] / runs,
            heavy_imports(command, env),
            first_line,
        )
    return results


def heavy_imports(command: list[str], env: dict[str, str]) -> tuple[str, ...]:
    """The :data:`HEAVY` packages a process of ``command`` imports (``python -X importtime``)."""
    import subprocess

    program = command[1:] if command[0] == sys.executable else command  # a script: run it
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", *program],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in traced.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return tuple(
        name for name in HEAVY if any(m == name or m.startswith(name + ".") for m in modules)
    )


@dataclass
class StartupResult:
    store: str
    """Which token store (and key source) the processes used."""
    rows: dict[str, ProcessResult]


def startup(runs: int = 15) -> StartupResult:
    """Fresh processes: bare Python; the console script's commands with a valid saved SPN
    login whose token is in the store; a library process asking for a token an earlier one
    stored, next to azure-identity's ClientSecretCredential fetching it."""
    import json
    import subprocess
    import tempfile

    from azlogin._config.saved import SavedLogin
    from azlogin.persistence._default import StoreOpener

    script = os.path.join(os.path.dirname(sys.executable), "azlogin")
    with EntraEmulator() as emu, tempfile.TemporaryDirectory() as home:
        store = {"AZLOGIN_STORE_DIR": os.path.join(home, ".azlogin")}
        # As installed: bytecode written once (PYTHONDONTWRITEBYTECODE would compile every
        # changed module in every process), no login of the caller's.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AZCOPY_", "AZLOGIN_", "AZURE_"))
            and name != "PYTHONDONTWRITEBYTECODE"
        }
        env = {**inherited, "HOME": home, "REQUESTS_CA_BUNDLE": emu.ca_path, **store}
        where = StoreOpener(store).save_login(SavedLogin("SPN", emu.env("SPN")))
        library = [sys.executable, "-c", FRESH_PROCESS, json.dumps(emu.env("SPN")), emu.ca_path]
        cases = {
            "`python -c pass`": [sys.executable, "-c", "pass"],
            "`azlogin --version`": [script, "--version"],
            "`azlogin --help`": [script, "--help"],
            "`azlogin env`": [script, "env"],
            "`azlogin login status` (valid saved login)": [script, "login", "status"],
            "`azlogin token` (token in the store)": [script, "token"],
            AZLOGIN_ROW: [*library, "azlogin"],
            IDENTITY_ROW: [*library, "azure-identity"],
        }
        # A first process fetches the token and stores it; the timed ones are served.
        subprocess.run([script, "token"], env=env, check=True, capture_output=True)
        for command in cases.values():  # and every process has its bytecode written
            subprocess.run(command, env=env, check=True, capture_output=True)
        return StartupResult(where, run_rounds(cases, env, emu, runs))


def sixteen_processes() -> dict[str, int]:
    """16 processes started at once, each asking for a token: token requests per library."""
    import json
    import subprocess
    import tempfile

    results = {}
    with EntraEmulator() as emu:
        env = emu.env("SPN")
        for library in ("azlogin", "azure-identity"):
            emu.reset()
            with tempfile.TemporaryDirectory() as home:
                command = [
                    sys.executable,
                    "-c",
                    FRESH_PROCESS,
                    json.dumps(env),
                    emu.ca_path,
                    library,
                ]
                children = [
                    subprocess.Popen(command, env={**os.environ, "HOME": home},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for _ in range(16)
                ]  # fmt: skip
                for child in children:
                    child.wait()
            results[library] = emu.requests["token"]
    return results


@dataclass(frozen=True)
class KeyResult:
    helper_ms: float
    open_ms: float
    derivations: float


def passphrase_helper(runs: int = 7) -> KeyResult:
    """A storage helper with a saved login and a passphrase key: the plan opens the default
    store once, so the helper costs one scrypt derivation (not two as before the plan)."""
    import tempfile

    from azlogin import storage
    from azlogin._config.saved import SavedLogin
    from azlogin.persistence import PassphraseKey
    from azlogin.persistence import _default as default_module

    derivations = 0

    class Counted(PassphraseKey):
        def key_for(self, store_id: str, directory: Any) -> bytes:
            nonlocal derivations
            derivations += 1
            return super().key_for(store_id, directory)

    original = default_module.key_sources
    default_module.key_sources = lambda env: [Counted("bench passphrase")]  # only the passphrase
    try:
        with tempfile.TemporaryDirectory() as folder:
            env = {"AZLOGIN_STORE_DIR": folder}
            spn = {"AZCOPY_AUTO_LOGIN_TYPE": "SPN", "AZCOPY_SPA_APPLICATION_ID": "app",
                   "AZCOPY_SPA_CLIENT_SECRET": "bench", "AZCOPY_TENANT_ID": "tenant"}  # fmt: skip
            default_module.StoreOpener(env).save_login(SavedLogin("SPN", spn))
            url = "https://acct.blob.core.windows.net"
            helper, opening = [], []
            derivations = 0
            for _ in range(runs):
                started = time.perf_counter()
                storage.blob_service_client(url, env=env)
                helper.append((time.perf_counter() - started) * 1000)
            per_helper = derivations / runs
            for _ in range(runs):
                started = time.perf_counter()
                default_module.default_store(env)
                opening.append((time.perf_counter() - started) * 1000)
    finally:
        default_module.key_sources = original
    return KeyResult(statistics.median(helper), statistics.median(opening), per_helper)


def cluster_requests(machines: int = 4, processes: int = 4) -> dict[str, int]:
    """``machines`` x ``processes`` new processes ask for one SPN token at once, each machine a
    HOME (a local store) of its own: token requests with Redis, without, and azure-identity's."""
    import base64
    import json
    import subprocess
    import tempfile

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.redis_server import redis_server

    results = {}
    key = base64.b64encode(os.urandom(32)).decode()
    with EntraEmulator() as emu, redis_server() as redis:
        cases = {
            "azlogin with Redis": ("azlogin", {"AZLOGIN_TOKEN_STORE": redis.url,
                                               "AZLOGIN_STORE_KEY": key}),
            "azlogin, a store per machine": ("azlogin", {}),
            "azure-identity": ("azure-identity", {}),
        }  # fmt: skip
        for name, (library, extra) in cases.items():
            emu.reset()
            with tempfile.TemporaryDirectory() as folder:
                children = []
                for machine in range(machines):
                    home = os.path.join(folder, f"m{machine}")
                    os.mkdir(home)
                    for _ in range(processes):
                        children.append(
                            subprocess.Popen(
                                [sys.executable, "-c", FRESH_PROCESS,
                                 json.dumps({**emu.env("SPN"), **extra}), emu.ca_path, library],
                                env={**os.environ, "HOME": home},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            )
                        )  # fmt: skip
                for child in children:
                    child.wait()
            results[name] = emu.requests["token"]
    return results


def fresh_process_from_redis(runs: int = 7) -> float:
    """Median ms from a fresh process's first line to a token another machine stored in Redis."""
    import base64
    import json
    import subprocess
    import tempfile

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.redis_server import redis_server

    key = base64.b64encode(os.urandom(32)).decode()
    with EntraEmulator() as emu, redis_server() as redis, tempfile.TemporaryDirectory() as home:
        env = {**emu.env("SPN"), "AZLOGIN_TOKEN_STORE": redis.url, "AZLOGIN_STORE_KEY": key}
        command = [sys.executable, "-c", FRESH_PROCESS, json.dumps(env), emu.ca_path, "azlogin"]
        process_env = {**os.environ, "HOME": home}
        subprocess.run(command, env=process_env, check=True, capture_output=True)
        times = [
            float(
                subprocess.run(
                    command, env=process_env, check=True, capture_output=True, text=True
                ).stdout
            )
            * 1000
            for _ in range(runs)
        ]
        return statistics.median(times)


@dataclass(frozen=True)
class ToolResult:
    operations: int
    failed: int
    token_requests: int


def data_stack_job(seconds: float) -> dict[str, ToolResult]:
    """Each data-stack tool works against Azurite for ``seconds`` with 60-second tokens, all
    at once, each signed in under a tenant of its own (so the emulator counts its requests)."""
    import tempfile
    import uuid
    from pathlib import Path

    import duckdb
    import obstore as obs
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq
    from deltalake import DeltaTable, write_deltalake

    import azlogin.deltalake
    import azlogin.duckdb
    import azlogin.obstore
    import azlogin.polars
    import azlogin.pyarrow
    from azlogin import storage
    from azlogin.testing.azurite import Azurite

    results: dict[str, ToolResult] = {}
    with (
        EntraEmulator(token_lifetime=60) as emu,
        tempfile.TemporaryDirectory() as folder,
        Azurite(emu.ca, Path(folder), host_style=True) as azurite,
    ):
        os.environ["SSL_CERT_FILE"] = emu.ca_path  # polars' and delta-rs' TLS stacks
        os.environ["CURL_CA_INFO"] = emu.ca_path  # DuckDB's curl transport
        container = f"c{uuid.uuid4().hex[:12]}"

        def login(tool: str) -> dict[str, Any]:
            return {
                "env": {**emu.env("SPN"), "AZCOPY_TENANT_ID": f"{tool}-tenant"},
                "trusted_microsoft_suffixes": "127.0.0.1;localhost",
                "connection_verify": emu.ca_path,
                "token_store": "none",
            }

        storage.blob_service_client(azurite.account_url, **login("setup")).create_container(
            container
        )
        base = f"{azurite.account_url}/{container}"
        table_url = f"{base}/delta"
        write_deltalake(
            azlogin.deltalake.table_uri(table_url),
            pa.table({"n": [1, 2, 3]}),
            storage_options=azlogin.deltalake.storage_options(table_url, **login("setup")),
        )
        deadline = time.monotonic() + seconds
        pace = threading.Event()
        counts = {tool: [0, 0] for tool in ("polars", "obstore", "deltalake", "DuckDB", "pyarrow")}

        def run(tool: str, operation: Callable[[], object]) -> None:
            while time.monotonic() < deadline:
                try:
                    operation()
                    counts[tool][0] += 1
                except Exception:  # noqa: BLE001 - counted
                    counts[tool][1] += 1
                pace.wait(1)

        polars_options = azlogin.polars.options(f"{base}/polars", **login("polars"))
        polars_path = azlogin.polars.path(f"{base}/polars") + "/part.parquet"
        frame = pl.DataFrame({"n": [1, 2, 3]})
        store = azlogin.obstore.store(f"{base}/obstore", **login("obstore"))
        arrow_fs = azlogin.pyarrow.filesystem(f"{base}/pyarrow", **login("pyarrow"))
        arrow_path = azlogin.pyarrow.path(f"{base}/pyarrow") + "/part.parquet"

        def polars_op() -> None:
            frame.write_parquet(polars_path, **polars_options)
            pl.read_parquet(polars_path, **polars_options)

        def obstore_op() -> None:
            obs.put(store, "blob", b"x")
            obs.get(store, "blob").bytes()

        def deltalake_op() -> None:
            options = azlogin.deltalake.storage_options(table_url, **login("deltalake"))
            DeltaTable(
                azlogin.deltalake.table_uri(table_url), storage_options=options
            ).to_pyarrow_table()

        def pyarrow_op() -> None:
            pq.write_table(pa.table({"n": [1]}), arrow_path, filesystem=arrow_fs)
            pq.read_table(arrow_path, filesystem=arrow_fs)

        def duckdb_job() -> None:
            with duckdb.connect() as connection:
                secret = azlogin.duckdb.create_secret(
                    connection, f"{azurite.host_style_url}/{container}", **login("DuckDB")
                )
                connection.execute("SET azure_transport_option_type = 'curl'")
                secret.execute(
                    f"COPY (SELECT 1 AS n) TO 'az://{container}/duck.parquet' (FORMAT parquet)"
                )
                run(
                    "DuckDB",
                    lambda: secret.sql(
                        f"SELECT count(*) FROM 'az://{container}/duck.parquet'"
                    ).fetchall(),
                )

        threads = [
            threading.Thread(target=run, args=("polars", polars_op)),
            threading.Thread(target=run, args=("obstore", obstore_op)),
            threading.Thread(target=run, args=("deltalake", deltalake_op)),
            threading.Thread(target=run, args=("pyarrow", pyarrow_op)),
            threading.Thread(target=duckdb_job),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for tool, (operations, failed) in counts.items():
            requests = sum(
                1 for request in emu.token_requests if request["tenant"] == f"{tool}-tenant"
            )
            results[tool] = ToolResult(operations, failed, requests)
    return results


# --- the report ---------------------------------------------------------------------------


def startup_lines(result: StartupResult, runs: int) -> list[str]:
    """The start-up section of the report."""
    rows = result.rows
    bare = rows["`python -c pass`"].median_ms
    ours, theirs = rows[AZLOGIN_ROW], rows[IDENTITY_ROW]
    lines = [
        "## Start-up: fresh processes",
        "",
        "Pipelines and shells start many short processes. Each row is a new process, timed",
        "from its start to its exit (the interpreter's own start-up included), median of",
        f'{runs}; "imports" names the heavy packages it loaded (`python -X importtime`).',
        "The console script's commands run with a valid saved SPN login whose token is in",
        "the store; the azlogin library process asks for a token an earlier process stored",
        "(SPN settings in its environment), azure-identity's fetches one (it has no store).",
        f"Store: {result.store}.",
        "",
        "| process | median (ms) | over bare Python (ms) | requests | imports |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row.median_ms:.0f} | {row.median_ms - bare:.0f} | {row.requests:g} "
            f"| {', '.join(row.heavy) or 'none of them'} |"
        )
    assert ours.first_line_ms is not None
    assert theirs.first_line_ms is not None
    lines += [
        "",
        f"To its first token a fresh azlogin process takes {ours.median_ms:.0f} ms with a stored "
        f"token, azure-identity's {theirs.median_ms:.0f} ms and {theirs.requests:g} requests: "
        f"{theirs.median_ms / ours.median_ms:.1f}x as long (from the script's first line, "
        f"imports included: {ours.first_line_ms:.0f} ms and {theirs.first_line_ms:.0f} ms, "
        f"{theirs.first_line_ms / ours.first_line_ms:.1f}x). azlogin imports azure-identity and",
        "MSAL only when a token must come from the identity provider; azure-core when it hands",
        "out azure-core's token types, and cryptography when it opens a stored item.",
        "",
    ]
    return lines


def report(args: argparse.Namespace) -> str:
    with EntraEmulator() as emu:
        latency = cached_latency(emu)
        cold = cold_start(emu)
    gone = outage(args.outage_seconds)
    burst = retry_after_burst()
    started = startup(args.startup_runs)
    sixteen = sixteen_processes()
    key = passphrase_helper()
    stack = data_stack_job(args.data_stack_seconds)
    cluster = cluster_requests()
    from_redis = fresh_process_from_redis()
    lines = [
        "# Performance",
        "",
        "Generated by `nox -s bench` (`benchmarks/bench_tokens.py`): azlogin and plain",
        "azure-identity side by side in one run, against `azlogin.testing.EntraEmulator` on",
        "loopback. Counts come from the emulator's request counters.",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"azure-identity {azure.identity.__version__}, azlogin {azlogin.__version__}.",
        "",
        "## Cached token, per call (SPN, a token already cached)",
        "",
        "Median of 15 `timeit` runs of the bound method; azlogin 50,000 calls a run,",
        "azure-identity 5,000.",
        "",
        "| call | azlogin (us) | azure-identity (us) | azure-identity / azlogin |",
        "| --- | ---: | ---: | ---: |",
    ]
    for method, ours, theirs in latency:
        lines.append(f"| `{method}` | {ours:.2f} | {theirs:.2f} | {theirs / ours:.0f}x |")
    lines += [
        "",
        "## A cold credential asked by 64 callers at once",
        "",
        "Requests that reached the emulator. MSI goes through IMDS (which throttles real",
        "callers at a few requests a second); SPN through the token endpoint after the",
        "OpenID metadata document.",
        "",
        "| login | callers | library | token requests | metadata requests | IMDS requests "
        "| failed calls |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for login, callers, library, c in cold:
        lines.append(
            f"| {login} | {callers} | {library} | {c.token} | {c.metadata} | {c.imds} "
            f"| {c.failures} |"
        )
    lines += [
        "",
        f"## A {args.outage_seconds:g}-second outage while the cached token is valid",
        "",
        "Tokens live 299 s, so the cached token stays valid through the whole outage; it is",
        "inside azure-identity's 5-minute refresh window from the start, while azlogin refreshes",
        "a 299-second token in its last fifth (from 239 s), so within these 60 s it serves the",
        "valid token without asking. After the first token the emulator answers every token",
        "request with 503. Each library is called every 50 ms from its own thread (a call that",
        "waits makes fewer calls); a failed call or a long wait in the azure-identity row is the",
        "caller waiting through a refresh that fails. (docs/token-engine.md and",
        "tests/test_token_engine_end_to_end.py show azlogin serving through a failing refresh.)",
        "",
        "| library | calls | failed calls | worst call (ms) | 99th percentile (ms) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for library, o in gone.items():
        lines.append(
            f"| {library} | {o.calls} | {o.failures} | {o.worst_ms:.1f} | {o.p99_ms:.2f} |"
        )
    lines += [
        "",
        "## A burst of 429 with Retry-After from IMDS",
        "",
        "A cold MSI credential; IMDS answers the first 3 requests with 429 and",
        '`Retry-After: 2`. "Early" counts requests sent before the previous 429\'s',
        "Retry-After had passed.",
        "",
        "| library | IMDS requests | early requests | seconds to token | failed |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for library, b in burst.items():
        lines.append(
            f"| {library} | {b.requests} | {b.early} | {b.seconds_to_token:.1f} "
            f"| {'yes' if b.failed else 'no'} |"
        )
    lines += [
        "",
        *startup_lines(started, args.startup_runs),
        "## 16 processes started at once",
        "",
        "Sixteen new processes with the same SPN settings ask for a token at the same moment.",
        "azlogin's first process fetches under the store's file lock; the others wait for it",
        "and read the token it stored.",
        "",
        "| library | token requests |",
        "| --- | ---: |",
    ]
    for library, count in sixteen.items():
        lines.append(f"| {library} | {count} |")
    lines += [
        "",
        "## A storage helper with a passphrase key",
        "",
        "`azlogin.storage.blob_service_client(url)` with a saved login and only",
        "`AZLOGIN_STORE_PASSPHRASE` for a key: the saved login and the token store live in the",
        "same default store, which the plan opens once. Each opening derives the key with",
        "scrypt; median of 7 runs each.",
        "",
        "| helper (ms) | one store opening (ms) | helper / opening | key derivations per helper |",
        "| ---: | ---: | ---: | ---: |",
        f"| {key.helper_ms:.0f} | {key.open_ms:.0f} | {key.helper_ms / key.open_ms:.2f} "
        f"| {key.derivations:g} |",
        "",
        f"## Each data-stack tool for {args.data_stack_seconds:g} seconds with 60-second tokens",
        "",
        "All five at once against Azurite, an operation a second each (polars: write and read",
        "a Parquet file; obstore: put and get; deltalake: read a Delta table with fresh",
        "`storage_options`; DuckDB: a query through the secret; pyarrow: write and read",
        "Parquet), each signed in under a tenant of its own so the emulator counts its token",
        "requests. A 60-second token is refreshed after 48 s, so a 3-minute job needs 4.",
        "",
        "| tool | operations | failed | token requests |",
        "| --- | ---: | ---: | ---: |",
    ]
    for tool, result in stack.items():
        lines.append(
            f"| {tool} | {result.operations} | {result.failed} | {result.token_requests} |"
        )
    lines += [
        "",
        "## 4 machines x 4 processes, all at once",
        "",
        "Each machine is a HOME (a local store) of its own; every process asks for the same SPN",
        "token at the same moment. With Redis (`AZLOGIN_TOKEN_STORE=redis://...` and a shared",
        "`AZLOGIN_STORE_KEY`) the first process fetches under the item's Redis lock.",
        "",
        "| setup | token requests |",
        "| --- | ---: |",
    ]
    for name, count in cluster.items():
        lines.append(f"| {name} | {count} |")
    lines += [
        "",
        f"A fresh process whose token another machine stored in Redis: {from_redis:.0f} ms to its "
        "first token (median of 7, imports included), 0 requests.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outage-seconds", type=float, default=60.0)
    parser.add_argument("--data-stack-seconds", type=float, default=180.0)
    parser.add_argument("--output", default="docs/performance.md")
    parser.add_argument("--startup-runs", type=int, default=15, help="processes per start-up row")
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="measure the start-up rows only and print their section (no file is written)",
    )
    args = parser.parse_args(argv)
    # Both libraries log every failed request of the outage rows; the report counts them.
    logging.basicConfig(level=logging.CRITICAL)
    if args.startup_only:
        sys.stdout.write("\n".join(startup_lines(startup(args.startup_runs), args.startup_runs)))
        return 0
    text = report(args)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
