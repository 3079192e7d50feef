"""The sync token engine: a lock-free fast path, one fetch in flight per key (in its own
thread), no outage while a cached token is usable. The decisions are :mod:`.policy`'s."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .core import EngineCore
from .keys import TokenKey
from .policy import Entry, as_auth_error

__all__ = ["TokenCache"]

Fetch = Callable[[TokenKey], Any]


class _Flight:
    """One fetch running in its own thread; callers that need its result wait on ``done``."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.done = threading.Event()
        self.error: BaseException | None = None


class TokenCache(EngineCore):
    """Caches the tokens ``fetch(key)`` returns and refreshes each once for all callers.

    ``fetch`` is called in a background thread, one per key at a time.
    """

    def __init__(self, fetch: Fetch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch
        self._flights: dict[TokenKey, _Flight] = {}

    def get(self, key: TokenKey) -> Entry:
        """The entry for ``key``: cached, or fetched (ClientAuthenticationError on failure)."""
        entry = self.cached(key)
        return entry if entry is not None else self._slow_path(key)

    def _slow_path(self, key: TokenKey) -> Entry:
        with self._lock:
            flight = self._flights.get(key)
            entry, start = self._dispatch(key, flight.started if flight is not None else None)
            if start:
                flight = self._start(key)
            if entry is not None:
                return entry
        assert flight is not None  # no flight in the air means _dispatch said start one
        return self._wait(key, flight)

    def _start(self, key: TokenKey) -> _Flight:
        flight = _Flight(self._clock())
        self._flights[key] = flight
        thread = threading.Thread(
            target=self._run, args=(key, flight), name=f"azlogin-token-{self._name}", daemon=True
        )
        thread.start()
        return flight

    def _run(self, key: TokenKey, flight: _Flight) -> None:
        try:
            self._succeeded(key, self._fetch(key))
        except BaseException as error:  # noqa: BLE001 - handed to the waiting callers
            flight.error = error
            self._failed(key, error)
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()

    def _wait(self, key: TokenKey, flight: _Flight) -> Entry:
        if not flight.done.wait(self._policy.timeout):
            raise self._timed_out()
        if flight.error is not None:
            raise as_auth_error(flight.error, self._name)
        return self._result(key)
