"""An asyncio credential that runs a sync credential in a worker thread.

For the login types azure-identity has no asyncio credential for (device code), so that
awaiting a token never blocks the event loop.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

__all__ = ["ThreadedAsyncCredential"]


class ThreadedAsyncCredential:
    """``AsyncTokenCredential`` and ``AsyncSupportsTokenInfo`` around a sync credential."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        token: AccessToken = await asyncio.to_thread(self.inner.get_token, *scopes, **kwargs)
        return token

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        info: AccessTokenInfo = await asyncio.to_thread(
            self.inner.get_token_info, *scopes, options=options
        )
        return info

    async def close(self) -> None:
        await asyncio.to_thread(self.inner.close)

    async def __aenter__(self) -> ThreadedAsyncCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()
