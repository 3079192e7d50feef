"""Sync or asyncio, chosen once: a flavor names the azure-identity module, the engine, the
credential class, the persistent fetch, the guard, and how a sync-only credential runs."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .._engine.aio import AsyncTokenCache
from .._engine.credential import AsyncCredential, Credential
from .._engine.keys import TokenKey
from .._engine.sync import TokenCache
from .._engine.threaded import ThreadedAsyncCredential
from .._guard import AsyncGuardedTransport, GuardedTransport
from ..persistence._tokens import AsyncPersistentFetch, PersistentFetch

__all__ = ["ASYNC", "SYNC", "Flavor"]


def _same(value: Any) -> Any:
    return value


def _in_thread(fetch: Callable[[TokenKey], Any]) -> Callable[[TokenKey], Any]:
    return lambda key: asyncio.to_thread(fetch, key)


@dataclass(frozen=True)
class Flavor:
    """Everything that differs between the sync and the asyncio credential."""

    name: str
    asynchronous: bool
    identity_module: str
    engine: type[TokenCache] | type[AsyncTokenCache]
    credential: type[Credential] | type[AsyncCredential]
    persistent_fetch: type[PersistentFetch] | type[AsyncPersistentFetch]
    guard: type[GuardedTransport] | type[AsyncGuardedTransport]
    from_sync_fetch: Callable[[Callable[[TokenKey], Any]], Callable[[TokenKey], Any]]
    """How this flavor's engine calls a sync-only credential's fetch (a worker thread)."""
    from_sync_credential: Callable[[Any], Any]
    """How a sync-only credential is closed through this flavor's interface."""

    def identity(self) -> ModuleType:
        """``azure.identity``, or ``azure.identity.aio``: imported when a credential is built."""
        return importlib.import_module(self.identity_module)


SYNC = Flavor(
    "sync",
    False,
    "azure.identity",
    TokenCache,
    Credential,
    PersistentFetch,
    GuardedTransport,
    _same,
    _same,
)
ASYNC = Flavor(
    "asyncio",
    True,
    "azure.identity.aio",
    AsyncTokenCache,
    AsyncCredential,
    AsyncPersistentFetch,
    AsyncGuardedTransport,
    _in_thread,
    ThreadedAsyncCredential,
)
