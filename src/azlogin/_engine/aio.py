"""The asyncio twin of :mod:`.sync`: the same decisions and bookkeeping (:mod:`.core`), one
task in flight per key, shielded so that a cancelled caller never cancels the fetch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .core import EngineCore
from .keys import TokenKey
from .policy import Entry, as_auth_error

if TYPE_CHECKING:
    import asyncio

__all__ = ["AsyncTokenCache"]

AsyncFetch = Callable[[TokenKey], Awaitable[Any]]


class AsyncTokenCache(EngineCore):
    """Caches the tokens ``await fetch(key)`` returns; one fetch per key at a time.

    Use it from one event loop, as azure-identity's async credentials require.
    """

    def __init__(self, fetch: AsyncFetch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch
        self._flights: dict[TokenKey, tuple[asyncio.Task[None], float]] = {}

    async def get(self, key: TokenKey) -> Entry:
        """The entry for ``key``: cached, or fetched (ClientAuthenticationError on failure)."""
        entry = self.cached(key)
        return entry if entry is not None else await self._slow_path(key)

    async def close(self) -> None:
        """Wait for fetches in flight (they own the credential's session) to finish, at most
        the token timeout; a fetch still running then is cancelled."""
        import asyncio  # here, not at the top: a sync process never imports asyncio

        tasks = [task for task, _ in self._flights.values()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._policy.timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _slow_path(self, key: TokenKey) -> Entry:
        import asyncio

        flight = self._flights.get(key)
        entry, start = self._dispatch(key, flight[1] if flight is not None else None)
        if start:
            flight = self._start(key)
        if entry is not None:
            return entry
        assert flight is not None  # no flight in the air means _dispatch said start one
        try:
            await asyncio.wait_for(asyncio.shield(flight[0]), self._policy.timeout)
        except asyncio.TimeoutError:
            raise self._timed_out() from None
        except Exception as error:  # noqa: BLE001 - the fetch's failure, as azure-core's error
            raise as_auth_error(error, self._name)  # noqa: B904 - the cause is kept inside
        return self._result(key)

    def _start(self, key: TokenKey) -> tuple[asyncio.Task[None], float]:
        import asyncio

        task = asyncio.ensure_future(self._run(key))
        flight = (task, self._clock())
        self._flights[key] = flight
        task.add_done_callback(lambda done: self._finished(key, done))
        return flight

    def _finished(self, key: TokenKey, task: asyncio.Task[None]) -> None:
        flight = self._flights.get(key)
        if flight is not None and flight[0] is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an unawaited failure is never "never retrieved"

    async def _run(self, key: TokenKey) -> None:
        try:
            self._succeeded(key, await self._fetch(key))
        except Exception as error:
            self._failed(key, error)
            raise
