"""RedisStore against a real redis-server (Debian's package) on loopback: sealing, expiry,
sharing between "machines" (store objects, or processes, that share nothing but Redis and a
key), the lock's lease, its renewal and fencing, Redis dying and coming back, and the
passphrase salt's creation race."""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

import azlogin
from azlogin import ConfigurationError, TokenStoreError
from azlogin.persistence import OsSecretStoreKey, PassphraseKey, StaticKey
from azlogin.persistence._redis import DEFAULT_LEASE, RedisLock, RedisStore
from tests.redis_server import RedisServer, held_all_along, redis_server
from tests.support import SECRET, eventually

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.redis-test-access-token.signature"
CEILING = 5.0  # a bound that calls return within when Redis is gone, not a timing target


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with redis_server() as started:
        yield started


@pytest.fixture
def url(server: RedisServer) -> str:
    raw = redis.Redis.from_url(server.url)
    raw.flushall()
    raw.close()
    return server.url


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A server of the test's own, to kill and restart."""
    with redis_server() as started:
        yield started


def store(url: str, **options: object) -> RedisStore:
    options.setdefault("key_source", KEY)
    return RedisStore(url, **options)  # type: ignore[arg-type]


def token_blob(token: str = TOKEN) -> bytes:
    return json.dumps({"token": token, "expires_on": int(time.time()) + 3600, "v": 1}).encode()


def dump(url: str) -> list[bytes]:
    """Every key name and every value in Redis, raw."""
    raw = redis.Redis.from_url(url)
    found: list[bytes] = []
    for name in raw.scan_iter(count=1000):
        found.append(name)
        kind = raw.type(name)
        if kind == b"hash":
            for field, value in raw.hgetall(name).items():
                found += [field, value]
        elif kind == b"string":
            found.append(raw.get(name) or b"")
        else:
            raise AssertionError(f"unexpected {kind!r} at {name!r}")
    raw.close()
    return found


# -- values ----------------------------------------------------------------------------------


def test_round_trip(url: str) -> None:
    one = store(url)
    assert one.load("token:a") is None
    one.save("token:a", b"first")
    assert one.load("token:a") == b"first"
    one.save("token:a", b"second")
    assert one.load("token:a") == b"second"
    assert one.delete("token:a") is True
    assert one.delete("token:a") is False
    assert one.load("token:a") is None


def test_redis_never_holds_plaintext(url: str) -> None:
    one = store(url)
    one.save("token:a", token_blob())
    one.save("device:b", json.dumps({"refresh_token": SECRET, "secret": SECRET}).encode())
    with one.lock("index:c"):
        one.save("index:c", json.dumps(["token:a"]).encode())
    values = dump(url)
    assert len(values) > 6
    for needle in (TOKEN, "redis-test-access-token", SECRET, "token:a", "device:b", "index:c"):
        for encoded in (needle.encode(), base64.b64encode(needle.encode())):
            assert not any(encoded in value for value in values), needle


