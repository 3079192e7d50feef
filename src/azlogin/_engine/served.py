"""The azure-core token objects a credential hands out. Imported when a token is first served,
so that a process reads its stored token without importing azure-core before then."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

__all__ = ["ServedAccessToken", "ServedTokenInfo"]


class ServedTokenInfo(AccessTokenInfo):
    """The ``AccessTokenInfo`` azlogin hands out: it pickles as an expired, empty token, so
    an SDK client that cached it in its auth policy pickles without the bearer token (the
    copy asks its credential, which pickles as a recipe, for a new one)."""

    def __reduce__(self) -> Any:
        return (AccessTokenInfo, ("", 0))


class ServedAccessToken(AccessToken):
    """The ``AccessToken`` twin of :class:`ServedTokenInfo`."""

    __slots__ = ()

    def __reduce__(self) -> Any:
        return (AccessToken, ("", 0))
