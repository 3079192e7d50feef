"""Access tokens in a TokenStore, and the cross-process single flight around a fetch.

A process that needs a token reads the store; on a miss it takes the item's file lock,
reads again (another process may have just fetched), fetches only if still needed, saves,
and releases. So 16 processes started at once make one request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessTokenInfo

from ..errors import TokenStoreError
from ..refresh import RefreshPolicy, TokenKey, refresh_due_at
from ._files import private_directory
from ._protocol import TokenStore
from .locks import lock_for

__all__ = ["AsyncPersistentFetch", "PersistentFetch", "fingerprint", "token_item_key"]

_LOGGER = logging.getLogger("azlogin.persistence")


def fingerprint(material: Mapping[str, Any]) -> str:
    """A stable digest of non-secret JSON-able material: the name of a store item."""
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def token_item_key(identity: Mapping[str, str], key: TokenKey) -> str:
    """The store key of one token: a fingerprint of the non-secret identity and the request."""
    scopes, claims, tenant_id, enable_cae = key
    return "token:" + fingerprint(
        {"identity": dict(identity), "scopes": list(scopes), "claims": claims,
         "tenant_id": tenant_id, "cae": enable_cae}
    )  # fmt: skip


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
    return token if token.token and now < refresh_due_at(token, policy) else None


class _Persistence:
    def __init__(
        self,
        store: TokenStore,
        identity: Mapping[str, str],
        lock_directory: Path,
        policy: RefreshPolicy,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.identity = dict(identity)
        self.policy = policy
        self.clock = clock
        self.lock_directory = lock_directory
        self._locks_ready = False

    def item(self, key: TokenKey) -> str:
        return token_item_key(self.identity, key)

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
            self.store.save(item, encode_token(token))
        except TokenStoreError as error:
            _LOGGER.warning("A token could not be saved in the token store: %s", error)


class PersistentFetch(_Persistence):
    """``fetch`` behind a shared store and the item's lock."""

    def __init__(self, fetch: Callable[[TokenKey], Any], *args: Any) -> None:
        super().__init__(*args)
        self._fetch = fetch

    def __call__(self, key: TokenKey) -> Any:
        item = self.item(key)
        token = self.cached(item)
        if token is not None:
            return token
        with self.lock(item):
            token = self.cached(item)
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
        item = self.item(key)
        token = await asyncio.to_thread(self.cached, item)
        if token is not None:
            return token
        lock = self.lock(item)
        await asyncio.to_thread(lock.__enter__)
        try:
            token = await asyncio.to_thread(self.cached, item)
            if token is not None:
                return token
            fetched = await self._fetch(key)
            await asyncio.to_thread(self.save, item, fetched)
            return fetched
        finally:
            lock.__exit__(None, None, None)
