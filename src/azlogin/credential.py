"""The credentials get_credential and get_async_credential return."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

from .async_token_cache import AsyncTokenCache
from .recipe import Recipe, rebuild
from .refresh import TokenKey
from .token_cache import TokenCache
from .trust import TrustedSuffixes

__all__ = ["STORAGE_SCOPE", "AsyncCredential", "Credential", "options_of", "token_key"]

STORAGE_SCOPE = "https://storage.azure.com/.default"
"""The scope of Azure Storage's data plane; used when ``get_token()`` is given no scope."""

_DEFAULT_SCOPES = (STORAGE_SCOPE,)


def token_key(scopes: tuple[str, ...], options: TokenRequestOptions | None) -> TokenKey:
    """The cache key of a request: (scopes, claims, tenant_id, enable_cae)."""
    if not options:
        return (scopes or _DEFAULT_SCOPES, None, None, False)
    return (
        scopes or _DEFAULT_SCOPES,
        options.get("claims"),
        options.get("tenant_id"),
        bool(options.get("enable_cae", False)),
    )


def options_of(key: TokenKey) -> TokenRequestOptions:
    """The azure-core request options a key stands for."""
    options: TokenRequestOptions = {}
    _, claims, tenant_id, enable_cae = key
    if claims:
        options["claims"] = claims
    if tenant_id:
        options["tenant_id"] = tenant_id
    if enable_cae:
        options["enable_cae"] = True
    return options


class _Described:
    """What both credentials share: identity for reprs, the trust list, no pickling."""

    def __init__(
        self, *, login_type: str, details: Mapping[str, str], trusted_suffixes: TrustedSuffixes
    ) -> None:
        self._login_type = login_type
        self._details = dict(details)
        self._trusted_suffixes = trusted_suffixes

    @property
    def login_type(self) -> str:
        """The AzCopy login type: DEVICE, MSI, SPN, AZCLI, PSCRED or WORKLOAD."""
        return self._login_type

    @property
    def details(self) -> Mapping[str, str]:
        """The non-secret settings the credential was built from (tenant, ids, endpoint)."""
        return dict(self._details)

    @property
    def trusted_suffixes(self) -> TrustedSuffixes:
        """The hosts this credential's tokens may be sent to (see :class:`TrustedSuffixes`)."""
        return self._trusted_suffixes

    def __repr__(self) -> str:
        shown = "".join(f", {key}={value!r}" for key, value in self._details.items())
        return f"azlogin.{type(self).__name__}(login_type={self._login_type!r}{shown})"

    recipe: Recipe | None = None
    """How to build this credential again in another process (see :mod:`azlogin.recipe`)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Never the azure-identity credential (it pickles with its secret inside): the
        # recipe, which the receiving process builds again with its own secrets.
        if self.recipe is None:
            raise TypeError(f"this azlogin.{type(self).__name__} has no recipe to pickle")
        return (rebuild, (self.recipe,))


class Credential(_Described):
    """An azure-core ``TokenCredential`` and ``SupportsTokenInfo`` for one AzCopy login type.

    Built by :func:`azlogin.get_credential`; pass it wherever an Azure SDK client takes a
    ``credential``. With no scope, ``get_token()`` asks for Azure Storage's scope. Tokens are
    cached per (scopes, claims, tenant, CAE) and refreshed once for all threads (see
    :mod:`azlogin.refresh`). Its ``repr`` shows the login type and the non-secret settings.
    """

    def __init__(
        self,
        inner: Any,
        cache: TokenCache,
        *,
        login_type: str,
        details: Mapping[str, str],
        trusted_suffixes: TrustedSuffixes,
    ) -> None:
        super().__init__(login_type=login_type, details=details, trusted_suffixes=trusted_suffixes)
        self._inner = inner
        self._cache = cache
        # The cache's fast path, inlined below: one call frame less on every request.
        entries, self._clock = cache.fast_path()
        self._lookup = entries.get

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        key = (scopes or _DEFAULT_SCOPES, claims, tenant_id, enable_cae)
        entry = self._lookup(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.access_token  # type: ignore[return-value]
        return self._cache.get_token(key)

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        key = (
            token_key(scopes, options)
            if options
            else (scopes or _DEFAULT_SCOPES, None, None, False)
        )
        entry = self._lookup(key)
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token  # type: ignore[return-value]
        return self._cache.get_token_info(key)

    def close(self) -> None:
        """Close the underlying credential's transport session."""
        self._inner.close()

    def __enter__(self) -> Credential:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncCredential(_Described):
    """The asyncio twin of :class:`Credential`: ``AsyncTokenCredential`` and
    ``AsyncSupportsTokenInfo``, built by :func:`azlogin.get_async_credential`."""

    def __init__(
        self,
        inner: Any,
        cache: AsyncTokenCache,
        *,
        login_type: str,
        details: Mapping[str, str],
        trusted_suffixes: TrustedSuffixes,
    ) -> None:
        super().__init__(login_type=login_type, details=details, trusted_suffixes=trusted_suffixes)
        self._inner = inner
        self._cache = cache

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        key = (scopes or _DEFAULT_SCOPES, claims, tenant_id, enable_cae)
        return await self._cache.get_token(key)

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        return await self._cache.get_token_info(token_key(scopes, options))

    async def close(self) -> None:
        """Wait for fetches in flight, then close the underlying credential's session."""
        await self._cache.close()
        await self._inner.close()

    async def __aenter__(self) -> AsyncCredential:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()