def test_a_wrong_key_reads_as_a_miss_logged_once(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store(url).save("token:a", b"value")
    stranger = store(url, key_source=OTHER_KEY)
    caplog.clear()
    assert stranger.load("token:a") is None
    assert stranger.load("token:a") is None
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "another key" in warnings[0].getMessage()


def test_a_value_moved_to_another_item_or_altered_does_not_open(url: str) -> None:
    one = store(url)
    one.save("token:a", b"value-a")
    one.save("token:b", b"value-b")
    raw = redis.Redis.from_url(url)
    name_a, name_b = one._names("token:a")[0], one._names("token:b")[0]
    raw.hset(name_b, "v", raw.hget(name_a, "v") or b"")
    assert one.load("token:b") is None  # bound to its item's name
    sealed = bytearray(raw.hget(name_a, "v") or b"")
    sealed[-1] ^= 1
    raw.hset(name_a, "v", bytes(sealed))
    assert one.load("token:a") is None
    raw.hset(name_a, "v", b"garbage")
    assert one.load("token:a") is None
    raw.close()


def test_items_expire_with_their_token(url: str) -> None:
    one = store(url, max_ttl=3600.0)
    raw = redis.Redis.from_url(url)
    one.save("token:a", b"a", expires_at=time.time() + 120)
    assert 110_000 < raw.pttl(one._names("token:a")[0]) <= 120_000
    one.save("token:b", b"b")  # no expiry given: max_ttl
    assert 3_590_000 < raw.pttl(one._names("token:b")[0]) <= 3_600_000
    one.save("token:c", b"c", expires_at=time.time() + 10 * 86400)  # capped by max_ttl
    assert raw.pttl(one._names("token:c")[0]) <= 3_600_000
    one.save("token:d", b"d", expires_at=time.time() + 0.5)
    time.sleep(1.2)
    assert one.load("token:d") is None
    default = store(url)
    default.save("token:e", b"e")
    assert 28 * 3600_000 - 10_000 < raw.pttl(default._names("token:e")[0]) <= 28 * 3600_000
    raw.close()


# -- keys ------------------------------------------------------------------------------------


def test_two_machines_with_the_same_key_share_items(url: str) -> None:
    env = {"AZLOGIN_STORE_KEY": base64.b64encode(KEY).decode()}
    first, second = RedisStore(url, env=env), RedisStore(url, env=env)
    first.save("token:a", b"from the first")
    assert second.load("token:a") == b"from the first"
    assert first.key_source == "AZLOGIN_STORE_KEY"
    assert first.key_id == second.key_id == store(url).key_id  # the same key as bytes
    assert store(url, prefix="other:").load("token:a") is None  # another namespace


def test_two_machines_with_a_passphrase_share_items_through_the_salt_in_redis(url: str) -> None:
    env = {"AZLOGIN_STORE_PASSPHRASE": "correct horse battery staple"}
    first = RedisStore(url, env=env)
    first.save("token:a", b"shared")
    second = RedisStore(url, key_source=PassphraseKey("correct horse battery staple"))
    assert second.load("token:a") == b"shared"
    assert RedisStore(url, env={"AZLOGIN_STORE_PASSPHRASE": "wrong"}).load("token:a") is None
    salt = redis.Redis.from_url(url).get("azlogin:salt")
    assert salt is not None
    assert len(salt) == 16


def _derive_in_child(url: str, start: float, results: multiprocessing.Queue[str]) -> None:
    time.sleep(max(0.0, start - time.time()))
    results.put(RedisStore(url, key_source=PassphraseKey("race")).key_id)


def test_the_passphrase_salt_race_gives_one_key(url: str) -> None:
    """Threads and processes creating the salt at once all derive one key."""
    stores = [RedisStore(url, key_source=PassphraseKey("race")) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    ids: list[str] = []

    def derive(one: RedisStore) -> None:
        barrier.wait()
        ids.append(one.key_id)

    threads = [threading.Thread(target=derive, args=(one,)) for one in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8
    assert len(set(ids)) == 1

    redis.Redis.from_url(url).flushall()  # again with processes, on an empty Redis
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[str] = context.Queue()
    start = time.time() + 0.5
    children = [
        context.Process(target=_derive_in_child, args=(url, start, results)) for _ in range(6)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    assert len({results.get(timeout=5) for _ in children}) == 1


def test_key_sources(url: str) -> None:
    assert store(url, key_source=StaticKey(KEY)).key_id == store(url).key_id
    with pytest.raises(TokenStoreError, match="per machine"):
        RedisStore(url, key_source=OsSecretStoreKey())
    with pytest.raises(TokenStoreError, match="AZLOGIN_STORE_KEY"):
        RedisStore(url, env={})
    with pytest.raises(TokenStoreError, match="32 bytes"):
        RedisStore(url, env={"AZLOGIN_STORE_KEY": base64.b64encode(b"short").decode()})
    with pytest.raises(ValueError, match="32 bytes"):
        RedisStore(url, key_source=b"short")


def test_repr_hides_the_password_and_the_store_is_never_pickled() -> None:
    one = RedisStore("redis://user:hunter2@redis.example:6380/2?password=hunter3", key_source=KEY)
    assert "hunter" not in repr(one)
    assert "redis://user@redis.example:6380/2" in repr(one)
    assert "rediss://redis.example" in repr(RedisStore("rediss://redis.example", key_source=KEY))
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(one)


# -- the lock --------------------------------------------------------------------------------


def test_the_lock_is_exclusive_across_machines(url: str) -> None:
    first, second = store(url), store(url)
    with first.lock("token:a"):
        started = time.monotonic()
        with pytest.raises(TokenStoreError, match="stayed taken"), second.lock("token:a", wait=0.3):
            pass
        assert time.monotonic() - started < CEILING
        with second.lock("token:other", wait=0.3):  # other items are free
            pass
    with second.lock("token:a", wait=0.3) as taken:
        assert taken.fence > 0


def test_a_waiter_gets_the_lock_when_it_is_released(url: str) -> None:
    first, second = store(url), store(url)
    got = threading.Event()

    def wait_for_it() -> None:
        with second.lock("token:a", wait=10):
            got.set()

    with first.lock("token:a"):
        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.3)
        assert not got.is_set()
    assert got.wait(CEILING)
    waiter.join()


# A holder in a process of its own, driven line by line on stdin (one JSON reply a line), so
# that it can really stall (SIGSTOP) or die (SIGKILL) while its lease-renewing thread runs.
HOLDER = """
import json, sys
from azlogin.persistence._redis import RedisStore
store = RedisStore(sys.argv[1], key_source=bytes.fromhex(sys.argv[2]))
locks = {}
for line in sys.stdin:
    command, item, *rest = line.split()
    reply = {}
    if command == "lock":
        locks[item] = store.lock(item, lease=float(rest[0])).__enter__()
        reply["fence"] = locks[item].fence
    elif command == "lost":
        reply["lost"] = locks[item].lost
    elif command == "save":
        store.save(item, rest[0].encode())
    elif command == "release":
        locks.pop(item).__exit__(None, None, None)
    print(json.dumps(reply), flush=True)
"""


class Holder:
    """A machine holding locks in a process of its own."""

    def __init__(self, url: str) -> None:
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, url, KEY.hex()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"},
        )

    def ask(self, *command: object) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(" ".join(map(str, command)) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the holder exited ({self.process.poll()})"
        return json.loads(line)  # type: ignore[no-any-return]

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def holder(url: str) -> Iterator[Holder]:
    one = Holder(url)
    try:
        yield one
    finally:
        one.close()


def lock_key(url: str, item: str) -> str:
    return store(url)._names(item)[1]


def test_a_holder_whose_work_outlasts_several_leases_keeps_the_lock(url: str) -> None:
    """A fetch blocked for three leases: its lease is renewed, nobody else gets the lock (nor
    a fencing number), and its save stands."""
    lease = 1.0
    first, second = store(url, lease=lease), store(url, lease=lease)
    holding, done = threading.Event(), threading.Event()
    taken: list[RedisLock] = []

    def slow_fetch() -> None:
        with first.lock("token:a") as lock:
            taken.append(lock)
            holding.set()
            assert done.wait(60)  # the identity provider, answering when the test says so
            first.save("token:a", b"fetched by the slow holder")

    worker = threading.Thread(target=slow_fetch)
    worker.start()
    try:
        assert holding.wait(CEILING)
        with (
            pytest.raises(TokenStoreError, match="stayed taken"),
            second.lock("token:a", wait=3 * lease),
        ):
            pass
        raw = redis.Redis.from_url(url)
        assert int(raw.get(first._names("token:a")[2]) or 0) == taken[0].fence  # no new taker
        assert 0 < raw.pttl(first._names("token:a")[1]) <= lease * 1000
        assert not taken[0].lost
    finally:
        done.set()
        worker.join()
    with second.lock("token:a", wait=CEILING) as later:
        assert later.fence > taken[0].fence
    assert second.load("token:a") == b"fetched by the slow holder"
    assert raw.exists(first._names("token:a")[1]) == 0  # released, not left to expire
    raw.close()


def test_a_lock_taken_again_renews_its_new_hold(url: str) -> None:
    """One lock object held twice in a row: the second hold is renewed, and the first hold's
    renewer (stopped by the release) never marks it lost."""
    lease = 0.3
    one = store(url, lease=lease)
    raw = redis.Redis.from_url(url)
    lock = one.lock("token:a")
    for _ in range(2):
        with lock:
            held_all_along(raw, one._names("token:a")[1], 3 * lease)
            assert not lock.lost
    assert raw.exists(one._names("token:a")[1]) == 0
    raw.close()


def test_a_killed_holder_is_released_within_one_lease(url: str, holder: Holder) -> None:
    lease = 1.0
    raw = redis.Redis.from_url(url)
    name = lock_key(url, "token:a")
    fence = holder.ask("lock", "token:a", lease)["fence"]
    held_all_along(raw, name, 3 * lease)  # alive: it renews
    holder.signal(signal.SIGKILL)
    holder.process.wait(timeout=10)
    left = raw.pttl(name)  # -2: already gone; -1 (no expiry) would be a lock held forever
    assert left == -2 or 0 < left <= lease * 1000  # nobody renews it now: gone within a lease
    with store(url).lock("token:a", wait=lease + CEILING) as taken:
        assert taken.fence > fence
    raw.close()


@pytest.fixture
def stalled(url: str, holder: Holder) -> Iterator[tuple[Holder, RedisLock]]:
    """A holder that froze (SIGSTOP) past its lease and then resumed, and the later holder
    that took the lock meanwhile, still holding it."""
    raw = redis.Redis.from_url(url)
    name = lock_key(url, "token:a")
    first_fence = holder.ask("lock", "token:a", 0.5)["fence"]
    holder.signal(signal.SIGSTOP)
    try:
        assert eventually(lambda: raw.exists(name) == 0, CEILING), "the lease did not end"
        later = store(url).lock("token:a", wait=CEILING)
        later.__enter__()
    finally:
        holder.signal(signal.SIGCONT)
    try:
        assert later.fence > first_fence
        # Resumed, its renewer tries at once, finds the lock another's, and gives up.
        assert eventually(lambda: holder.ask("lost", "token:a")["lost"], CEILING)
        yield holder, later
    finally:
        later.__exit__(None, None, None)
        raw.close()


def test_a_holder_whose_renewal_failed_never_frees_the_next_holders_lock(
    url: str, stalled: tuple[Holder, RedisLock]
) -> None:
    holder, later = stalled
    raw = redis.Redis.from_url(url)
    name = lock_key(url, "token:a")
    owner = raw.get(name)
    holder.ask("release", "token:a")  # compare-and-delete: not its lock any more
    assert raw.get(name) == owner
    with pytest.raises(TokenStoreError), store(url).lock("token:a", wait=0.2):
        pass
    assert not later.lost
    raw.close()


def test_a_holder_whose_renewal_failed_never_overwrites_a_newer_token(
    url: str, stalled: tuple[Holder, RedisLock]
) -> None:
    holder, later = stalled
    newer = store(url)
    holder.ask("save", "token:a", "older,first")  # nothing newer stored yet: written
    assert newer.load("token:a") == b"older,first"
    later.store.save("token:a", b"newer")
    holder.ask("save", "token:a", "older,late")  # fenced with its older number: dropped
    assert newer.load("token:a") == b"newer"
    holder.ask("release", "token:a")
    holder.ask("save", "token:a", "unlocked")  # without the lock: written as the newest
    assert newer.load("token:a") == b"unlocked"


def test_the_lease_is_configurable(url: str) -> None:
    raw = redis.Redis.from_url(url)
    assert store(url).lease == DEFAULT_LEASE == 20.0
    from_url = store(url + "?lease=2.5")
    assert from_url.lease == 2.5
    from_url.save("token:a", b"value")  # redis-py never saw the lease parameter
    assert from_url.load("token:a") == b"value"
    with from_url.lock("token:a"):
        assert 0 < raw.pttl(from_url._names("token:a")[1]) <= 2500
    assert "lease=2.5 s" in repr(from_url)
    assert store(url + "?lease=2.5", lease=7).lease == 7.0  # the keyword wins
    with from_url.lock("token:a", lease=0.5):  # and a lock's own lease
        assert 0 < raw.pttl(from_url._names("token:a")[1]) <= 500
    raw.close()


@pytest.mark.parametrize("value", ["abc", "", "0", "-1", "0.05", "nan", "inf", "7200", "1,2"])
def test_a_bad_lease_in_the_url_names_the_parameter_and_the_variable(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"lease= parameter of the Redis URL") as caught:
        RedisStore(f"redis://user:hunter2@127.0.0.1:1/0?lease={value}", key_source=KEY)
    assert caught.value.variable == "AZLOGIN_TOKEN_STORE"
    assert caught.value.keyword == "token_store"
    assert "redis://host:6379/0?lease=30" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_repeated_lease_parameter_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="2 times"):
        RedisStore("redis://127.0.0.1:1/0?lease=1&lease=2", key_source=KEY)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), 1e9, "30", True])
