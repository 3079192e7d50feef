"""A sync credential seen through an asyncio interface, its blocking calls in a worker thread.

For the login types azure-identity has no asyncio credential for (device code): the engine
fetches their tokens through :func:`to_thread` (see ``Flavor.from_sync_fetch``), and the
asyncio credential closes them through :class:`ThreadedAsyncCredential`, so that awaiting a
token or a close never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["ThreadedAsyncCredential", "to_thread"]

T = TypeVar("T")


def to_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, T]:
    """``asyncio.to_thread``, with asyncio imported at the first call: a process that never
    runs an asyncio credential never imports asyncio (a tenth of a second)."""
    import asyncio

    return asyncio.to_thread(function, *args, **kwargs)


class ThreadedAsyncCredential:
    """The asyncio lifetime (``close``, ``async with``) of a sync credential."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def close(self) -> None:
        await to_thread(self.inner.close)

    async def __aenter__(self) -> ThreadedAsyncCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()
