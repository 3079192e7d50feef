"""The credentials get_credential and get_async_credential return: thin shells over the
engine (:mod:`.sync`, :mod:`.aio`) that carry their plan."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable

from .._config.trust import TrustedSuffixes
from .aio import AsyncTokenCache
from .keys import DEFAULT_SCOPES, TokenKey
from .policy import Token
from .sync import TokenCache

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

    from .._config.plan import Plan

__all__ = ["AsyncCredential", "Credential", "raw_token"]

Reducer = tuple[Callable[..., Any], tuple[Any, ...]]


class _Planned:
    """What both credentials share: the plan they were built from, reprs, pickling."""

    def __init__(self, plan: Plan, reducer: Reducer) -> None:
        self._plan = plan
        self._reducer = reducer

    @property
    def login_type(self) -> str:
        """The AzCopy login type: DEVICE, MSI, SPN, AZCLI, PSCRED or WORKLOAD."""
        return self._plan.login_type.name

    @property
    def details(self) -> Mapping[str, str]:
        """The non-secret settings the credential was built from (tenant, ids, endpoint)."""
        return self._plan.settings.public()

    @property
    def trusted_suffixes(self) -> TrustedSuffixes:
        """The hosts this credential's tokens may be sent to (see :class:`TrustedSuffixes`)."""
        return self._plan.trusted

    @property
    def recipe(self) -> Any:
        """How to build this credential again in another process (see ``Recipe``)."""
        return self._plan.recipe

    def __repr__(self) -> str:
        shown = "".join(f", {key}={value!r}" for key, value in self.details.items())
        return f"azlogin.{type(self).__name__}(login_type={self.login_type!r}{shown})"

    def __reduce__(self) -> Reducer:
        # Never the azure-identity credential (it pickles with its secret inside): the
        # recipe, which the receiving process builds again with its own secrets.
        return self._reducer


class Credential(_Planned):
    """An azure-core ``TokenCredential`` and ``SupportsTokenInfo`` for one AzCopy login type.

    Built by :func:`azlogin.get_credential`; pass it wherever an Azure SDK client takes a
    ``credential``. With no scope, ``get_token()`` asks for Azure Storage's scope. Tokens are
    cached per (scopes, claims, tenant, CAE) and refreshed once for all threads (see
    :mod:`azlogin._engine.policy`). Its ``repr`` shows the login type and the non-secret
    settings.
    """

    def __init__(self, inner: Any, engine: TokenCache, plan: Plan, reducer: Reducer) -> None:
        super().__init__(plan, reducer)
        self._inner = inner
        self._engine = engine
        self._cached = engine.cached  # the engine's fast path, bound once

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """An access token for ``scopes``, from the cache while it is fresh.

        Threads asking for the same token at once share one request; with a shared token
        store, so do processes (and machines, with Redis).

        Args:
            *scopes: The scopes to ask for; none means Azure Storage's
                (``https://storage.azure.com/.default``).
            claims: A claims challenge from a resource (its ``WWW-Authenticate`` header):
                never answered from the cache; the new token replaces the cached one.
            tenant_id: A tenant other than the login's; azure-identity asks it only when
                ``additionally_allowed_tenants`` names it (or is ``["*"]``).
            enable_cae: Ask for a token that supports continuous access evaluation.
            **kwargs: Other azure-core options, accepted for compatibility and not used.

        Returns:
            azure-core's ``AccessToken`` (``token``, ``expires_on``).

        Raises:
            azure.core.exceptions.ClientAuthenticationError: No token can be had (the
                identity provider refused, or could not be reached).
        """
        scopes = scopes or DEFAULT_SCOPES
        entry = self._cached((scopes, claims, tenant_id, enable_cae))  # no TokenKey built
        if entry is None:
            entry = self._engine.get(TokenKey(scopes, claims, tenant_id, enable_cae))
        return entry.access_token

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        """The ``SupportsTokenInfo`` form of :meth:`get_token` (azure-core 1.31+).

        Args:
            *scopes: As for :meth:`get_token`.
            options: azure-core's ``TokenRequestOptions`` (``claims``, ``tenant_id``,
                ``enable_cae``), as for :meth:`get_token`.

        Returns:
            azure-core's ``AccessTokenInfo``, with ``refresh_on`` when the identity provider
            gave one.

        Raises:
            azure.core.exceptions.ClientAuthenticationError: No token can be had.
        """
        if not options:
            entry = self._cached((scopes or DEFAULT_SCOPES, None, None, False))
            if entry is not None:
                return entry.token
        return self._engine.get(TokenKey.of(scopes, options)).token

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


def raw_token(credential: Credential, *scopes: str) -> Token:
    """What ``credential.get_token_info(*scopes)`` returns, as the engine keeps it: for
    azlogin's own callers that print a token (the CLI), so that a stored token is read and
    shown without importing azure-core."""
    return credential._engine.get(TokenKey.of(scopes)).raw


class AsyncCredential(_Planned):
    """The asyncio twin of :class:`Credential`: ``AsyncTokenCredential`` and
    ``AsyncSupportsTokenInfo``, built by :func:`azlogin.get_async_credential`."""

    def __init__(self, inner: Any, engine: AsyncTokenCache, plan: Plan, reducer: Reducer) -> None:
        super().__init__(plan, reducer)
        self._inner = inner
        self._engine = engine
        self._cached = engine.cached  # the engine's fast path, bound once

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """An access token for ``scopes``, from the cache while it is fresh.

        Tasks asking for the same token at once share one request; the keywords are
        :meth:`Credential.get_token`'s.

        Returns:
            azure-core's ``AccessToken`` (``token``, ``expires_on``).

        Raises:
            azure.core.exceptions.ClientAuthenticationError: No token can be had.
        """
        scopes = scopes or DEFAULT_SCOPES
        entry = self._cached((scopes, claims, tenant_id, enable_cae))  # no TokenKey built
        if entry is None:
            entry = await self._engine.get(TokenKey(scopes, claims, tenant_id, enable_cae))
        return entry.access_token

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        """The ``AsyncSupportsTokenInfo`` form of :meth:`get_token`.

        Args:
            *scopes: As for :meth:`get_token`.
            options: azure-core's ``TokenRequestOptions`` (``claims``, ``tenant_id``,
                ``enable_cae``).

        Returns:
            azure-core's ``AccessTokenInfo``.

        Raises:
            azure.core.exceptions.ClientAuthenticationError: No token can be had.
        """
        if not options:
            entry = self._cached((scopes or DEFAULT_SCOPES, None, None, False))
            if entry is not None:
                return entry.token
        return (await self._engine.get(TokenKey.of(scopes, options))).token

    async def close(self) -> None:
        """Wait for fetches in flight, then close the underlying credential's session."""
        await self._engine.close()
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
