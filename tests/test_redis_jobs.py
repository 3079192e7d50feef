"""Jobs across "machines" on one Redis: a Dask cluster whose workers share nothing but Redis
and the key makes one token request; a lock holder renews its lease as long as it lives, and
one killed with SIGKILL holds the others up no longer than its lease.

Each worker or machine has a local store directory (and HOME) of its own, as pods would."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import azlogin
from azlogin import storage
from azlogin.fsspec import filesystem
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite
from tests.redis_server import RedisServer, held_all_along, redis_server

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.b64encode(bytes(range(32))).decode()
LOOPBACK = "127.0.0.1"
PREFIX = "azlogin:"  # RedisStore's default


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def _redis_names(item: str) -> tuple[str, str]:
    """The Redis keys of a store item and of its lock (see azlogin.persistence._redis)."""
    digest = hashlib.sha256(item.encode()).hexdigest()
    return f"{PREFIX}{{{digest}}}:item", f"{PREFIX}{{{digest}}}:lock"


# -- 1. A Dask cluster: one token request for the whole job ---------------------------------


class _StoreDirectoryPerWorker:
    """A Dask worker plugin: each worker gets a HOME and AZLOGIN_STORE_DIR of its own (under
    ``base``), set before any task unpickles a credential."""

    name = "azlogin-store-directory-per-worker"

    def __init__(self, base: str) -> None:
        self.base = base

    def setup(self, worker: Any) -> None:
        home = Path(self.base) / f"worker-{uuid.uuid4().hex[:8]}"
        (home / "store").mkdir(mode=0o700, parents=True)
        os.environ["HOME"] = str(home)
        os.environ["AZLOGIN_STORE_DIR"] = str(home / "store")

    def teardown(self, worker: Any) -> None:
        pass


def _where_this_worker_keeps_tokens() -> dict[str, str]:
    """Run on each worker: its local store directory as azlogin resolves it, and the store
    its credentials use."""
    from azlogin.persistence._default import default_directory

    return {
        "pid": str(os.getpid()),
        "home": os.environ["HOME"],
        "store_dir": str(default_directory(os.environ)),
        "token_store": os.environ.get("AZLOGIN_TOKEN_STORE", ""),
    }


def _rows_in(fs: Any, path: str) -> int:
    """Run on each worker: the dataset's rows, read by this worker with the pickled fs."""
    return len(pd.read_parquet(path, filesystem=fs))


def test_a_dask_cluster_on_redis_makes_one_token_request(
    emulator: EntraEmulator,
    azurite: Azurite,
    redis: RedisServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster, WorkerPlugin

    plugin_class = type("StoreDirectoryPerWorker", (_StoreDirectoryPerWorker, WorkerPlugin), {})
    # The SPN login and the shared store, in this process and in every worker's environment
    # (workers rebuild the pickled credential from theirs).
    env = {**emulator.env("SPN"), "AZLOGIN_TOKEN_STORE": redis.url, "AZLOGIN_STORE_KEY": KEY}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    redis_client = _redis_client(redis)
    redis_client.flushdb()

    container = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite.account_url,
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
        token_store="none",  # leaves Redis empty: the job starts cold
    ).create_container(container)
    assert redis_client.dbsize() == 0

    emulator.reset()  # the job starts here
    fs = filesystem(
        azurite.account_url, trusted_microsoft_suffixes=LOOPBACK, connection_verify=emulator.ca_path
    )
    frame = pd.DataFrame({"id": range(1000), "value": [i * 0.5 for i in range(1000)]})
    workers_base = tmp_path / "workers"
    workers_base.mkdir()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host=LOOPBACK, worker_dashboard_address=None, env=env,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        client.register_plugin(plugin_class(str(workers_base)))
        where = client.run(_where_this_worker_keeps_tokens)
        path = f"{container}/dataset"
        dd.from_pandas(frame, npartitions=8).to_parquet(path, filesystem=fs)
        back = dd.read_parquet(path, filesystem=fs).compute()
        # And every worker reads the dataset itself: each needs a token, whatever tasks the
        # scheduler gave it.
        rows = client.run(_rows_in, fs, path)
        workers_after = client.run(_where_this_worker_keeps_tokens)
    pd.testing.assert_frame_equal(back.sort_values("id").reset_index(drop=True), frame)

    # Two worker processes, each with a local store directory (and HOME) of its own, neither
    # this process's, and the same Redis store.
    assert len(where) == 2
    assert where == workers_after  # the same two processes throughout: none restarted
    homes = {report["home"] for report in where.values()}
    store_dirs = {report["store_dir"] for report in where.values()}
    assert len(homes) == 2, where
    assert len(store_dirs) == 2, where
    assert os.environ["HOME"] not in homes
    for report in where.values():
        assert Path(report["store_dir"]).parent.parent == workers_base
        assert report["token_store"] == redis.url
    assert rows == dict.fromkeys(where, len(frame)), rows

    # One token request for the whole job: the first process to need one fetched it under
    # the Redis lock; the others (this one, the other worker) read it from Redis.
    assert emulator.requests["token"] == 1
    assert redis_client.keys(f"{PREFIX}*:item"), "nothing was saved in Redis"


def _redis_client(server: RedisServer) -> Any:
    import redis as redis_py

    return redis_py.Redis.from_url(server.url)


