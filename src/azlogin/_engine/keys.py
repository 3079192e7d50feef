"""The token key: what one cached token answers, as a named type used everywhere."""

from __future__ import annotations

from typing import NamedTuple, Optional

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