def test_a_bad_lease_keyword_names_the_keyword(value: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"RedisStore\(lease=\)") as caught:
        RedisStore("redis://127.0.0.1:1/0", key_source=KEY, lease=value)
    assert "from 0.1 to 3600" in str(caught.value)


def test_a_bad_lease_in_azlogin_token_store_fails_get_credential(url: str) -> None:
    env = {
        "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
        "AZCOPY_SPA_APPLICATION_ID": "00000000-0000-0000-0000-000000000001",
        "AZCOPY_SPA_CLIENT_SECRET": SECRET,
        "AZCOPY_TENANT_ID": "contoso",
        "AZLOGIN_TOKEN_STORE": url + "?lease=forever",
        "AZLOGIN_STORE_KEY": base64.b64encode(KEY).decode(),
    }
    with pytest.raises(ConfigurationError) as caught:
        azlogin.get_credential(env)
    assert caught.value.variable == "AZLOGIN_TOKEN_STORE"
    assert SECRET not in str(caught.value)


def test_the_fence_never_goes_backwards_when_its_counter_is_lost(url: str) -> None:
    one = store(url)
    with one.lock("token:a") as first:
        one.save("token:a", b"first")
    raw = redis.Redis.from_url(url)
    raw.delete(one._names("token:a")[2])  # the counter expired or was evicted
    with one.lock("token:a") as second:
        assert second.fence > first.fence
        one.save("token:a", b"second")
    assert one.load("token:a") == b"second"
    raw.close()