# -- 2. A lock holder killed with SIGKILL -----------------------------------------------------

# Takes the engine's lock for the token item with a short lease, says so, and waits to die.
HOLDER_OF_THE_LOCK = """
import json, sys, time
from azlogin.persistence._redis import RedisStore
url, item, lease, env = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
RedisStore(url, env=env).lock(item, lease=lease).__enter__()
print("held", flush=True)
time.sleep(3600)
"""

# Asks for a token, as any process would: the engine takes the lock (the lease the URL in
# AZLOGIN_TOKEN_STORE sets) and fetches; it is held at the emulator (a delayed answer) until
# it is killed.
HOLDER_FETCHING = """
import json, sys
import azlogin
env, ca = json.loads(sys.argv[1]), sys.argv[2]
azlogin.get_credential(env, connection_verify=ca).get_token()
print("fetched", flush=True)
"""

# Asks for a token, says how long it took and when it got it, and a digest of it.
MACHINE = """
import hashlib, json, sys, time
start = time.time()
import azlogin
env, ca = json.loads(sys.argv[1]), sys.argv[2]
token = azlogin.get_credential(env, connection_verify=ca).get_token().token
done = time.time()
print(json.dumps({"start": start, "done": done, "elapsed": done - start,
                  "digest": hashlib.sha256(token.encode()).hexdigest()}))
"""


def _start(script: str, args: list[str], home: Path) -> subprocess.Popen[str]:
    home.mkdir()
    child_env = {**os.environ, "HOME": str(home), "AZLOGIN_STORE_DIR": str(home / "store"),
                 "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own: killed alone
    )


def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


@pytest.mark.parametrize("holder", ["bare_lock", "engine_mid_fetch"])
def test_a_lock_holder_renews_while_alive_and_killed_releases_within_its_lease(
    emulator: EntraEmulator, redis: RedisServer, tmp_path: Path, holder: str
) -> None:
    from azlogin._build.resolve import resolve
    from azlogin._engine.keys import TokenKey
    from azlogin.persistence._tokens import token_item

    lease = 1.0 if holder == "bare_lock" else 2.0
    # Every machine's engine takes its Redis locks with this lease (the URL's lease=).
    store_url = f"{redis.url}?lease={lease:g}"
    env = {**emulator.env("SPN"), "AZLOGIN_TOKEN_STORE": store_url, "AZLOGIN_STORE_KEY": KEY}
    ca = emulator.ca_path
    redis_client = _redis_client(redis)
    redis_client.flushdb()
    # The item the engine keeps (and locks) this identity's Storage token under.
    plan = resolve(env, {"connection_verify": ca})
    item = token_item(plan.fingerprint, TokenKey((azlogin.STORAGE_SCOPE,)))
    item_key, lock_key = _redis_names(item)

    if holder == "bare_lock":
        process = _start(
            HOLDER_OF_THE_LOCK, [redis.url, item, str(lease), json.dumps(env)], tmp_path / "a"
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held", process.stderr
        requests_before = 0
    else:
        emulator.fail("token", status=None, delay=30.0)  # the holder's fetch hangs
        process = _start(HOLDER_FETCHING, [json.dumps(env), ca], tmp_path / "a")
        # Its request reached the identity provider: it fetches, so it holds the lock.
        _until(lambda: emulator.requests["token"] == 1, 30.0, "the holder's token request")
        requests_before = 1
    assert 0 < redis_client.pttl(lock_key) <= lease * 1000  # the URL's lease
    held_all_along(redis_client, lock_key, 3 * lease)  # alive, it renews its lease

    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    killed_at = time.time()
    assert process.returncode == -signal.SIGKILL
    # The kill released nothing: the lock stays taken until its lease ends.
    left_ms = redis_client.pttl(lock_key)  # -2: already gone; -1 would be no expiry at all
    assert left_ms == -2 or 0 < left_ms <= lease * 1000, left_ms
    left = max(left_ms, 0) / 1000

    machines = [
        _start(MACHINE, [json.dumps(env), ca], tmp_path / f"machine{number}") for number in range(3)
    ]
    reports = []
    for machine in machines:
        out, err = machine.communicate(timeout=lease + 60)
        assert machine.returncode == 0, err[-2000:]
        reports.append(json.loads(out))

    elapsed = [report["elapsed"] for report in reports]
    after_kill = [report["done"] - killed_at for report in reports]
    print(
        f"\n{holder}: lease {lease} s, {left:.2f} s of it left at the kill; each machine's time "
        f"to its token {[round(e, 2) for e in elapsed]} s; since the kill "
        f"{[round(a, 2) for a in after_kill]} s"
    )
    # Within the rest of the lease plus one fetch (a generous ceiling for the fetch and the
    # start of a Python process), and not before the lease ended: they did wait for it.
    for report in reports:
        assert report["elapsed"] < lease + 15.0
        assert report["done"] - killed_at < left + 15.0
        assert report["done"] - killed_at >= left - 0.25
    assert len({report["digest"] for report in reports}) == 1
    # Exactly one more token request, saved under the item the holder had locked.
    assert emulator.requests["token"] == requests_before + 1
    assert redis_client.exists(item_key) == 1
    assert redis_client.exists(lock_key) == 0
