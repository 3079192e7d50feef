"""The Entra token and device code endpoints of the emulator.

:class:`TokenEndpoint` answers the token endpoint (client credentials with a
client secret, a certificate assertion or a federated token; the device code
grant; the refresh token grant) and the device code endpoint. It keeps what
those grants need to remember (registered certificates and federated tokens,
pending device codes, issued refresh tokens) and reads everything else, such as
the principals and the token lifetime, from its :class:`Issuer` (the emulator)
when a request arrives, so changes to the emulator's attributes apply at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from . import _jwt
from ._http import Reply, Request, oauth_error

__all__ = [
    "DEVICE_CODE_GRANT",
    "GRAPH_RESOURCE",
    "JWT_BEARER",
    "STORAGE_RESOURCE",
    "Certificate",
    "Issuer",
    "TokenEndpoint",
    "audience_from_scope",
    "jwt_header",
    "user_claims",
]

STORAGE_RESOURCE = "https://storage.azure.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_USER_DISPLAY_NAME = "AzLogin Test User"
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})
_DEVICE_CODE_LIFETIME = 900
_ASSERTION_SKEW = 300
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


def audience_from_scope(scope: str) -> str:
    """Return the ``aud`` Entra puts in a token requested for ``scope`` (or resource).

    A trailing ``/.default`` is dropped, and so is the trailing slash of
    ``https://storage.azure.com/``; other resources are kept as given.
    """
    resource = scope[: -len("/.default")] if scope.endswith("/.default") else scope
    if resource == STORAGE_RESOURCE + "/":
        return STORAGE_RESOURCE
    return resource


def jwt_header(key_id: str) -> dict[str, str]:
    """The header of the tokens the emulator issues."""
    return {"alg": "RS256", "typ": "JWT", "kid": key_id}


def user_claims(username: str) -> dict[str, Any]:
    """The claims an access token issued to the signed-in user adds."""
    return {
        "idtyp": "user",
        "name": _USER_DISPLAY_NAME,
        "scp": "user_impersonation",
        "unique_name": username,
        "upn": username,
    }


class Issuer(Protocol):
    """What :class:`TokenEndpoint` reads from the emulator, at the time of each request."""

    tenant_id: str
    client_id: str
    client_secret: str
    sp_object_id: str
    user_object_id: str
    username: str
    token_lifetime: int
    device_code_pending_polls: int
    device_code_interval: int

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


@dataclass(frozen=True)
class Certificate:
    """A certificate registered for the service principal: its thumbprints and key."""

    sha1: bytes
    sha256: bytes
    public_key: rsa.RSAPublicKey


@dataclass
class _DeviceCode:
    client_id: str
    scope: str
    pending_polls: int
    expires_at: float


class TokenEndpoint:
    """The token and device code routes, and the grants they remember.

    Args:
        issuer: The emulator: principals, settings, its address and ``mint_token``.
        key_id: The ``kid`` of the ID tokens it issues.
        clock: The time source for ID tokens and device code expiry.
    """

    def __init__(self, issuer: Issuer, *, key_id: str, clock: Callable[[], float]) -> None:
        self._issuer = issuer
        self._key_id = key_id
        self._clock = clock
        self._lock = threading.Lock()
        self._certificates: list[Certificate] = []
        self._federated_tokens: set[str] = set()
        self._device_codes: dict[str, _DeviceCode] = {}
        self._refresh_tokens: dict[str, str] = {}

    # ------------------------------------------------------------------ registrations

    def revoke_refresh_tokens(self) -> int:
        """Forget every refresh token issued so far; returns how many there were."""
        with self._lock:
            count = len(self._refresh_tokens)
            self._refresh_tokens.clear()
        return count

    def add_certificate(self, certificate: Certificate) -> None:
        """Accept client assertions signed with ``certificate``'s key."""
        with self._lock:
            self._certificates.append(certificate)

    def add_federated_token(self, token: str) -> None:
        """Accept ``token`` as a client assertion (a federated credential)."""
        with self._lock:
            self._federated_tokens.add(token)

    def summarize(self, request: Request) -> dict[str, str]:
        """The non-secret fields of a token request, for ``EntraEmulator.token_requests``."""
        form = request.form
        return {
            "grant_type": form.get("grant_type", ""),
            "client_id": form.get("client_id", ""),
            "scope": form.get("scope") or form.get("resource") or "",
            "tenant": request.tenant,
            "auth": self._auth_kind(form),
        }

    def _auth_kind(self, form: Mapping[str, str]) -> str:
        grant = form.get("grant_type", "")
        if grant == DEVICE_CODE_GRANT:
            return "device_code"
        if grant == "refresh_token":
            return "refresh_token"
        if form.get("client_assertion"):
            with self._lock:
                federated = form["client_assertion"] in self._federated_tokens
            return "federated" if federated else "assertion"
        if "client_secret" in form:
            return "secret"
        return "none"

    # ------------------------------------------------------------------ token endpoint

    def token(self, request: Request) -> Reply:
        """Answer the token endpoint: dispatch on ``grant_type``."""
        grant = request.form.get("grant_type", "")
        if grant == "client_credentials":
            return self._client_credentials(request)
        if grant == DEVICE_CODE_GRANT:
            return self._device_code_grant(request)
        if grant == "refresh_token":
            return self._refresh_grant(request)
        description = f"AADSTS70003: The app requested an unsupported grant type '{grant[:80]}'."
        return oauth_error(400, "unsupported_grant_type", description, 70003)

    def _client_credentials(self, request: Request) -> Reply:
        issuer = self._issuer
        client_id = request.form.get("client_id", "")
        if client_id != issuer.client_id:
            description = (
                f"AADSTS700016: Application with identifier '{client_id[:80]}' was not found "
                f"in the directory '{request.tenant}'."
            )
            return oauth_error(400, "unauthorized_client", description, 700016)
        problem = self._authenticate_client(request) or _client_scope_problem(request)
        if problem is not None:
            return problem
        token, _ = issuer.mint_token(
            resource=_requested_resource(request.form),
            tenant_id=self._token_tenant(request.tenant),
            oid=issuer.sp_object_id,
            appid=issuer.client_id,
            extra_claims={"idtyp": "app"},
        )
        return Reply(200, self._token_body(token))

    def _token_body(self, access_token: str) -> dict[str, Any]:
        lifetime = self._issuer.token_lifetime
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        }

    def _authenticate_client(self, request: Request) -> Reply | None:
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
        with self._lock:
            if assertion in self._federated_tokens:
                return None
            certificates = list(self._certificates)
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
        return self._assertion_claims_problem(claims, tenant)

    def _assertion_claims_problem(self, claims: Mapping[str, Any], tenant: str) -> str | None:
        client_id = self._issuer.client_id
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return "Client assertion 'iss' and 'sub' must both be the client id."
        if not self._valid_assertion_audience(claims.get("aud"), tenant):
            return "Client assertion audience claim does not match the token endpoint."
        now = time.time()  # MSAL stamps assertions with the real time, whatever our clock says.
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or expires + _ASSERTION_SKEW < now:
            return "Client assertion is expired or has no 'exp' claim."
        not_before = claims.get("nbf")
        if isinstance(not_before, (int, float)) and not_before - _ASSERTION_SKEW > now:
            return "Client assertion is not yet valid."
        return None

    def _valid_assertion_audience(self, audience: object, tenant: str) -> bool:
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

    def _token_tenant(self, tenant: str) -> str:
        """The tenant a token is issued in: the path's, or the home tenant for aliases."""
        return self._issuer.tenant_id if tenant.lower() in _TENANT_ALIASES else tenant

    # ------------------------------------------------------------------ user flows

    def devicecode(self, request: Request) -> Reply:
        """Answer the device code endpoint: start a sign-in for ``client_id``."""
        client_id = request.form.get("client_id", "")
        if not client_id:
            description = (
                "AADSTS900144: The request body must contain the following parameter: 'client_id'."
            )
            return oauth_error(400, "invalid_request", description, 900144)
        device_code = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
        entry = _DeviceCode(
            client_id=client_id,
            scope=request.form.get("scope", ""),
            pending_polls=self._issuer.device_code_pending_polls,
            expires_at=self._clock() + _DEVICE_CODE_LIFETIME,
        )
        with self._lock:
            self._device_codes[device_code] = entry
        verification_uri = f"{self._issuer.authority}/devicelogin"
        message = (
            f"To sign in, use a web browser to open the page {verification_uri} and enter the "
            f"code {user_code} to authenticate."
        )
        body = {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": _DEVICE_CODE_LIFETIME,
            "interval": self._issuer.device_code_interval,
            "message": message,
        }
        return Reply(200, body)

    def _device_code_grant(self, request: Request) -> Reply:
        client_id = request.form.get("client_id", "")
        code = request.form.get("device_code", "")
        with self._lock:
            entry = self._device_codes.get(code)
            state = self._poll_device_code(code, entry, client_id)
        if state == "pending":
            description = (
                "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. "
                "Continue polling."
            )
            return oauth_error(400, "authorization_pending", description, 70016)
        if state == "expired":
            description = (
                "AADSTS70020: The provided value for the input parameter 'device_code' has expired."
            )
            return oauth_error(400, "expired_token", description, 70020)
        if state == "invalid" or entry is None:
            description = "AADSTS70000: The provided value for the 'device_code' is not valid."
            return oauth_error(400, "invalid_grant", description, 70000)
        scope = request.form.get("scope") or entry.scope
        return self._user_token_reply(client_id, scope, request.tenant)

    def _poll_device_code(self, code: str, entry: _DeviceCode | None, client_id: str) -> str:
        """Advance one poll of a device code; call with the lock held."""
        if entry is None or entry.client_id != client_id:
            return "invalid"
        if self._clock() > entry.expires_at:
            del self._device_codes[code]
            return "expired"
        if entry.pending_polls > 0:
            entry.pending_polls -= 1
            return "pending"
        del self._device_codes[code]
        return "granted"

    def _refresh_grant(self, request: Request) -> Reply:
        client_id = request.form.get("client_id", "")
        with self._lock:
            owner = self._refresh_tokens.get(request.form.get("refresh_token", ""))
        if owner is None or owner != client_id:
            description = "AADSTS70000: The provided value for the 'refresh_token' is not valid."
            return oauth_error(400, "invalid_grant", description, 70000)
        return self._user_token_reply(client_id, request.form.get("scope", ""), request.tenant)

    def _user_token_reply(self, client_id: str, scope: str, tenant: str) -> Reply:
        issuer = self._issuer
        token_tenant = self._token_tenant(tenant)
        scopes = _resource_scopes(scope)
        resource = audience_from_scope(scopes[0]) if scopes else GRAPH_RESOURCE
        access_token, _ = issuer.mint_token(
            resource=resource,
            tenant_id=token_tenant,
            oid=issuer.user_object_id,
            appid=client_id,
            extra_claims=user_claims(issuer.username),
        )
        refresh_token = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh_tokens[refresh_token] = client_id
        client_info = {"uid": issuer.user_object_id, "utid": issuer.tenant_id}
        body = self._token_body(access_token)
        body.update(
            {
                "scope": " ".join(scopes) or scope,
                "refresh_token": refresh_token,
                "id_token": self._id_token(client_id, token_tenant),
                "client_info": _jwt.b64url_encode(json.dumps(client_info).encode("utf-8")),
            }
        )
        return Reply(200, body)

    def _id_token(self, client_id: str, tenant: str) -> str:
        issuer = self._issuer
        now = int(self._clock())
        pairwise = hashlib.sha256(f"{issuer.user_object_id}:{client_id}".encode()).digest()
        claims = {
            "aud": client_id,
            "iss": f"{issuer.authority}/{tenant}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + issuer.token_lifetime,
            "name": _USER_DISPLAY_NAME,
            "oid": issuer.user_object_id,
            "preferred_username": issuer.username,
            "sub": _jwt.b64url_encode(pairwise),
            "tid": tenant,
            "ver": "2.0",
        }
        return _jwt.encode_unsigned(jwt_header(self._key_id), claims)


def _resource_scopes(scope: str) -> list[str]:
    """The requested scopes other than OpenID Connect's own."""
    return [item for item in scope.split() if item.lower() not in _OIDC_SCOPES]


def _requested_resource(form: Mapping[str, str]) -> str:
    scopes = _resource_scopes(form.get("scope", ""))
    if scopes:
        return audience_from_scope(scopes[0])
    return audience_from_scope(form.get("resource") or GRAPH_RESOURCE)


def _client_scope_problem(request: Request) -> Reply | None:
    scopes = _resource_scopes(request.form.get("scope", ""))
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
