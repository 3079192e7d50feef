"""The token engine's decisions, driven by a fake clock and a counting fetch (no network)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from azlogin._engine.aio import AsyncTokenCache
from azlogin._engine.keys import TokenKey
from azlogin._engine.policy import RefreshPolicy, retry_after
from azlogin._engine.sync import TokenCache
from tests.support import eventually

KEY = TokenKey(("https://storage.azure.com/.default",))
T0 = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    """Counts calls; returns tokens living ``lifetime`` s, or raises what it is told to."""

    def __init__(self, clock: Clock, lifetime: int = 3600) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.error: BaseException | None = None
        self.gate: threading.Event | None = None
        self.result: Any = None
        self.refresh_on: int | None = None

    def __call__(self, key: TokenKey) -> Any:
        self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.error is not None:
            raise self.error
        if self.result is not None:
            return self.result
        expires = int(self.clock.now) + self.lifetime
        return AccessTokenInfo(f"t{self.calls}", expires, refresh_on=self.refresh_on)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetcher(clock: Clock) -> Iterator[Fetcher]:
    fetcher = Fetcher(clock)
    yield fetcher
    if fetcher.gate is not None:
        fetcher.gate.set()  # release any thread still waiting


def cache_for(fetcher: Fetcher, clock: Clock, **policy: Any) -> TokenCache:
    return TokenCache(
        fetcher, name="test", policy=RefreshPolicy(**policy), clock=clock, jitter=lambda: 0.0
    )


def settle(cache: TokenCache) -> None:
    """Wait until no fetch is in flight (background refreshes finish)."""
    assert eventually(lambda: not cache._flights), "a fetch never finished"


def test_a_fresh_token_is_served_from_the_cache(fetcher: Fetcher, clock: Clock) -> None:
    cache = cache_for(fetcher, clock)
    first = cache.get(KEY).token
    clock.now += 3000  # still before expiry - 300 s
    assert cache.get(KEY).token is first
    assert cache.get(KEY).access_token.token == first.token
    assert fetcher.calls == 1


def test_keys_are_cached_separately(fetcher: Fetcher, clock: Clock) -> None:
    cache = cache_for(fetcher, clock)
    cache.get(KEY)
    cache.get(KEY._replace(tenant_id="other-tenant"))
    cache.get(KEY._replace(enable_cae=True))
    cache.get(KEY)
    assert fetcher.calls == 3


def test_a_claims_challenge_replaces_the_revoked_token(fetcher: Fetcher, clock: Clock) -> None:
    """What azure-core's bearer policy does on a CAE 401: ask again with the claims. The token
    fetched for them replaces the cached one for the same scope, tenant and CAE setting; the
    revoked one is never served again, and claims are never answered from the cache."""
    cae = KEY._replace(enable_cae=True)
    cache = cache_for(fetcher, clock)
    revoked = cache.get(cae).token.token
    fresh = cache.get(cae._replace(claims='{"access_token":{"nbf":{"essential":true}}}'))
    assert fresh.token.token != revoked
    assert cache.get(cae).token.token == fresh.token.token  # no fetch, and not the revoked
    assert fetcher.calls == 2
    cache.get(cae._replace(claims='{"access_token":{"nbf":{"essential":true}}}'))
    assert fetcher.calls == 3  # a claims request always asks the identity provider


def test_64_threads_on_a_cold_cache_make_one_fetch(fetcher: Fetcher, clock: Clock) -> None:
    cache = cache_for(fetcher, clock)
    fetcher.gate = threading.Event()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(KEY).token.token))
        for _ in range(64)
    ]
    for thread in threads:
        thread.start()
    fetcher.gate.set()
    for thread in threads:
        thread.join(10)
    assert results == ["t1"] * 64
    assert fetcher.calls == 1


def test_a_stale_token_is_served_while_one_background_refresh_runs(
    fetcher: Fetcher, clock: Clock
) -> None:
    cache = cache_for(fetcher, clock)
    cache.get(KEY)
    clock.now += 3600 - 299  # inside the advisory window: stale, not expired
    fetcher.gate = threading.Event()  # the refresh hangs until released
    for _ in range(50):
        assert cache.get(KEY).token.token == "t1"  # nobody waits for it
    fetcher.gate.set()
    settle(cache)
    assert fetcher.calls == 2  # exactly one refresh for the 50 callers
    assert cache.get(KEY).token.token == "t2"


def test_refresh_on_is_honoured(fetcher: Fetcher, clock: Clock) -> None:
    fetcher.refresh_on = int(clock.now) + 600
    cache = cache_for(fetcher, clock)
    cache.get(KEY)
    clock.now += 599
    cache.get(KEY)
    assert fetcher.calls == 1
    clock.now += 2
    cache.get(KEY)
    settle(cache)
    assert fetcher.calls == 2


def test_an_expired_token_makes_callers_wait_for_the_new_one(
    fetcher: Fetcher, clock: Clock
) -> None:
    cache = cache_for(fetcher, clock)
    cache.get(KEY)
    clock.now += 3600 - 29  # within the mandatory margin
    assert cache.get(KEY).token.token == "t2"


def test_a_failed_refresh_keeps_serving_the_valid_token_and_logs_it(
    fetcher: Fetcher, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    cache = cache_for(fetcher, clock)
    cache.get(KEY)
    fetcher.error = ClientAuthenticationError("identity provider is down")
    clock.now += 3600 - 299
    failures = 0
    for _ in range(60):  # 59 fake seconds of outage, one call a second
        try:
            assert cache.get(KEY).token.token == "t1"
        except ClientAuthenticationError:
            failures += 1
        settle(cache)
        clock.now += 1
    assert failures == 0
    assert "still serving the cached token" in caplog.text
    assert "identity provider is down" in caplog.text
    # Backoff (jitter 0: 0.5, 1, 2, 4, 8, 16, 32 s apart) bounds the attempts in 59 s.
    assert 2 <= fetcher.calls <= 8


def test_a_hard_failure_raises_and_backs_off(
    fetcher: Fetcher, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    cache = cache_for(fetcher, clock)
    fetcher.error = ValueError("connection refused")
    with pytest.raises(ClientAuthenticationError, match="connection refused") as caught:
        cache.get(KEY)
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(ClientAuthenticationError):
        cache.get(KEY)  # within the backoff: no new fetch
    assert fetcher.calls == 1
    assert "token request failed: connection refused" in caplog.text
    fetcher.error = None
    clock.now += 1
    assert cache.get(KEY).token.token == "t2"


class _Response:
    def __init__(self, status: int, retry: str) -> None:
        self.status_code = status
        self.headers = {"Retry-After": retry}
        self.reason = "Too Many Requests"
        self.text = lambda: ""


def test_retry_after_on_429_is_honoured(fetcher: Fetcher, clock: Clock) -> None:
    cache = cache_for(fetcher, clock)
    error = HttpResponseError("throttled", response=_Response(429, "30"))
    fetcher.error = ClientAuthenticationError("throttled")
    fetcher.error.__cause__ = error
    assert retry_after(fetcher.error) == 30
    with pytest.raises(ClientAuthenticationError):
        cache.get(KEY)
    for _ in range(29):
        clock.now += 1
        with pytest.raises(ClientAuthenticationError):
            cache.get(KEY)
    assert fetcher.calls == 1  # nothing sent before Retry-After passed
    fetcher.error = None
    clock.now += 1.5
    assert cache.get(KEY).token.token == "t2"


def test_retry_after_is_ignored_on_other_statuses() -> None:
    assert retry_after(HttpResponseError("x", response=_Response(500, "30"))) is None
    assert retry_after(HttpResponseError("x", response=_Response(503, "soon"))) is None
    assert retry_after(ValueError()) is None


@pytest.mark.parametrize(
    ("result", "fragment"),
    [
        (AccessTokenInfo("t", int(T0) - 10), "expired"),
        (AccessTokenInfo("", int(T0) + 10), "no access token"),
        (type("NoExpiry", (), {"token": "t", "expires_on": None})(), "without an expiry"),
        (object(), "no access token"),
    ],
)
def test_unusable_tokens_are_errors_and_never_cached(
    result: Any, fragment: str, fetcher: Fetcher, clock: Clock
) -> None:
    cache = cache_for(fetcher, clock)
    fetcher.result = result
    with pytest.raises(ClientAuthenticationError, match=fragment):
        cache.get(KEY)
    assert KEY not in cache._entries  # the failure is kept apart: cache._failures


def test_a_hanging_fetch_is_bounded_by_the_timeout(fetcher: Fetcher, clock: Clock) -> None:
    cache = cache_for(fetcher, clock, timeout=0.05)
    fetcher.gate = threading.Event()
    with pytest.raises(ClientAuthenticationError, match="token_timeout"):
        cache.get(KEY)


def test_short_lived_tokens_are_not_refetched_on_every_call(fetcher: Fetcher, clock: Clock) -> None:
    fetcher.lifetime = 120  # shorter than the advisory margin
    cache = cache_for(fetcher, clock)
    cache.get(KEY)
    for _ in range(29):
        clock.now += 1
        cache.get(KEY)
    assert fetcher.calls == 1


def test_failures_are_logged_never_swallowed(
    fetcher: Fetcher, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="azlogin.tokens")
    cache = cache_for(fetcher, clock)
    fetcher.error = RuntimeError("boom")
    with pytest.raises(ClientAuthenticationError):
        cache.get(KEY)
    assert [record.levelname for record in caplog.records] == ["WARNING"]


# --- the asyncio twin -------------------------------------------------------------------


class AsyncFetcher(Fetcher):
    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.release = asyncio.Event()
        self.hold = False

    async def fetch(self, key: TokenKey) -> Any:
        self.calls += 1
        if self.hold:
            await self.release.wait()
        if self.error is not None:
            raise self.error
        return AccessTokenInfo(f"t{self.calls}", int(self.clock.now) + 3600)


def async_cache(fetcher: AsyncFetcher, clock: Clock, **policy: Any) -> AsyncTokenCache:
    return AsyncTokenCache(
        fetcher.fetch, name="test", policy=RefreshPolicy(**policy), clock=clock, jitter=lambda: 0.0
    )


def test_64_tasks_on_a_cold_cache_make_one_fetch(clock: Clock) -> None:
    async def main() -> list[str]:
        fetcher = AsyncFetcher(clock)
        fetcher.hold = True
        cache = async_cache(fetcher, clock)
        tasks = [asyncio.ensure_future(cache.get(KEY)) for _ in range(64)]
        await asyncio.sleep(0)
        fetcher.release.set()
        tokens = [entry.token.token for entry in await asyncio.gather(*tasks)]
        assert fetcher.calls == 1
        return tokens

    assert asyncio.run(main()) == ["t1"] * 64


def test_cancelling_one_waiter_does_not_cancel_the_fetch(clock: Clock) -> None:
    async def main() -> None:
        fetcher = AsyncFetcher(clock)
        fetcher.hold = True
        cache = async_cache(fetcher, clock)
        doomed = asyncio.ensure_future(cache.get(KEY))
        survivor = asyncio.ensure_future(cache.get(KEY))
        await asyncio.sleep(0)
        doomed.cancel()
        await asyncio.sleep(0)
        fetcher.release.set()
        assert (await survivor).token.token == "t1"
        assert doomed.cancelled()
        assert fetcher.calls == 1

    asyncio.run(main())


def test_async_stale_token_is_served_while_refreshing_and_failures_back_off(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        fetcher = AsyncFetcher(clock)
        cache = async_cache(fetcher, clock)
        await cache.get(KEY)
        clock.now += 3600 - 299
        fetcher.error = ClientAuthenticationError("down")
        for _ in range(10):
            assert ((await cache.get(KEY)).token).token == "t1"
            await asyncio.sleep(0)
        await cache.close()
        assert fetcher.calls == 2
        clock.now += 300  # expired now, and the identity provider is still down
        with pytest.raises(ClientAuthenticationError, match="down"):
            await cache.get(KEY)

    asyncio.run(main())
    assert "still serving the cached token" in caplog.text


def test_async_hanging_fetch_is_bounded_by_the_timeout(clock: Clock) -> None:
    async def main() -> None:
        fetcher = AsyncFetcher(clock)
        fetcher.hold = True
        cache = async_cache(fetcher, clock, timeout=0.05)
        with pytest.raises(ClientAuthenticationError, match="token_timeout"):
            await cache.get(KEY)
        fetcher.release.set()
        await cache.close()

    asyncio.run(main())


def test_close_waits_for_a_hung_fetch_at_most_the_token_timeout(clock: Clock) -> None:
    async def main() -> None:
        fetcher = AsyncFetcher(clock)
        fetcher.hold = True  # never released: the identity provider hangs
        cache = async_cache(fetcher, clock, timeout=0.05)
        with pytest.raises(ClientAuthenticationError, match="token_timeout"):
            await cache.get(KEY)
        await asyncio.wait_for(cache.close(), 10)  # bounded: returns, the fetch cancelled
        assert fetcher.calls == 1

    asyncio.run(main())


def test_a_cancelled_task_never_leaves_the_cross_process_lock_taken(tmp_path: Path) -> None:
    """The task waits for the store's file lock in a worker thread; cancelled meanwhile, the
    thread releases the lock as soon as it gets it, so other processes are not locked out."""
    from azlogin.persistence import MemoryStore
    from azlogin.persistence._tokens import AsyncPersistentFetch

    waiting = threading.Event()

    class Watched(AsyncPersistentFetch):
        def acquire(self, item: str) -> Any:
            waiting.set()
            return super().acquire(item)

    async def never(key: TokenKey) -> Any:
        raise AssertionError("the cancelled task must not fetch")

    fetch = Watched(never, MemoryStore(), "id", tmp_path / "locks", RefreshPolicy(), time.time)
    item = fetch.item(KEY)
    holder = fetch.lock(item)
    holder.__enter__()  # another process holds the lock

    async def main() -> None:
        task = asyncio.ensure_future(fetch(KEY))
        assert await asyncio.to_thread(waiting.wait, 10)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        holder.__exit__(None, None, None)  # the other process is done: the thread gets it

    asyncio.run(main())
    taken = threading.Event()

    def take_and_release() -> None:
        lock = fetch.lock(item)
        lock.__enter__()
        taken.set()
        lock.__exit__(None, None, None)

    threading.Thread(target=take_and_release, daemon=True).start()
    assert taken.wait(10), "the lock was left taken by the cancelled task's thread"


def test_a_60_second_token_is_fetched_four_times_in_three_minutes(clock: Clock) -> None:
    """Short-lived tokens are refreshed in the last fifth of their life (a 60-second token
    after 48 s), not at once: a 3-minute job with a call a second makes 4 requests."""
    fetcher = Fetcher(clock, lifetime=60)
    cache = cache_for(fetcher, clock)
    served = set()
    for _ in range(180):
        served.add(cache.get(KEY).token.token)
        settle(cache)
        clock.now += 1
    assert fetcher.calls == 4
    assert len(served) == 4


def test_the_refresh_point_travels_with_the_token(clock: Clock) -> None:
    """The stale point is the token's refresh_on, so a process that reads the token from a
    shared store refreshes it at the same moment as the one that fetched it."""
    fetcher = Fetcher(clock, lifetime=60)
    info = cache_for(fetcher, clock).get(KEY).token
    assert info.refresh_on == int(T0) + 48
    hour = cache_for(Fetcher(clock), clock).get(KEY).token
    assert hour.refresh_on == int(T0) + 3600 - 300  # the advisory margin for an hour's token
