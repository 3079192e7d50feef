"""The client credentials grant of the Entra emulator: a service principal signs in.

The client proves who it is with the client secret, with an assertion signed by the key of a
registered certificate (RS256 or PS256, named by its ``x5t`` or ``x5t#S256`` thumbprint), or
with a registered federated token (workload identity). Rejections carry Entra's error codes.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from . import _jwt
from ._certificates import Certificate
from ._http import Reply, Request, oauth_error
from ._tokens import (
    GRAPH_RESOURCE,
    JWT_BEARER,
    Issuer,
    audience_from_scope,
    resource_scopes,
    token_body,
    token_tenant,
)

__all__ = ["ClientCredentials"]

_ASSERTION_SKEW = 300
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


class ClientCredentials:
    """The grant, checking the credentials the issuer's service principal has."""

    def __init__(self, issuer: Issuer) -> None:
        self._issuer = issuer

    def grant(self, request: Request) -> Reply:
        """Answer a ``client_credentials`` token request."""
        issuer = self._issuer
        client_id = request.form.get("client_id", "")
        if client_id != issuer.client_id:
            description = (
                f"AADSTS700016: Application with identifier '{client_id[:80]}' was not found "
                f"in the directory '{request.tenant}'."
            )
            return oauth_error(400, "unauthorized_client", description, 700016)
        problem = self._authenticate(request) or _scope_problem(request)
        if problem is not None:
            return problem
        token, _ = issuer.mint_token(
            resource=_requested_resource(request.form),
            tenant_id=token_tenant(issuer.tenant_id, request.tenant),
            oid=issuer.sp_object_id,
            appid=issuer.client_id,
            extra_claims={"idtyp": "app"},
        )
        return Reply(200, token_body(token, issuer.token_lifetime))

    def _authenticate(self, request: Request) -> Reply | None:
        form = request.form
        if "client_secret" in form:
            given = form["client_secret"].encode("utf-8")
            if hmac.compare_digest(given, self._issuer.client_secret.encode("utf-8")):
                return None
            description = (
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{self._issuer.client_id}'."
            )
            return oauth_error(401, "invalid_client", description, 7000215)
        assertion = form.get("client_assertion", "")
        if assertion and form.get("client_assertion_type") == JWT_BEARER:
            reason = self._assertion_problem(assertion, request.tenant)
            if reason is None:
                return None
            return oauth_error(401, "invalid_client", f"AADSTS700027: {reason}", 700027)
        description = (
            "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for "
            "the 'client_credentials' grant type."
        )
        return oauth_error(401, "invalid_client", description, 7000216)

    def _assertion_problem(self, assertion: str, tenant: str) -> str | None:
        """Return why a client assertion is rejected, or ``None`` when it is accepted."""
        if self._issuer.trusts_federated_token(assertion):
            return None
        certificates = self._issuer.registered_certificates()
        try:
            header = _jwt.decode_header(assertion)
            claims = _jwt.decode_claims(assertion)
        except ValueError:
            return "Client assertion is not a valid JWT."
        if header.get("alg") not in ("RS256", "PS256"):
            return "Client assertion must be signed with RS256 or PS256."
        candidates = _candidate_certificates(header, certificates)
        if not candidates:
            return "Client assertion failed signature validation. [Reason - The key was not found.]"
        if not any(_jwt.verify_signature(assertion, c.public_key) for c in candidates):
            return "Client assertion failed signature validation."
        return self._claims_problem(claims, tenant)

    def _claims_problem(self, claims: Mapping[str, Any], tenant: str) -> str | None:
        client_id = self._issuer.client_id
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return "Client assertion 'iss' and 'sub' must both be the client id."
        if not self._is_our_token_endpoint(claims.get("aud"), tenant):
            return "Client assertion audience claim does not match the token endpoint."
        now = time.time()  # MSAL stamps assertions with the real time, whatever our clock says.
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or expires + _ASSERTION_SKEW < now:
            return "Client assertion is expired or has no 'exp' claim."
        not_before = claims.get("nbf")
        if isinstance(not_before, (int, float)) and not_before - _ASSERTION_SKEW > now:
            return "Client assertion is not yet valid."
        return None

    def _is_our_token_endpoint(self, audience: object, tenant: str) -> bool:
        values = audience if isinstance(audience, list) else [audience]
        port = urlsplit(self._issuer.authority).port
        for value in values:
            if not isinstance(value, str):
                continue
            parsed = urlsplit(value)
            if (
                parsed.scheme == "https"
                and parsed.hostname in _LOOPBACK_HOSTS
                and parsed.port == port
                and tenant in parsed.path.split("/")
            ):
                return True
        return False


def _requested_resource(form: Mapping[str, str]) -> str:
    scopes = resource_scopes(form.get("scope", ""))
    if scopes:
        return audience_from_scope(scopes[0])
    return audience_from_scope(form.get("resource") or GRAPH_RESOURCE)


def _scope_problem(request: Request) -> Reply | None:
    scopes = resource_scopes(request.form.get("scope", ""))
    if not scopes and not request.form.get("resource"):
        description = (
            "AADSTS900144: The request body must contain the following parameter: 'scope'."
        )
        return oauth_error(400, "invalid_request", description, 900144)
    if request.is_v2 and scopes and not scopes[0].endswith("/.default"):
        description = (
            f"AADSTS1002012: The provided value for scope {scopes[0]} is not valid. Client "
            "credential flows must have a scope value with /.default suffixed to the "
            "resource identifier (application ID URI)."
        )
        return oauth_error(400, "invalid_scope", description, 1002012)
    return None


def _candidate_certificates(
    header: Mapping[str, Any], certificates: list[Certificate]
) -> list[Certificate]:
    """The registered certificates an assertion's thumbprint header names (all if none)."""
    for name, attribute in (("x5t#S256", "sha256"), ("x5t", "sha1")):
        thumbprint = header.get(name)
        if isinstance(thumbprint, str):
            try:
                digest = _jwt.b64url_decode(thumbprint)
            except ValueError:
                return []
            return [c for c in certificates if getattr(c, attribute) == digest]
    return list(certificates)
