"""Several machines, one Redis: one identity-provider request per token life for all of them.

A "machine" here is a process with a HOME (so a local store) of its own; they share only the
Redis server and AZLOGIN_STORE_KEY, as pods of a cluster would. (tests/test_redis_netns.py
runs the same machines each in a network namespace of its own.)"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.pipeline.transport import AioHttpTransport, RequestsTransport

import azlogin
from azlogin.persistence._redis import RedisStore
from azlogin.testing import EntraEmulator
from tests.redis_server import RedisServer, redis_server

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.b64encode(bytes(range(32))).decode()

# Each child waits for START_AT, so all ask at once, then prints a digest of its token.
MACHINE = """
import hashlib, json, os, sys, time
import azlogin
env, ca = json.loads(sys.argv[1]), sys.argv[2]
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
token = azlogin.get_credential(env, connection_verify=ca).get_token().token
print(hashlib.sha256(token.encode()).hexdigest())
"""


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def run_machines(
    count: int,
    env: dict[str, str],
    ca: str,
    tmp_path: Path,
    prefix: Callable[[int], list[str]] = lambda number: [],
) -> list[str]:
    """``count`` machines, each a process group with a HOME (so a local store) of its own,
    asking for a token at once; the digests of their tokens. ``prefix(number)`` is put
    before each machine's command (tests/test_redis_netns.py: its network namespace)."""
    start_at = str(time.time() + 3.0)  # after every child has imported azlogin
    processes = []
    try:
        for number in range(count):
            home = tmp_path / f"machine{number}"
            home.mkdir()
            child_env = {**os.environ, "HOME": str(home), "START_AT": start_at,
                         "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}  # fmt: skip
            processes.append(
                subprocess.Popen(
                    [*prefix(number), sys.executable, "-c", MACHINE, json.dumps(env), ca],
                    env=child_env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    start_new_session=True,  # a process group of its own
                )
            )
        digests = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-2000:]
            digests.append(out.strip())
        return digests
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.mark.parametrize("login", ["SPN", "WORKLOAD"])
def test_eight_machines_on_one_redis_make_one_token_request(
    emulator: EntraEmulator, redis: RedisServer, tmp_path: Path, login: str
) -> None:
    extra = {}
    if login == "WORKLOAD":  # the projected service-account token, as each pod mounts it
        extra["token_file"] = emulator.write_federated_token(tmp_path / "sa-token")
    env = {**emulator.env(login, **extra), "AZLOGIN_TOKEN_STORE": redis.url,
           "AZLOGIN_STORE_KEY": KEY}  # fmt: skip
    digests = run_machines(8, env, emulator.ca_path, tmp_path)
    assert len(set(digests)) == 1
    assert emulator.requests["token"] == 1


def test_without_redis_eight_machines_make_eight(emulator: EntraEmulator, tmp_path: Path) -> None:
    digests = run_machines(8, emulator.env("SPN"), emulator.ca_path, tmp_path)
    assert len(set(digests)) == 8
    assert emulator.requests["token"] == 8


def test_a_redis_store_needs_a_shared_key(emulator: EntraEmulator, redis: RedisServer) -> None:
    env = {**emulator.env("SPN"), "AZLOGIN_TOKEN_STORE": redis.url}
    with pytest.raises(azlogin.TokenStoreError, match="AZLOGIN_STORE_KEY"):
        azlogin.get_credential(env)


def test_redis_killed_mid_run_fails_no_call_and_sharing_resumes(
    emulator: EntraEmulator, tmp_path: Path
) -> None:
    """A "machine" here is an AZLOGIN_STORE_DIR (its local store) and an engine of its own (a
    clock of its own keeps engines apart, as separate processes are)."""
    with redis_server() as server:
        shared = {"AZLOGIN_TOKEN_STORE": server.url, "AZLOGIN_STORE_KEY": KEY}

        def machine(name: str) -> azlogin.Credential:
            env = {**emulator.env("SPN"), **shared, "AZLOGIN_STORE_DIR": str(tmp_path / name)}
            return azlogin.get_credential(
                env, connection_verify=emulator.ca_path, clock=lambda: time.time()
            )

        machine("a").get_token()
        assert emulator.requests["token"] == 1
        server.kill()
        emulator.reset()
        failures = 0
        for _ in range(3):  # three processes of machine b while Redis is down
            try:
                machine("b").get_token()
            except Exception:  # noqa: BLE001 - counted: there must be none
                failures += 1
        assert failures == 0
        assert emulator.requests["token"] == 1  # b's processes shared b's local store
        server.start()  # empty: Redis kept nothing
        emulator.reset()
        machine("c").get_token()  # fetches, and saves in Redis again
        machine("d").get_token()  # another machine: served from Redis
        assert emulator.requests["token"] == 1


