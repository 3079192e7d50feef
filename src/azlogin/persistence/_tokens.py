"""Access tokens in a TokenStore, and the cross-process single flight around a fetch.

A process that needs a token reads the store; on a miss it takes the item's lock, reads
again (another process may have just fetched), fetches only if still needed, saves, and
releases. So 16 processes started at once make one request.

Every item of one identity is named after the plan's fingerprint (:func:`token_item`,
:func:`device_item`), and each token item saved is listed in the identity's index item, so
``azlogin logout`` removes all of them (:func:`forget_identity`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessTokenInfo

from .._config.timings import RefreshPolicy
from .._engine.keys import TokenKey
from .._engine.policy import bounded, refresh_due_at
from .._errors import TokenStoreError
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

_LOGGER = logging.getLogger("azlogin.persistence")


def token_item(identity: str, key: TokenKey) -> str:
    """The store item of one token: the identity's fingerprint and the request, digested."""
    request = json.dumps([identity, list(key.scopes), key.claims, key.tenant_id, key.enable_cae])
    return "token:" + hashlib.sha256(request.encode()).hexdigest()


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


def encode_token(token: AccessTokenInfo) -> bytes:
    return json.dumps(
        {"token": token.token, "expires_on": token.expires_on, "refresh_on": token.refresh_on,
         "token_type": token.token_type, "v": 1},
    ).encode()  # fmt: skip


def usable_token(blob: bytes | None, now: float, policy: RefreshPolicy) -> AccessTokenInfo | None:
    """A stored token that is still fresh (not due for refresh), else None."""
    if blob is None:
        return None
    try:
        data = json.loads(blob)
        token = AccessTokenInfo(
            str(data["token"]),
            int(data["expires_on"]),
            refresh_on=int(data["refresh_on"]) if data.get("refresh_on") else None,
            token_type=str(data.get("token_type") or "Bearer"),
        )
    except (ValueError, KeyError, TypeError):
        _LOGGER.warning("Ignoring a malformed token in the token store.")
        return None
    token = bounded(token, now, policy)  # a stored absurd expiry is never believed either
    return token if token.token and now < refresh_due_at(token, policy) else None


class _Persistence:
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

    def item(self, key: TokenKey) -> str:
        return token_item(self.identity, key)

    def cached(self, item: str) -> AccessTokenInfo | None:
        return usable_token(self.store.load(item), self.clock(), self.policy)

    def lock(self, item: str) -> Any:
        if not self._locks_ready:
            private_directory(self.lock_directory)
            self._locks_ready = True
        return lock_for(self.lock_directory, item)

    def save(self, item: str, token: Any) -> None:
        if not isinstance(token, AccessTokenInfo):
            return  # the engine reports what is wrong with it
        try:
            self.store.save(item, encode_token(bounded(token, self.clock(), self.policy)))
            if item not in _index(self.store, self.identity):
                with self.lock(index_item(self.identity)):
                    items = _index(self.store, self.identity)
                    if item not in items:
                        payload = json.dumps([*items, item]).encode()
                        self.store.save(index_item(self.identity), payload)
        except TokenStoreError as error:
            _LOGGER.warning("A token could not be saved in the token store: %s", error)


class PersistentFetch(_Persistence):
    """``fetch`` behind a shared store and the item's lock."""

    def __init__(self, fetch: Callable[[TokenKey], Any], *args: Any) -> None:
        super().__init__(*args)
        self._fetch = fetch

    def __call__(self, key: TokenKey) -> Any:
        item = self.item(key.cache_key)
        token = None if key.claims else self.cached(item)  # claims: the stored one is revoked
        if token is not None:
            return token
        with self.lock(item):
            token = None if key.claims else self.cached(item)
            if token is not None:
                return token
            fetched = self._fetch(key)
            self.save(item, fetched)
            return fetched


class AsyncPersistentFetch(_Persistence):
    """The asyncio twin: store and lock calls run in worker threads."""

    def __init__(self, fetch: Callable[[TokenKey], Awaitable[Any]], *args: Any) -> None:
        super().__init__(*args)
        self._fetch = fetch

    async def __call__(self, key: TokenKey) -> Any:
        item = self.item(key.cache_key)
        token = None if key.claims else await asyncio.to_thread(self.cached, item)
        if token is not None:
            return token
        lock = self.lock(item)
        await asyncio.to_thread(lock.__enter__)
        try:
            token = None if key.claims else await asyncio.to_thread(self.cached, item)
            if token is not None:
                return token
            fetched = await self._fetch(key)
            await asyncio.to_thread(self.save, item, fetched)
            return fetched
        finally:
            lock.__exit__(None, None, None)
