"""The azure-identity credential of a plan, built when the first token must come from the
identity provider rather than when get_credential returns.

azure-identity and MSAL take half a second to import. A process whose token is already in
the token store never needs them: the engine reads the store first, and only a miss calls
:meth:`Deferred.fetch`, which builds the credential then. The builder still runs when the
credential is made, against :data:`DRY_RUN` (a stand-in for azure-identity whose classes
build nothing), so every ConfigurationError surfaces at get_credential as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .._engine.keys import TokenKey

__all__ = ["DRY_RUN", "AsyncDeferred", "Deferred", "SyncDeferred"]

Make = Callable[[], "tuple[Any, Any]"]
"""Builds ``(azure-identity credential, DEVICE login state or None)``."""


class _DryRun(ModuleType):
    """Stands in for azure-identity while a builder checks its settings: any credential
    class it names accepts any arguments and builds nothing."""

    def __getattr__(self, name: str) -> Any:
        return _build_nothing


def _build_nothing(*args: Any, **kwargs: Any) -> None:
    return None


DRY_RUN: ModuleType = _DryRun("azure.identity (dry run)")


class Deferred:
    """The credential ``make`` builds, built once, at the first fetch (any thread)."""

    def __init__(self, make: Make) -> None:
        self._make = make
        self._built: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _get(self) -> tuple[Any, Any]:
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._make()
                built = self._built
        return built

    @property
    def built(self) -> Any:
        """The azure-identity credential, or None while none was needed."""
        return self._built[0] if self._built is not None else None

    def fetch(self, key: TokenKey) -> Any:
        """The engine's fetch: an AccessTokenInfo (an awaitable of one from an asyncio
        credential) from the identity provider, through the DEVICE login's state if kept."""
        credential, device = self._get()
        if device is not None:
            return device.fetch(credential, key)
        return credential.get_token_info(*key.scopes, options=key.options())


class SyncDeferred(Deferred):
    """What :class:`~azlogin.Credential` calls on its azure-identity credential: ``close``
    and ``__enter__``, each passed on only if the credential was built."""

    def close(self) -> None:
        credential = self.built
        if credential is not None:
            credential.close()

    def __enter__(self) -> SyncDeferred:
        credential = self.built
        if credential is not None:
            credential.__enter__()
        return self


class AsyncDeferred(Deferred):
    """The asyncio twin of :class:`SyncDeferred`."""

    async def close(self) -> None:
        credential = self.built
        if credential is not None:
            await credential.close()

    async def __aenter__(self) -> AsyncDeferred:
        credential = self.built
        if credential is not None:
            await credential.__aenter__()
        return self