def test_one_fetch_for_eight_machines(url: str) -> None:
    """The engine's single flight (load; lock; load again; fetch; save) over eight store
    objects that share only Redis: one fetch."""
    fetches: list[int] = []
    machines = [store(url) for _ in range(8)]
    barrier = threading.Barrier(len(machines))
    results: list[bytes | None] = []

    def get_token(machine: RedisStore) -> None:
        barrier.wait()
        value = machine.load("token:x")
        if value is None:
            with machine.lock("token:x", wait=CEILING):
                value = machine.load("token:x")
                if value is None:
                    fetches.append(1)
                    time.sleep(0.2)  # the identity provider
                    value = token_blob()
                    machine.save("token:x", value)
        results.append(value)

    threads = [threading.Thread(target=get_token, args=(machine,)) for machine in machines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fetches) == 1
    assert len(results) == 8
    assert len(set(results)) == 1


# -- Redis gone, Redis back ------------------------------------------------------------------


def test_redis_killed_then_restarted(own_server: RedisServer) -> None:
    one = store(own_server.url, retry_after=0.2)
    one.save("token:a", b"before")
    own_server.kill()
    for attempt in range(2):  # the first call meets the dead server, the second the breaker
        started = time.monotonic()
        assert one.load("token:a") is None
        with pytest.raises(TokenStoreError):
            one.save("token:a", b"during")
        with pytest.raises(TokenStoreError):
            one.delete("token:a")
        with pytest.raises(TokenStoreError), one.lock("token:a"):
            pass
        assert time.monotonic() - started < CEILING, attempt
        assert not one.available
    own_server.start()
    time.sleep(0.3)  # the breaker's retry_after
    assert one.available
    assert one.load("token:a") is None  # no persistence: the item died with the server
    one.save("token:a", b"after")
    assert one.load("token:a") == b"after"
    with one.lock("token:a"):
        pass


