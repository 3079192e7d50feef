"""The documents the Entra emulator serves as they are: discovery, keys, Resource Manager lists.

OpenID Connect discovery (what MSAL reads before its first token request), instance discovery
(read only when instance discovery is on), the signing keys (none: nobody verifies the
emulator's signatures), and the subscription and tenant lists ``az login`` reads from Azure
Resource Manager once it has a token.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ._http import Reply, Request

__all__ = ["arm", "instance_discovery", "jwks", "not_found", "openid_configuration"]


def not_found(request: Request) -> Reply:
    """Any path the emulator does not serve."""
    return Reply(404, {"error": "not_found", "error_description": "No such endpoint."})


def openid_configuration(authority: str, request: Request) -> Reply:
    """The OpenID Connect metadata of the tenant in the path."""
    base = f"{authority}/{request.tenant}"
    return Reply(
        200,
        {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "request_uri_parameter_supported": False,
            "tenant_region_scope": None,
        },
    )


def instance_discovery(authority: str, request: Request) -> Reply:
    """Instance discovery: the emulator is its own only alias."""
    endpoint = urlsplit(request.query.get("authorization_endpoint", ""))
    segments = [part for part in endpoint.path.split("/") if part]
    tenant = segments[0] if segments else "common"
    host = urlsplit(authority).netloc
    return Reply(
        200,
        {
            "tenant_discovery_endpoint": (
                f"{authority}/{tenant}/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        },
    )


def jwks(request: Request) -> Reply:
    """The signing keys: none."""
    return Reply(200, {"keys": []})


def arm(tenant_id: str, subscription_id: str, request: Request) -> Reply:
    """The subscription and tenant lists `az login` reads (one subscription, one tenant)."""
    if not request.header("Authorization").lower().startswith("bearer "):
        return Reply(401, {"error": {"code": "AuthenticationFailed", "message": "No token."}})
    tenant = {"id": f"/tenants/{tenant_id}", "tenantId": tenant_id}
    subscription = {
        "id": f"/subscriptions/{subscription_id}",
        "subscriptionId": subscription_id,
        "tenantId": tenant_id,
        "displayName": "azlogin emulator subscription",
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01"},
        "authorizationSource": "RoleBased",
    }
    if request.parts[0] == "tenants":
        return Reply(200, {"value": [tenant]})
    if len(request.parts) == 1:
        return Reply(200, {"value": [subscription]})
    if request.parts[1:] == (subscription_id,):
        return Reply(200, subscription)
    return Reply(404, {"error": {"code": "SubscriptionNotFound", "message": "No such one."}})
