"""The sync token engine: a lock-free fast path, one fetch in flight per key, no outage while a
cached token is usable. The decisions are :mod:`azlogin.refresh`'s."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

from .refresh import (
    Action,
    Entry,
    RefreshPolicy,
    TokenKey,
    as_auth_error,
    checked_token,
    log_failure,
    next_action,
    on_failure,
    on_success,
)

__all__ = ["CacheBase", "TokenCache"]

Fetch = Callable[[TokenKey], Any]


class _Flight:
    """One fetch running in its own thread; callers that need its result wait on ``done``."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.done = threading.Event()
        self.error: BaseException | None = None


class CacheBase:
    """What both engines hold: the entries (read lock-free by the fast paths), the policy, the
    injectable clock and jitter (a number in [0, 1))."""

    def __init__(
        self,
        *,
        name: str,
        policy: RefreshPolicy | None = None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._name = name
        self._policy = policy or RefreshPolicy()
        self._clock = clock
        self._jitter = jitter
        self._entries: dict[TokenKey, Entry] = {}

    def fast_path(self) -> tuple[dict[TokenKey, Entry], Callable[[], float]]:
        """The entries and clock, for a caller that inlines the fast path (see Credential)."""
        return self._entries, self._clock


class TokenCache(CacheBase):
    """Caches the tokens ``fetch(key)`` returns and refreshes each once for all callers.

    ``fetch`` is called in a background thread, one per key at a time.
    """

    def __init__(self, fetch: Fetch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch
        self._flights: dict[TokenKey, _Flight] = {}
        self._lock = threading.Lock()

    # The fast paths: no lock, no allocation. An entry without a token has refresh_at -inf.

    def get_token_info(self, key: TokenKey) -> AccessTokenInfo:
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token  # type: ignore[return-value]
        return self._slow_path(key).token  # type: ignore[return-value]

    def get_token(self, key: TokenKey) -> AccessToken:
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.access_token  # type: ignore[return-value]
        return self._slow_path(key).access_token  # type: ignore[return-value]

    def _slow_path(self, key: TokenKey) -> Entry:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            flight = self._flights.get(key)
            started = flight.started if flight is not None else None
            action = next_action(entry, now, started, self._policy.timeout)
            if action is Action.SERVE:
                return entry  # type: ignore[return-value]
            if action is Action.SERVE_AND_REFRESH:
                self._start(key, now)
                return entry  # type: ignore[return-value]
            if action is Action.RAISE:
                raise as_auth_error(entry.last_error, self._name)  # type: ignore[union-attr,arg-type]
            if action is Action.START_AND_WAIT or flight is None:
                flight = self._start(key, now)
        return self._wait(key, flight)

    def _start(self, key: TokenKey, now: float) -> _Flight:
        flight = _Flight(now)
        self._flights[key] = flight
        thread = threading.Thread(
            target=self._run, args=(key, flight), name=f"azlogin-token-{self._name}", daemon=True
        )
        thread.start()
        return flight

    def _run(self, key: TokenKey, flight: _Flight) -> None:
        try:
            fetched = self._fetch(key)
            now = self._clock()
            entry = on_success(checked_token(fetched, now, self._name), now, self._policy)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting callers
            flight.error = error
            self._failed(key, error)
        else:
            self._entries[key] = entry
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()

    def _failed(self, key: TokenKey, error: BaseException) -> None:
        now = self._clock()
        with self._lock:
            entry = on_failure(self._entries.get(key), error, now, self._policy, self._jitter)
            self._entries[key] = entry
        log_failure(self._name, entry, error, now)

    def _wait(self, key: TokenKey, flight: _Flight) -> Entry:
        if not flight.done.wait(self._policy.timeout):
            raise ClientAuthenticationError(
                f"{self._name}: the token request did not finish within "
                f"{self._policy.timeout:g} s (the token_timeout keyword sets this limit)."
            )
        if flight.error is not None:
            raise as_auth_error(flight.error, self._name)
        entry = self._entries[key]
        assert entry.token is not None
        return entry