def test_a_lock_held_when_redis_dies_releases_quietly(own_server: RedisServer) -> None:
    one = store(own_server.url)
    held = one.lock("token:a")
    held.__enter__()
    own_server.kill()
    started = time.monotonic()
    held.__exit__(None, None, None)  # never raises: the lease ends it
    assert time.monotonic() - started < CEILING


def test_a_passphrase_store_keeps_its_key_across_a_restart_without_persistence(
    own_server: RedisServer,
) -> None:
    """The salt dies with an unpersisted Redis; the first machine back writes it again, so
    running processes and new ones agree on the key."""
    running = RedisStore(own_server.url, key_source=PassphraseKey("p"), retry_after=0.1)
    running.save("token:a", b"before")
    key_id = running.key_id
    own_server.kill()
    own_server.start()
    time.sleep(0.2)
    running.save("token:a", b"after")  # puts its salt back
    newcomer = RedisStore(own_server.url, key_source=PassphraseKey("p"))
    assert newcomer.load("token:a") == b"after"
    assert newcomer.key_id == running.key_id == key_id


def test_a_passphrase_store_follows_a_new_salt(own_server: RedisServer) -> None:
    """When a newcomer made the salt first after a restart, running processes follow it."""
    running = RedisStore(own_server.url, key_source=PassphraseKey("p"), retry_after=0.1)
    running.save("token:a", b"before")
    own_server.kill()
    own_server.start()
    time.sleep(0.2)
    newcomer = RedisStore(own_server.url, key_source=PassphraseKey("p"))
    newcomer.save("token:a", b"sealed with the new salt")
    assert running.load("token:a") == b"sealed with the new salt"
    assert running.key_id == newcomer.key_id


def test_an_unreachable_redis_returns_quickly(tmp_path: Path) -> None:
    """A address nobody answers on (a blackholed or refused connection): bounded."""
    for url in ("redis://10.255.255.1:6379/0", f"unix://{tmp_path}/missing.sock"):
        one = RedisStore(url, key_source=KEY)
        started = time.monotonic()
        assert one.load("token:a") is None
        with pytest.raises(TokenStoreError):
            one.save("token:a", b"x")
        assert time.monotonic() - started < CEILING
    assert os.path.exists(tmp_path)


def test_a_redis_that_accepts_but_never_answers_returns_quickly() -> None:
    """A hung server (the kernel completes the connection; nothing answers): the command's
    socket timeout bounds each call, then the breaker fails the next ones at once."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        one = RedisStore(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", key_source=KEY)
        started = time.monotonic()
        assert one.load("token:a") is None
        first = time.monotonic() - started
        with pytest.raises(TokenStoreError):
            one.save("token:a", b"x")
        with pytest.raises(TokenStoreError), one.lock("token:a"):
            pass
        assert first < CEILING
        assert time.monotonic() - started - first < 0.5  # the breaker: no second wait