def test_login_status_names_the_redis_store_and_says_it_spans_machines(
    emulator: EntraEmulator, redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from azlogin._config.saved import SavedLogin
    from azlogin.cli import main
    from azlogin.persistence._default import StoreOpener

    StoreOpener({}).save_login(SavedLogin("SPN", emulator.env("SPN")))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)
    out = io.StringIO()
    environ = {"AZLOGIN_TOKEN_STORE": redis.url, "AZLOGIN_STORE_KEY": KEY}
    assert main(["login", "status", "--output-type", "json"], environ, stdout=out) == 0
    status = json.loads(out.getvalue())
    assert status["shared_across_machines"] is True
    assert status["store"].startswith(f"Redis at {redis.url}")
    assert KEY not in out.getvalue()


# -- a fetch that outlasts the lock's lease ---------------------------------------------------

TOKEN_PATH = "/oauth2/v2.0/token"


class _HeldTokenRequests(RequestsTransport):  # type: ignore[misc]
    """A transport whose token requests wait until the test sets ``answer``: an identity
    provider (or a device login) slower than the lock's lease."""

    def __init__(self, answer: threading.Event, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answer = answer
        self.asked = threading.Event()

    def send(self, request: Any, **kwargs: Any) -> Any:
        if request.url.split("?")[0].endswith(TOKEN_PATH):
            self.asked.set()
            assert self.answer.wait(60)
        return super().send(request, **kwargs)


class _AsyncHeldTokenRequests(AioHttpTransport):  # type: ignore[misc]
    """The asyncio twin of _HeldTokenRequests."""

    def __init__(self, answer: threading.Event, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answer = answer
        self.asked = threading.Event()

    async def send(self, request: Any, **kwargs: Any) -> Any:
        if request.url.split("?")[0].endswith(TOKEN_PATH):
            self.asked.set()
            assert await asyncio.to_thread(self.answer.wait, 60)
        return await super().send(request, **kwargs)


@pytest.mark.parametrize("flavor", ["sync", "asyncio"])
def test_a_fetch_outlasting_several_leases_keeps_the_lock_one_request(
    emulator: EntraEmulator, redis: RedisServer, flavor: str
) -> None:
    """Machine A's engine takes the Redis lock (a 1 s lease) and fetches; its token request
    is held for three leases. Machine B asks meanwhile: it waits for A's lock all along (A
    renews it) instead of fetching too, then reads A's token. One request."""
    lease = 1.0
    env, ca = emulator.env("SPN"), emulator.ca_path
    raw = RedisStore(redis.url, key_source=bytes(range(32)))
    raw._client.flushdb()

    def machine_store() -> RedisStore:
        return RedisStore(redis.url, key_source=bytes(range(32)), lease=lease)

    answer = threading.Event()
    tokens: dict[str, str] = {}
    transport: _HeldTokenRequests | _AsyncHeldTokenRequests
    if flavor == "sync":
        transport = _HeldTokenRequests(answer, connection_verify=ca)

        def machine_a() -> None:
            credential = azlogin.get_credential(
                env, token_store=machine_store(), transport=transport, connection_verify=ca
            )
            tokens["a"] = credential.get_token().token

    else:
        transport = _AsyncHeldTokenRequests(answer, connection_verify=ca)

        async def ask() -> str:
            async with azlogin.get_async_credential(
                env, token_store=machine_store(), transport=transport, connection_verify=ca
            ) as credential:
                return (await credential.get_token()).token

        def machine_a() -> None:
            tokens["a"] = asyncio.run(ask())

    b_done = threading.Event()

    def machine_b() -> None:
        credential = azlogin.get_credential(
            env, token_store=machine_store(), connection_verify=ca, clock=lambda: time.time()
        )
        tokens["b"] = credential.get_token().token
        b_done.set()

    threads = [threading.Thread(target=machine_a), threading.Thread(target=machine_b)]
    threads[0].start()
    try:
        assert transport.asked.wait(30)  # A holds the lock; its token request waits
        threads[1].start()
        assert not b_done.wait(3 * lease)  # three leases on, B still waits for A's lock
        assert emulator.requests["token"] == 0
    finally:
        answer.set()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join(60)
    assert b_done.is_set()
    assert tokens["a"] == tokens["b"]
    assert emulator.requests["token"] == 1
