"""Sync or asyncio, chosen once: a flavor names the azure-identity module, the engine, the
credential class, the persistent fetch, the guard, and how a sync-only credential runs.

Nothing here imports azure-identity or azure-core: the identity module is imported when a
credential is built, the guard (an azure-core transport) when a storage client is."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple, Union

from .._engine.aio import AsyncTokenCache
from .._engine.credential import AsyncCredential, Credential
from .._engine.keys import TokenKey
from .._engine.sync import TokenCache
from .._engine.threaded import ThreadedAsyncCredential, to_thread
from ..persistence._tokens import AsyncPersistentFetch, PersistentFetch
from .deferred import AsyncDeferred, SyncDeferred

__all__ = ["ASYNC", "SYNC", "Flavor"]


def _same(value: Any) -> Any:
    return value


def _in_thread(fetch: Callable[[TokenKey], Any]) -> Callable[[TokenKey], Any]:
    return lambda key: to_thread(fetch, key)


class Flavor(NamedTuple):
    """Everything that differs between the sync and the asyncio credential."""

    # Union: NamedTuple fields are evaluated on 3.9
    name: str
    asynchronous: bool
    identity_module: str
    engine: Union[type[TokenCache], type[AsyncTokenCache]]  # noqa: UP007
    credential: Union[type[Credential], type[AsyncCredential]]  # noqa: UP007
    persistent_fetch: Union[type[PersistentFetch], type[AsyncPersistentFetch]]  # noqa: UP007
    deferred: Union[type[SyncDeferred], type[AsyncDeferred]]  # noqa: UP007
    """The shell that builds the azure-identity credential at the first fetch."""
    from_sync_fetch: Callable[[Callable[[TokenKey], Any]], Callable[[TokenKey], Any]]
    """How this flavor's engine calls a sync-only credential's fetch (a worker thread)."""
    from_sync_credential: Callable[[Any], Any]
    """How a sync-only credential is closed through this flavor's interface."""

    def identity(self) -> ModuleType:
        """``azure.identity``, or ``azure.identity.aio``: imported when a credential is built."""
        return importlib.import_module(self.identity_module)

    def guard(self, *args: Any, **kwargs: Any) -> Any:
        """This flavor's guarded transport (azure-core is imported when a client is built)."""
        from .._guard import AsyncGuardedTransport, GuardedTransport

        return (AsyncGuardedTransport if self.asynchronous else GuardedTransport)(*args, **kwargs)


SYNC = Flavor(
    "sync",
    False,
    "azure.identity",
    TokenCache,
    Credential,
    PersistentFetch,
    SyncDeferred,
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
    AsyncDeferred,
    _in_thread,
    ThreadedAsyncCredential,
)
