"""A loopback Microsoft Entra ID, IMDS and App Service identity endpoint for tests.

:class:`EntraEmulator` runs two small HTTP servers on ``127.0.0.1`` that the
real ``azure-identity`` and MSAL credentials can talk to, so tests can sign in
every way AzCopy can without a network or an Azure tenant::

    with EntraEmulator() as emu:
        credential = ClientSecretCredential(
            emu.tenant_id, emu.client_id, emu.client_secret,
            authority=emu.authority, disable_instance_discovery=True,
            connection_verify=emu.ca_path,
        )
        credential.get_token("https://storage.azure.com/.default")
        assert emu.requests["token"] == 1

* An HTTPS server (certificate from a throw-away ``trustme`` CA, see
  :attr:`EntraEmulator.ca_path`) serves the Entra routes: OpenID discovery,
  the token endpoint (client secret, certificate assertion, federated token,
  device code and refresh token grants) and the device code endpoint.
* A plain HTTP server serves the managed identity routes of Azure IMDS
  (:attr:`EntraEmulator.imds_endpoint`) and of App Service
  (:attr:`EntraEmulator.app_service_endpoint`).

Access tokens are JWTs with Azure's claims and a placeholder signature (Azurite's
``--oauth basic`` and azure-identity never verify it). Requests are counted per route in
:attr:`EntraEmulator.requests`; :meth:`EntraEmulator.fail` injects errors and delays.
Secrets never appear in logs, in :attr:`~EntraEmulator.token_requests` or in error responses.

Each concern has a private module: lifecycle and addresses (``_lifecycle``), routes and
dispatch (``_routes``, ``_discovery``, ``_http``), faults (``_faults``), principals and
certificates (``_principals``, ``_certificates``), token grants (``_token_endpoint``,
``_client_credentials``, ``_user_flows``, ``_tokens``), managed identity
(``_managed_identity``), the ``az``/``pwsh`` stand-ins (``_standins``, ``_cli_standin``) and
the login environments (``_environments``).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _jwt
from ._environments import login_environment
from ._faults import Fault
from ._lifecycle import Loopback
from ._principals import AZURE_CLI_CLIENT_ID as AZURE_CLI_CLIENT_ID
from ._principals import AZURE_POWERSHELL_CLIENT_ID as AZURE_POWERSHELL_CLIENT_ID
from ._principals import DEFAULT_TENANT_ID, Principals
from ._routes import ROUTES as ROUTES
from ._routes import Router, route_handlers
from ._standins import write_standins
from ._token_endpoint import TokenEndpoint
from ._tokens import STORAGE_RESOURCE, access_token
from ._tokens import audience_from_scope as audience_from_scope

__all__ = ["EntraEmulator"]

if TYPE_CHECKING:
    import trustme

logger = logging.getLogger(__name__)


class EntraEmulator(Principals):
    """Loopback Microsoft Entra ID, IMDS and App Service endpoints for real credentials.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`). It
    registers one service principal (:attr:`tenant_id`, :attr:`client_id`,
    :attr:`client_secret`, plus certificates from :meth:`write_certificate` and
    federated tokens from :meth:`write_federated_token`), a system-assigned and
    one user-assigned managed identity (``msi_*``), and a user who signs in
    through the device code flow (:attr:`user_object_id`). Device code public
    clients may use any client id.

    Args:
        tenant_id: The home tenant of every principal.
        token_lifetime: Seconds every issued access token lives.
        device_code_pending_polls: How many token polls of each device code are
            answered ``authorization_pending`` before the sign-in completes.
        device_code_interval: The polling interval the device code endpoint asks for.
        clock: The time source for issued tokens and device code expiry.
    """

    def __init__(
        self,
        *,
        tenant_id: str = DEFAULT_TENANT_ID,
        token_lifetime: int = 3600,
        device_code_pending_polls: int = 1,
        device_code_interval: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if token_lifetime <= 0:
            raise ValueError("token_lifetime must be positive")
        if device_code_pending_polls < 0 or device_code_interval < 0:
            raise ValueError("device code polls and interval cannot be negative")
        super().__init__(tenant_id, clock)
        self.token_lifetime = token_lifetime
        self.device_code_pending_polls = device_code_pending_polls
        self.device_code_interval = device_code_interval
        self._kid = "azlogin-emulator-" + secrets.token_hex(4)
        self._loopback = Loopback()
        self._tokens = TokenEndpoint(self, key_id=self._kid, clock=clock)
        self._router = Router(route_handlers(self, self._tokens), self._tokens.summarize)
        self.requests = self._router.requests
        """Requests received per route name (the routes :meth:`fail` names)."""
        self.token_requests = self._router.token_requests
        """One entry per token endpoint request, non-secret fields only."""
        self.request_log = self._router.request_log
        """``(time.monotonic() when answered, route, status)`` of every request, in order."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start both servers and write the CA file.

        Raises:
            RuntimeError: the emulator is already running.
        """
        self._loopback.start(self._router.dispatch)
        logger.debug("Entra emulator listening at %s and %s", self.authority, self.imds_endpoint)

    def stop(self) -> None:
        """Stop both servers, end open connections and delete the CA file. Idempotent."""
        self._loopback.stop()

    def __enter__(self) -> EntraEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.authority if self._loopback.is_running else "stopped"
        return (
            f"EntraEmulator(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"authority={where!r})"
        )

    # ------------------------------------------------------------------ addresses

    @property
    def authority(self) -> str:
        """The authority host, ``https://127.0.0.1:PORT`` (no tenant, no trailing slash)."""
        return self._loopback.entra_url

    @property
    def token_url(self) -> str:
        """The v2.0 token endpoint of :attr:`tenant_id`."""
        return f"{self.authority}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def imds_endpoint(self) -> str:
        """The IMDS host, the value for ``AZURE_POD_IDENTITY_AUTHORITY_HOST``."""
        return self._loopback.identity_url

    @property
    def app_service_endpoint(self) -> str:
        """The App Service identity endpoint, the value for ``IDENTITY_ENDPOINT``."""
        return self.imds_endpoint + "/msi/token"

    @property
    def ca_path(self) -> str:
        """The PEM file of the CA that signed the HTTPS server's certificate."""
        return self._loopback.running().ca_path

    @property
    def ca(self) -> trustme.CA:
        """The ``trustme.CA``, to issue certificates for other loopback servers the tests trust."""
        return self._loopback.ca

    # ------------------------------------------------------------------ counters and faults

    def fail(
        self,
        route: str,
        *,
        status: int | None = 503,
        times: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Make the next ``times`` requests on ``route`` fail (``-1``: until :meth:`reset`).

        Each waits ``delay`` seconds, then answers ``status`` with ``body`` (by
        default an error shaped like the route's real service) and a
        ``Retry-After`` header when ``retry_after`` is given. ``status=None``, or
        200 without a ``body``, only delays the normal answer. Faults queue up
        per route in the order they were added. The routes: ``openid-configuration``,
        ``token``, ``devicecode``, ``instance-discovery``, ``jwks``, ``cli`` (the ``az`` and
        ``pwsh`` stand-ins), ``imds``, ``app_service``, ``arm`` and ``other``.

        Raises:
            ValueError: unknown route or impossible settings.
        """
        fault = Fault.checked(
            status=status, times=times, retry_after=retry_after, delay=delay, body=body
        )
        self._router.add_fault(route, fault)

    def reset(self) -> None:
        """Clear request counters, recorded token requests and faults; keep registrations."""
        self._router.reset()

    def revoke_refresh_tokens(self) -> int:
        """Make every refresh token issued so far invalid (as a password reset or an admin
        would); returns how many there were."""
        return self._tokens.revoke_refresh_tokens()

    # ------------------------------------------------------------------ tokens

    def mint_token(
        self,
        *,
        resource: str = STORAGE_RESOURCE,
        tenant_id: str | None = None,
        oid: str | None = None,
        appid: str | None = None,
        lifetime: int | None = None,
        issued_at: float | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> tuple[str, int]:
        """Mint an access token the way every route does.

        Args:
            resource: The resource or scope; becomes ``aud`` (see :func:`audience_from_scope`).
            tenant_id: ``tid`` and the tenant of ``iss``; default :attr:`tenant_id`.
            oid: ``oid`` and ``sub``; default the service principal's object id.
            appid: ``appid``; default :attr:`client_id`.
            lifetime: Seconds until ``exp``; default ``token_lifetime``.
            issued_at: ``iat`` and ``nbf``; default the emulator's clock.
            extra_claims: More claims, added last.

        Returns:
            The token and its expiry in epoch seconds.
        """
        return access_token(
            key_id=self._kid,
            resource=resource,
            tenant_id=tenant_id or self.tenant_id,
            subject=oid or self.sp_object_id,
            appid=appid or self.client_id,
            issued_at=int(self._clock() if issued_at is None else issued_at),
            lifetime=self.token_lifetime if lifetime is None else lifetime,
            extra_claims=extra_claims,
        )

    @staticmethod
    def decode(token: str) -> dict[str, Any]:
        """Return the claims of ``token`` without verifying it."""
        return _jwt.decode_claims(token)

    # ------------------------------------------------------------------ registrations

    def _federated_token_file(self) -> str:
        """The federated token file of this run, in the emulator's temporary folder."""
        path = os.path.join(self._loopback.running().tempdir, "federated-token")
        return path if os.path.exists(path) else self.write_federated_token(path)

    def install_cli_standins(self, bin_dir: str | os.PathLike[str]) -> list[str]:
        """Write the ``az`` and ``pwsh`` stand-ins into ``bin_dir``; return their paths.

        They answer the commands azure-identity runs with this emulator's user's tokens, at
        its current address: install them after :meth:`start` and again after a restart.
        """
        return write_standins(
            bin_dir,
            authority=self.authority,
            ca_path=self.ca_path,
            tenant_id=self.tenant_id,
            subscription_id=self.subscription_id,
        )

    # ------------------------------------------------------------------ environment

    def env(self, login_type: str, **options: object) -> dict[str, str]:
        """Return the environment variables a user sets to log in with ``login_type`` here.

        Generated from the login type's row of :data:`azlogin.LOGIN_TYPES`: each of its
        variables the emulator has a value for (tenant, authority, service principal, a
        federated token file written on first use). ``options``, named by the keywords of
        ``get_credential``, add values or replace them: SPN ``certificate_path``,
        ``certificate_password``; DEVICE, AZCLI, PSCRED ``tenant_id``; WORKLOAD
        ``federated_token_file`` (or ``token_file``); and so on. MSI also takes ``via``
        (``"imds"``, the default, or ``"app_service"``: the platform variables that
        azure-identity reads from ``os.environ``) and ``identity`` (``"client_id"``,
        ``"object_id"`` or ``"resource_id"``: which way to name the user-assigned identity;
        none for the system-assigned one).

        Raises:
            ValueError: unknown login type or option, or an option without the one it needs.
        """
        return login_environment(self, login_type, options)
