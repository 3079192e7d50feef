"""What every grant of the Entra emulator shares: resources, claims, and the issuer's shape.

Access tokens are JWTs with Azure's claims and a placeholder signature (see :mod:`._jwt`):
Azurite's ``--oauth basic`` mode and azure-identity read them but never verify the signature.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Protocol

from . import _jwt
from ._certificates import Certificate

__all__ = [
    "DEVICE_CODE_GRANT",
    "GRAPH_RESOURCE",
    "JWT_BEARER",
    "STORAGE_RESOURCE",
    "USER_DISPLAY_NAME",
    "Issuer",
    "access_token",
    "audience_from_scope",
    "jwt_header",
    "resource_scopes",
    "token_body",
    "token_tenant",
    "user_claims",
]

STORAGE_RESOURCE = "https://storage.azure.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
USER_DISPLAY_NAME = "AzLogin Test User"
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})


class Issuer(Protocol):
    """What the grants read from the emulator, at the time of each request (so that a test
    changing, say, ``client_secret`` or ``token_lifetime`` changes the next answer)."""

    tenant_id: str
    client_id: str
    client_secret: str
    sp_object_id: str
    user_object_id: str
    username: str
    token_lifetime: int
    device_code_pending_polls: int
    device_code_interval: int

    def registered_certificates(self) -> list[Certificate]:
        """The certificates whose keys may sign the service principal's assertions."""
        ...

    def trusts_federated_token(self, token: str) -> bool:
        """Whether ``token`` is a federated credential of the service principal."""
        ...

    @property
    def authority(self) -> str:
        """The authority host, ``https://127.0.0.1:PORT``."""
        ...

    def mint_token(
        self,
        *,
        resource: str = ...,
        tenant_id: str | None = ...,
        oid: str | None = ...,
        appid: str | None = ...,
        lifetime: int | None = ...,
        issued_at: float | None = ...,
        extra_claims: Mapping[str, Any] | None = ...,
    ) -> tuple[str, int]:
        """Mint an access token; return it and its expiry in epoch seconds."""
        ...


def audience_from_scope(scope: str) -> str:
    """Return the ``aud`` Entra puts in a token requested for ``scope`` (or resource).

    A trailing ``/.default`` is dropped, and so is the trailing slash of
    ``https://storage.azure.com/``; other resources are kept as given.
    """
    resource = scope[: -len("/.default")] if scope.endswith("/.default") else scope
    if resource == STORAGE_RESOURCE + "/":
        return STORAGE_RESOURCE
    return resource


def resource_scopes(scope: str) -> list[str]:
    """The requested scopes other than OpenID Connect's own."""
    return [item for item in scope.split() if item.lower() not in _OIDC_SCOPES]


def token_tenant(home_tenant: str, tenant: str) -> str:
    """The tenant a token is issued in: the request path's, or the home tenant for aliases."""
    return home_tenant if tenant.lower() in _TENANT_ALIASES else tenant


def jwt_header(key_id: str) -> dict[str, str]:
    """The header of the tokens the emulator issues."""
    return {"alg": "RS256", "typ": "JWT", "kid": key_id}


def user_claims(username: str) -> dict[str, Any]:
    """The claims an access token issued to the signed-in user adds."""
    return {
        "idtyp": "user",
        "name": USER_DISPLAY_NAME,
        "scp": "user_impersonation",
        "unique_name": username,
        "upn": username,
    }


def access_token(
    *,
    key_id: str,
    resource: str,
    tenant_id: str,
    subject: str,
    appid: str,
    issued_at: int,
    lifetime: int,
    extra_claims: Mapping[str, Any] | None = None,
) -> tuple[str, int]:
    """An access token with Azure's claims (``aud`` from ``resource``, ``iss`` of Entra's v1
    issuer for ``tenant_id``, ``oid`` and ``sub`` from ``subject``); returns it and ``exp``."""
    expires_on = issued_at + lifetime
    claims: dict[str, Any] = {
        "aud": audience_from_scope(resource),
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": issued_at,
        "nbf": issued_at,
        "exp": expires_on,
        "appid": appid,
        "oid": subject,
        "sub": subject,
        "tid": tenant_id,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
    }
    claims.update(extra_claims or {})
    return _jwt.encode_unsigned(jwt_header(key_id), claims), expires_on


def token_body(access_token: str, lifetime: int) -> dict[str, Any]:
    """The token endpoint's answer for ``access_token``, before any user-flow fields."""
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    }
