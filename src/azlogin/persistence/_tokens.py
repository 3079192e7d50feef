"""Access tokens in a TokenStore, and the cross-process single flight around a fetch.

A process that needs a token reads the store; on a miss it takes the item's lock, reads
again (another process may have just fetched), fetches only if still needed, saves, and
releases. So 16 processes started at once make one request.

Every item of one identity is named after the plan's fingerprint (:func:`token_item`,
:func:`device_item`), and each token item saved is listed in the identity's index item, so
``azlogin logout`` removes all of them (:func:`forget_identity`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .._config.digest import sha256_hex
from .._config.timings import RefreshPolicy
from .._engine.keys import TokenKey
from .._engine.policy import Token, as_token, bounded, refresh_due_at
from .._engine.threaded import to_thread
from .._errors import TokenStoreError
from .._logs import Logger
from ._files import private_directory
from ._locks import lock_for
from ._protocol import TokenStore

__all__ = [
    "AsyncPersistentFetch",
    "PersistentFetch",
    "device_item",
    "forget_identity",
    "index_item",
    "token_item",
]

_LOGGER = Logger("azlogin.persistence")


def token_item(identity: str, key: TokenKey) -> str:
    """The store item of one token: the identity's fingerprint and the request, digested."""
    request = json.dumps([identity, list(key.scopes), key.claims, key.tenant_id, key.enable_cae])
    return "token:" + sha256_hex(request.encode())


def index_item(identity: str) -> str:
    """The item listing the token items saved for an identity."""
    return "index:" + identity


def device_item(identity: str) -> str:
    """The item holding a DEVICE identity's MSAL cache and authentication record."""
    return "device:" + identity


def _index(store: TokenStore, identity: str) -> list[str]:
    blob = store.load(index_item(identity))
    try:
        items = json.loads(blob) if blob is not None else []
    except ValueError:
        items = []
    return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []


def forget_identity(store: TokenStore, identity: str) -> int:
    """Delete every item of an identity (tokens, index, device cache); how many there were."""
    items = [*_index(store, identity), index_item(identity), device_item(identity)]
    return sum(store.delete(item) for item in items)


def encode_token(token: Token) -> bytes:
    return json.dumps(
        {"token": token.token, "expires_on": token.expires_on, "refresh_on": token.refresh_on,
         "token_type": token.token_type, "v": 1},
    ).encode()  # fmt: skip


def usable_token(blob: bytes | None, now: float, policy: RefreshPolicy) -> Token | None:
    """A stored token that is still fresh (not due for refresh), else None."""
    if blob is None:
        return None
    try:
        data = json.loads(blob)
        token = Token(
            str(data["token"]),
            int(data["expires_on"]),
            int(data["refresh_on"]) if data.get("refresh_on") else None,
            str(data.get("token_type") or "Bearer"),
        )
    except (ValueError, KeyError, TypeError):
        _LOGGER.warning("Ignoring a malformed token in the token store.")
        return None
    token = bounded(token, now, policy)  # a stored absurd expiry is never believed either
    return token if token.token and now < refresh_due_at(token, policy) else None


_UNUSABLE: set[str] = set()
"""The stores (a Redis URL, or a lock directory) found unusable in this process: warned about
once each."""
_STORE_UNUSABLE = (
    "The token store cannot be used (%s); tokens are fetched without it, one request per "
    "process, until it works again."
)
_SHARED_LOCK_MISSED = (
    "A lock of the shared token store could not be taken (%s); fetching under this machine's "
    "lock instead."
)
"""The shared store's lock (Redis's) failed: it did not answer, or the lock stayed taken past
the wait (the error says which); either way the fetch goes ahead under the machine's lock."""


