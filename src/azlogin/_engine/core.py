"""What the sync and asyncio engines share: the entries and failures, the fast path, the
slow path's decision and the bookkeeping after a fetch. The twins add only how a fetch runs
(a thread, a task) and how a caller waits for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from .keys import TokenKey
from .policy import (
    Action,
    Entry,
    Failure,
    RefreshPolicy,
    as_auth_error,
    auth_error,
    checked_token,
    log_failure,
    next_action,
    on_failure,
    on_success,
)

__all__ = ["EngineCore"]


def _random() -> float:
    """:func:`random.random`, imported at the first failed refresh: the only time it is needed."""
    import random

    return random.random()  # noqa: S311 - jitter, not a secret


class EngineCore:
    """Entries (read lock-free by the fast path), failure records, the policy, the injectable
    clock and jitter (a number in [0, 1))."""

    def __init__(
        self,
        *,
        name: str,
        policy: RefreshPolicy | None = None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        self._name = name
        self._policy = policy or RefreshPolicy()
        self._clock = clock
        self._jitter = jitter or _random
        self._entries: dict[Hashable, Entry] = {}
        self._failures: dict[TokenKey, Failure] = {}
        self._lock = threading.Lock()

    def cached(self, key: Hashable) -> Entry | None:
        """The fast path: the entry while it is fresh, else None. No lock, no allocation.

        ``key`` is a TokenKey, or a plain tuple of its fields (equal, with the same hash), so
        that a credential's cached call builds no TokenKey."""
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry
        return None

    def _dispatch(self, key: TokenKey, flight_started: float | None) -> tuple[Entry | None, bool]:
        """The slow path's dispatch, for both twins (under the sync twin's lock): the entry to
        serve now (None: wait for a fetch), and whether to start a fetch. Raises the last
        error while backing off."""
        entry = self._entries.get(key)
        failure = self._failures.get(key)
        action = next_action(entry, failure, self._clock(), flight_started, self._policy.timeout)
        if action is Action.RAISE and failure is not None:
            raise as_auth_error(failure.last_error, self._name)
        if entry is not None and action in (Action.SERVE, Action.SERVE_AND_REFRESH):
            return entry, action is Action.SERVE_AND_REFRESH
        return None, action is Action.START_AND_WAIT or flight_started is None

    def _succeeded(self, key: TokenKey, fetched: Any) -> Entry:
        """Record a fetched token (ClientAuthenticationError if it cannot be used)."""
        now = self._clock()
        entry = on_success(checked_token(fetched, now, self._name), now, self._policy)
        self._entries[key.cache_key] = entry  # a claims challenge's token replaces the revoked
        self._failures.pop(key, None)
        return entry

    def _failed(self, key: TokenKey, error: BaseException) -> None:
        """Record a failed fetch: when to try again; logged, never silently."""
        now = self._clock()
        with self._lock:
            failure = on_failure(self._failures.get(key), error, now, self._policy, self._jitter)
            self._failures[key] = failure
        log_failure(self._name, self._entries.get(key), failure, error, now)

    def _timed_out(self) -> Exception:
        return auth_error(
            f"{self._name}: the token request did not finish within "
            f"{self._policy.timeout:g} s (the token_timeout keyword sets this limit)."
        )

    def _result(self, key: TokenKey) -> Entry:
        """The entry a finished fetch left, for its waiting callers."""
        entry = self._entries.get(key.cache_key)
        if entry is None:  # the fetch failed; its error was raised to the waiters already
            raise auth_error(f"{self._name}: the token request failed.")
        return entry
