"""The Entra token and device code endpoints of the emulator.

:class:`TokenEndpoint` dispatches a token request on its ``grant_type`` to the client
credentials grant (:mod:`._client_credentials`: client secret, certificate assertion or
federated token, checked against the principal's registered credentials) or to the user
flows (:mod:`._user_flows`: device code, refresh token), and summarizes each request
without its secrets for ``EntraEmulator.token_requests``. The grants
read the principals and settings from their :class:`~._tokens.Issuer` (the emulator) when a
request arrives, so changes to the emulator's attributes apply at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ._client_credentials import ClientCredentials
from ._http import Reply, Request, oauth_error
from ._tokens import DEVICE_CODE_GRANT, Issuer
from ._user_flows import UserFlows

__all__ = ["TokenEndpoint"]


class TokenEndpoint:
    """The token and device code routes of ``issuer`` (the emulator); ``key_id`` and ``clock``
    are those of the user flows' ID tokens and device codes (see :class:`UserFlows`)."""

    def __init__(self, issuer: Issuer, *, key_id: str, clock: Callable[[], float]) -> None:
        self._issuer = issuer
        self._clients = ClientCredentials(issuer)
        self._users = UserFlows(issuer, key_id=key_id, clock=clock)

    def revoke_refresh_tokens(self) -> int:
        """Forget every refresh token issued so far; returns how many there were."""
        return self._users.revoke_refresh_tokens()

    def token(self, request: Request) -> Reply:
        """Answer the token endpoint: dispatch on ``grant_type``."""
        grant = request.form.get("grant_type", "")
        if grant == "client_credentials":
            return self._clients.grant(request)
        if grant == DEVICE_CODE_GRANT:
            return self._users.device_code_grant(request)
        if grant == "refresh_token":
            return self._users.refresh_grant(request)
        description = f"AADSTS70003: The app requested an unsupported grant type '{grant[:80]}'."
        return oauth_error(400, "unsupported_grant_type", description, 70003)

    def devicecode(self, request: Request) -> Reply:
        """Answer the device code endpoint: start a sign-in."""
        return self._users.devicecode(request)

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
        assertion = form.get("client_assertion")
        if assertion:
            return "federated" if self._issuer.trusts_federated_token(assertion) else "assertion"
        if "client_secret" in form:
            return "secret"
        return "none"
