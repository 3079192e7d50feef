"""The credential object get_credential returns."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, NoReturn

from azure.core.credentials import (
    AccessToken,
    AccessTokenInfo,
    SupportsTokenInfo,
    TokenCredential,
    TokenRequestOptions,
)

from .trust import TrustedSuffixes

__all__ = ["STORAGE_SCOPE", "Credential"]

STORAGE_SCOPE = "https://storage.azure.com/.default"
"""The scope of Azure Storage's data plane; used when ``get_token()`` is given no scope."""


class Credential:
    """An azure-core ``TokenCredential`` and ``SupportsTokenInfo`` for one AzCopy login type.

    Built by :func:`azlogin.get_credential`; pass it wherever an Azure SDK client takes a
    ``credential``. With no scope, ``get_token()`` asks for Azure Storage's scope.
    Its ``repr`` shows the login type and the non-secret settings, never a secret.
    """

    def __init__(
        self,
        inner: TokenCredential,
        *,
        login_type: str,
        details: Mapping[str, str],
        trusted_suffixes: TrustedSuffixes | None = None,
    ) -> None:
        self._inner = inner
        self._login_type = login_type
        self._details = dict(details)
        self._trusted_suffixes = trusted_suffixes or TrustedSuffixes()

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

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return self._inner.get_token(
            *(scopes or (STORAGE_SCOPE,)),
            claims=claims,
            tenant_id=tenant_id,
            enable_cae=enable_cae,
            **kwargs,
        )

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        scopes = scopes or (STORAGE_SCOPE,)
        if isinstance(self._inner, SupportsTokenInfo):
            return self._inner.get_token_info(*scopes, options=options)
        options = options or {}
        token = self._inner.get_token(
            *scopes,
            claims=options.get("claims"),
            tenant_id=options.get("tenant_id"),
            enable_cae=options.get("enable_cae", False),
        )
        return AccessTokenInfo(token.token, token.expires_on)

    def close(self) -> None:
        """Close the underlying credential's transport session."""
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Credential:
        enter = getattr(self._inner, "__enter__", None)
        if enter is not None:
            enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        shown = "".join(f", {key}={value!r}" for key, value in self._details.items())
        return f"azlogin.Credential(login_type={self._login_type!r}{shown})"

    def __reduce__(self) -> NoReturn:
        # azure-identity's credentials pickle with their secrets inside; refuse rather
        # than let a client secret or certificate password travel in the bytes.
        raise TypeError(
            "azlogin.Credential cannot be pickled: it may hold a secret. Call "
            "azlogin.get_credential() in the process that needs it."
        )
