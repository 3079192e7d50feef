"""The user sign-ins of the Entra emulator: the device code flow and the refresh token grant.

The device code endpoint starts a sign-in for any public client id; the first
``device_code_pending_polls`` polls of its code are answered ``authorization_pending``, then
the user is signed in and gets an access token, an ID token and a refresh token that later
``refresh_token`` grants of the same client accept (until revoked).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import _jwt
from ._http import Reply, Request, oauth_error
from ._tokens import (
    GRAPH_RESOURCE,
    USER_DISPLAY_NAME,
    Issuer,
    audience_from_scope,
    jwt_header,
    resource_scopes,
    token_body,
    token_tenant,
    user_claims,
)

__all__ = ["UserFlows"]

_DEVICE_CODE_LIFETIME = 900


@dataclass
class _DeviceCode:
    client_id: str
    scope: str
    pending_polls: int
    expires_at: float


class UserFlows:
    """The device code endpoint and grant, the refresh token grant, and what they remember.

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
        self._device_codes: dict[str, _DeviceCode] = {}
        self._refresh_tokens: dict[str, str] = {}

    def revoke_refresh_tokens(self) -> int:
        """Forget every refresh token issued so far; returns how many there were."""
        with self._lock:
            count = len(self._refresh_tokens)
            self._refresh_tokens.clear()
        return count

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

    def device_code_grant(self, request: Request) -> Reply:
        """Answer a poll of a device code: pending, expired, invalid, or the user's tokens."""
        client_id = request.form.get("client_id", "")
        code = request.form.get("device_code", "")
        with self._lock:
            entry = self._device_codes.get(code)
            state = self._poll(code, entry, client_id)
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
        return self._user_tokens(client_id, scope, request.tenant)

    def refresh_grant(self, request: Request) -> Reply:
        """Answer a ``refresh_token`` grant: new tokens for a refresh token of this client."""
        client_id = request.form.get("client_id", "")
        with self._lock:
            owner = self._refresh_tokens.get(request.form.get("refresh_token", ""))
        if owner is None or owner != client_id:
            description = "AADSTS70000: The provided value for the 'refresh_token' is not valid."
            return oauth_error(400, "invalid_grant", description, 70000)
        return self._user_tokens(client_id, request.form.get("scope", ""), request.tenant)

    def _poll(self, code: str, entry: _DeviceCode | None, client_id: str) -> str:
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

    def _user_tokens(self, client_id: str, scope: str, tenant: str) -> Reply:
        issuer = self._issuer
        tenant = token_tenant(issuer.tenant_id, tenant)
        scopes = resource_scopes(scope)
        access_token, _ = issuer.mint_token(
            resource=audience_from_scope(scopes[0]) if scopes else GRAPH_RESOURCE,
            tenant_id=tenant,
            oid=issuer.user_object_id,
            appid=client_id,
            extra_claims=user_claims(issuer.username),
        )
        refresh_token = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh_tokens[refresh_token] = client_id
        client_info = {"uid": issuer.user_object_id, "utid": issuer.tenant_id}
        body = token_body(access_token, issuer.token_lifetime)
        body.update(
            {
                "scope": " ".join(scopes) or scope,
                "refresh_token": refresh_token,
                "id_token": self._id_token(client_id, tenant),
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
            "name": USER_DISPLAY_NAME,
            "oid": issuer.user_object_id,
            "preferred_username": issuer.username,
            "sub": _jwt.b64url_encode(pairwise),
            "tid": tenant,
            "ver": "2.0",
        }
        return _jwt.encode_unsigned(jwt_header(self._key_id), claims)
