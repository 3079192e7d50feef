"""The managed identity routes of the Entra emulator: Azure IMDS and App Service.

Both routes pick one of the emulator's managed identities from the query
parameters (the first, system-assigned identity when none is named) and answer
with a token that the emulator mints for it, in the shape the real service uses.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ._http import Reply, Request, app_service_error, identity_error

__all__ = [
    "APP_SERVICE_SELECTORS",
    "IMDS_SELECTORS",
    "Identity",
    "IdentityMinter",
    "app_service_reply",
    "imds_reply",
    "query_problem",
    "select_identity",
]

#: The query parameters that name an identity, per route.
IMDS_SELECTORS = ("client_id", "object_id", "msi_res_id", "mi_res_id")
APP_SERVICE_SELECTORS = ("client_id", "object_id", "principal_id", "mi_res_id")


@dataclass(frozen=True)
class Identity:
    """A managed identity; ``resource_id`` is ``None`` for the system-assigned one."""

    client_id: str
    object_id: str
    resource_id: str | None

    def matches(self, selector: str, value: str) -> bool:
        """Tell whether this identity is the one query parameter ``selector`` names."""
        if selector == "client_id":
            return self.client_id.lower() == value.lower()
        if selector in ("object_id", "principal_id"):
            return self.object_id.lower() == value.lower()
        return self.resource_id is not None and self.resource_id.lower() == value.lower()


#: Mints an access token for a resource and an identity: returns the token and its expiry.
IdentityMinter = Callable[[str, Identity], tuple[str, int]]


def imds_reply(
    request: Request, identities: Sequence[Identity], mint: IdentityMinter, token_lifetime: int
) -> Reply:
    """Answer an IMDS token request (``GET /metadata/identity/oauth2/token``)."""
    if request.header("Metadata").lower() != "true":
        return identity_error(400, "invalid_request", "Required metadata header not specified")
    problem = query_problem(request)
    if problem is not None:
        return identity_error(400, "invalid_request", problem)
    identity = select_identity(request.query, IMDS_SELECTORS, identities)
    if identity is None:
        return identity_error(400, "invalid_request", "Identity not found")
    resource = request.query["resource"]
    token, expires_on = mint(resource, identity)
    lifetime = str(token_lifetime)
    body = {
        "access_token": token,
        "client_id": identity.client_id,
        "expires_in": lifetime,
        "expires_on": str(expires_on),
        "ext_expires_in": lifetime,
        "not_before": str(expires_on - token_lifetime),
        "resource": resource,
        "token_type": "Bearer",
    }
    return Reply(200, body)


def app_service_reply(
    request: Request, identities: Sequence[Identity], mint: IdentityMinter, identity_header: str
) -> Reply:
    """Answer an App Service token request (``GET /msi/token``)."""
    given = request.header("X-IDENTITY-HEADER").encode("utf-8")
    if not hmac.compare_digest(given, identity_header.encode("utf-8")):
        return app_service_error(401, "The X-IDENTITY-HEADER header is missing or wrong.")
    problem = query_problem(request)
    if problem is not None:
        return app_service_error(400, problem)
    identity = select_identity(request.query, APP_SERVICE_SELECTORS, identities)
    if identity is None:
        body = {
            "error": "invalid_request",
            "error_description": "Identity not found",
            "statusCode": 400,
            "message": "Identity not found",
        }
        return Reply(400, body)
    resource = request.query["resource"]
    token, expires_on = mint(resource, identity)
    body = {
        "access_token": token,
        "expires_on": str(expires_on),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": identity.client_id,
    }
    return Reply(200, body)


def select_identity(
    query: Mapping[str, str], selectors: tuple[str, ...], identities: Sequence[Identity]
) -> Identity | None:
    """The identity the query names: the first one when none is named.

    ``None`` when the named identity is unknown or more than one selector is given.
    """
    given = [(name, query[name]) for name in selectors if query.get(name)]
    if not given:
        return identities[0]
    if len(given) > 1:
        return None
    name, value = given[0]
    return next((i for i in identities if i.matches(name, value)), None)


def query_problem(request: Request) -> str | None:
    """Why a managed identity request's query is rejected, or ``None`` when it is complete."""
    if not request.query.get("api-version"):
        return "Required query variable 'api-version' is missing"
    if not request.query.get("resource"):
        return "Required audience parameter not specified"
    return None
