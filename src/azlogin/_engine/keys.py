"""The token key: what one cached token answers, as a named type used everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Optional

if TYPE_CHECKING:
    from azure.core.credentials import TokenRequestOptions

__all__ = ["DEFAULT_SCOPES", "STORAGE_SCOPE", "TokenKey"]

STORAGE_SCOPE = "https://storage.azure.com/.default"
"""The scope of Azure Storage's data plane; used when ``get_token()`` is given no scope."""

DEFAULT_SCOPES = (STORAGE_SCOPE,)


class TokenKey(NamedTuple):
    """One cache entry (in the engine) and one store item (in a shared store) each.

    A tuple, so the engine's dictionary lookups cost what a plain tuple's do."""

    scopes: tuple[str, ...]
    claims: Optional[str] = None  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    tenant_id: Optional[str] = None  # noqa: UP045
    enable_cae: bool = False

    @classmethod
    def of(cls, scopes: tuple[str, ...], options: TokenRequestOptions | None = None) -> TokenKey:
        """The key of ``get_token_info(*scopes, options=options)``; no scope means Storage's."""
        scopes = scopes or DEFAULT_SCOPES
        if not options:
            return cls(scopes)
        return cls(
            scopes,
            options.get("claims"),
            options.get("tenant_id"),
            bool(options.get("enable_cae", False)),
        )

    @property
    def cache_key(self) -> TokenKey:
        """Where a fetched token is kept: the key without claims. A claims challenge (a CAE
        service's 401) means the cached token was revoked, so the token fetched for it
        replaces that one, and a request with claims is never served from the cache."""
        return self._replace(claims=None) if self.claims else self

    def options(self) -> TokenRequestOptions:
        """The azure-core request options this key stands for."""
        options: TokenRequestOptions = {}
        if self.claims:
            options["claims"] = self.claims
        if self.tenant_id:
            options["tenant_id"] = self.tenant_id
        if self.enable_cae:
            options["enable_cae"] = True
        return options
