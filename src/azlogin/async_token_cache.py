"""The asyncio twin of :mod:`azlogin.token_cache`: the same decisions (:mod:`azlogin.refresh`),
one task in flight per key, shielded so that a cancelled caller never cancels the fetch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

from .refresh import (
    Action,
    Entry,
    TokenKey,
    as_auth_error,
    checked_token,
    log_failure,
    next_action,
    on_failure,
    on_success,
)
from .token_cache import CacheBase

__all__ = ["AsyncTokenCache"]

AsyncFetch = Callable[[TokenKey], Awaitable[Any]]


class AsyncTokenCache(CacheBase):
    """Caches the tokens ``await fetch(key)`` returns; one fetch per key at a time.

    Use it from one event loop, as azure-identity's async credentials require.
    """

    def __init__(self, fetch: AsyncFetch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch
        self._flights: dict[TokenKey, tuple[asyncio.Task[None], float]] = {}

    async def get_token_info(self, key: TokenKey) -> AccessTokenInfo:
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token  # type: ignore[return-value]
        return (await self._slow_path(key)).token  # type: ignore[return-value]

    async def get_token(self, key: TokenKey) -> AccessToken:
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.access_token  # type: ignore[return-value]
        return (await self._slow_path(key)).access_token  # type: ignore[return-value]

    async def close(self) -> None:
        """Wait for fetches in flight (they own the credential's session) to finish."""
        tasks = [task for task, _ in self._flights.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _slow_path(self, key: TokenKey) -> Entry:
        now = self._clock()
        entry = self._entries.get(key)
        flight = self._flights.get(key)
        timeout = self._policy.timeout
        action = next_action(entry, now, flight[1] if flight is not None else None, timeout)
        if action is Action.SERVE:
            return entry  # type: ignore[return-value]
        if action is Action.SERVE_AND_REFRESH:
            self._start(key, now)
            return entry  # type: ignore[return-value]
        if action is Action.RAISE:
            raise as_auth_error(entry.last_error, self._name)  # type: ignore[union-attr,arg-type]
        if action is Action.START_AND_WAIT or flight is None:
            flight = self._start(key, now)
        task = flight[0]
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except asyncio.TimeoutError:
            raise ClientAuthenticationError(
                f"{self._name}: the token request did not finish within {timeout:g} s "
                "(the token_timeout keyword sets this limit)."
            ) from None
        except Exception as error:  # noqa: BLE001 - the fetch's failure, as azure-core's error
            raise as_auth_error(error, self._name)  # noqa: B904 - the cause is kept inside
        return self._entries[key]

    def _start(self, key: TokenKey, now: float) -> tuple[asyncio.Task[None], float]:
        task = asyncio.ensure_future(self._run(key))
        flight = (task, now)
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
            fetched = await self._fetch(key)
            now = self._clock()
            self._entries[key] = on_success(
                checked_token(fetched, now, self._name), now, self._policy
            )
        except Exception as error:
            now = self._clock()
            entry = on_failure(self._entries.get(key), error, now, self._policy, self._jitter)
            self._entries[key] = entry
            log_failure(self._name, entry, error, now)
            raise