class _Handoff:
    """Who releases a lock a worker thread takes for a task that may be cancelled meanwhile:
    the task if the thread got it first, the thread if the task gave up first."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.lock: Any = None
        self.abandoned = False


class _Persistence:
    """The store and lock calls both twins make. A store or lock that cannot be used (a full
    or read-only disk, an unsafe directory) never stops a token: the fetch goes ahead without
    the cross-process lock (the engine still makes one fetch per process), with one warning
    until the store works again."""

    def __init__(
        self,
        store: TokenStore,
        identity: str,
        lock_directory: Path,
        policy: RefreshPolicy,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.identity = identity
        self.policy = policy
        self.clock = clock
        self.lock_directory = lock_directory
        self._locks_ready = False
        # Which store a warning is about: a Redis URL, or this machine's store directory.
        self._where = str(getattr(store, "url", None) or lock_directory)

    def item(self, key: TokenKey) -> str:
        return token_item(self.identity, key)

    def fresh(self, key: TokenKey, item: str) -> Token | None:
        """The stored token while it is fresh; never for a claims challenge (it was revoked)."""
        if key.claims:
            return None
        return usable_token(self.store.load(item), self.clock(), self.policy)

    def lock(self, item: str) -> Any:
        """The item's lock (not yet taken): the store's own when it offers one (Redis: across
        machines), else a file lock between this machine's processes."""
        store_lock = getattr(self.store, "lock", None)
        if store_lock is not None:
            return store_lock(item)
        return self.local_lock(item)

    def local_lock(self, item: str) -> Any:
        if not self._locks_ready:
            private_directory(self.lock_directory)
            self._locks_ready = True
        return lock_for(self.lock_directory, item)

    def acquire(self, item: str) -> Any:
        """The item's lock, taken; when the store's lock cannot be had (Redis down), this
        machine's file lock; None when no lock can be had here (warned once)."""
        try:
            lock = self.lock(item)
            lock.__enter__()
        except (OSError, TokenStoreError) as error:
            if getattr(self.store, "lock", None) is None:
                self.unusable(error)
                return None
            self.unusable(error, _SHARED_LOCK_MISSED)
            try:  # local single flight while the shared lock cannot be had
                lock = self.local_lock(item)
                lock.__enter__()
            except (OSError, TokenStoreError):
                return None
        return lock

    def unusable(self, error: BaseException, message: str = _STORE_UNUSABLE) -> None:
        """Warn with ``message`` (``%s``: the error), once until the store works again."""
        if self._where not in _UNUSABLE:
            _UNUSABLE.add(self._where)
            _LOGGER.warning(message, error)

    def save(self, item: str, fetched: Any) -> None:
        token = as_token(fetched)
        if token is None:
            return  # the engine reports what is wrong with it
        try:
            token = bounded(token, self.clock(), self.policy)
            if getattr(self.store, "expiring", False):  # Redis: the item expires with it
                self.store.save(item, encode_token(token), expires_at=token.expires_on)  # type: ignore[call-arg]
            else:
                self.store.save(item, encode_token(token))
            if item not in _index(self.store, self.identity):
                lock = self.acquire(index_item(self.identity))
                try:
                    items = _index(self.store, self.identity)
                    if item not in items:
                        payload = json.dumps([*items, item]).encode()
                        self.store.save(index_item(self.identity), payload)
                finally:
                    _release(lock)
        except (OSError, TokenStoreError) as error:
            self.unusable(error)
            return
        _UNUSABLE.discard(self._where)  # the store works (again)


def _release(lock: Any) -> None:
    if lock is not None:
        lock.__exit__(None, None, None)


class PersistentFetch(_Persistence):
    """``fetch`` behind a shared store and the item's lock."""

    def __init__(self, fetch: Callable[[TokenKey], Any], *args: Any) -> None:
        super().__init__(*args)
        self._fetch = fetch

    def __call__(self, key: TokenKey) -> Any:
        item = self.item(key.cache_key)
        token = self.fresh(key, item)
        if token is not None:
            return token
        lock = self.acquire(item)
        try:
            token = self.fresh(key, item)  # another process may have fetched meanwhile
            if token is not None:
                return token
            fetched = self._fetch(key)
            self.save(item, fetched)
            return fetched
        finally:
            _release(lock)


class AsyncPersistentFetch(_Persistence):
    """The asyncio twin: store and lock calls run in worker threads; a task cancelled while
    its thread waits for the lock never leaves the lock taken."""

    def __init__(self, fetch: Callable[[TokenKey], Awaitable[Any]], *args: Any) -> None:
        super().__init__(*args)
        self._fetch = fetch

    async def __call__(self, key: TokenKey) -> Any:
        item = self.item(key.cache_key)
        token = await to_thread(self.fresh, key, item)
        if token is not None:
            return token
        lock = await self._acquire_cancellably(item)
        try:
            token = await to_thread(self.fresh, key, item)
            if token is not None:
                return token
            fetched = await self._fetch(key)
            await to_thread(self.save, item, fetched)
            return fetched
        finally:
            _release(lock)

    async def _acquire_cancellably(self, item: str) -> Any:
        import asyncio  # here, not at the top: a sync process never imports asyncio

        handoff = _Handoff()

        def take() -> Any:
            lock = self.acquire(item)
            with handoff.guard:
                if handoff.abandoned:  # the task is gone: nobody else would release it
                    _release(lock)
                    return None
                handoff.lock = lock
            return lock

        future = asyncio.ensure_future(to_thread(take))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            with handoff.guard:
                handoff.abandoned = True
                taken, handoff.lock = handoff.lock, None
            _release(taken)  # the thread got the lock before the task gave up: release it
            raise
