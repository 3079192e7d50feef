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

Access tokens are JWTs with Azure's claims and a placeholder signature:
Azurite's ``--oauth basic`` mode and azure-identity parse them but never verify
the signature. Every request is counted per route in
:attr:`EntraEmulator.requests`; :meth:`EntraEmulator.fail` injects errors and
delays. Secrets (client secrets, assertions, device codes, refresh tokens,
the identity header) never appear in logs, in :attr:`~EntraEmulator.token_requests`
or in error responses.

This module holds the emulator itself: its lifecycle, routing, request counters
and faults, discovery routes, token minting, registrations and environments.
The HTTP servers live in :mod:`._http`, the token and device code endpoints in
:mod:`._token_endpoint`, the IMDS and App Service routes in
:mod:`._managed_identity`, and the certificate file helpers in :mod:`._certificates`.
"""

from __future__ import annotations

import collections
import logging
import os
import secrets
import shutil
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import trustme
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from . import _jwt
from ._certificates import pem_file, pkcs12_file, self_signed_certificate, write_private_file
from ._http import (
    Reply,
    Request,
    Running,
    Server,
    app_service_error,
    identity_error,
    oauth_error,
    serve,
)
from ._managed_identity import Identity, app_service_reply, imds_reply
from ._standins import write_standins

# Defined next to the token endpoint; re-exported so that they stay importable from here.
from ._token_endpoint import DEVICE_CODE_GRANT as DEVICE_CODE_GRANT
from ._token_endpoint import GRAPH_RESOURCE as GRAPH_RESOURCE
from ._token_endpoint import JWT_BEARER as JWT_BEARER
from ._token_endpoint import STORAGE_RESOURCE as STORAGE_RESOURCE
from ._token_endpoint import (
    Certificate,
    TokenEndpoint,
    audience_from_scope,
    jwt_header,
    user_claims,
)

__all__ = [
    "AZURE_CLI_CLIENT_ID",
    "AZURE_POWERSHELL_CLIENT_ID",
    "DEFAULT_TENANT_ID",
    "ROUTES",
    "EntraEmulator",
    "audience_from_scope",
]

logger = logging.getLogger(__name__)

#: The tenant an emulator registers its principals in unless told otherwise (not a real tenant).
DEFAULT_TENANT_ID = "4f1e2d3c-5b6a-4798-8a1b-a21c0be1e7a0"
#: The application ids Azure CLI and Azure PowerShell sign in with (the ``appid`` of their tokens).
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AZURE_POWERSHELL_CLIENT_ID = "1950a258-227b-4e31-a9cf-717495945fc2"
#: Route names, as counted in :attr:`EntraEmulator.requests` and accepted by ``fail()``.
ROUTES = frozenset(
    {
        "openid-configuration",
        "token",
        "devicecode",
        "instance-discovery",
        "jwks",
        "cli",
        "imds",
        "app_service",
        "arm",
        "other",
    }
)

USERNAME = "user@azlogin.test"
_FEDERATED_ISSUER = "https://kubernetes.default.svc"
_FEDERATED_SUBJECT = "system:serviceaccount:default:azlogin"
_FEDERATED_AUDIENCE = "api://AzureADTokenExchange"

_ENTRA_PATHS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("openid-configuration", "GET", ("v2.0", ".well-known", "openid-configuration")),
    ("openid-configuration", "GET", (".well-known", "openid-configuration")),
    ("token", "POST", ("oauth2", "v2.0", "token")),
    ("token", "POST", ("oauth2", "token")),
    ("devicecode", "POST", ("oauth2", "v2.0", "devicecode")),
    ("devicecode", "POST", ("oauth2", "devicecode")),
    ("instance-discovery", "GET", ("discovery", "instance")),
    ("jwks", "GET", ("discovery", "v2.0", "keys")),
    ("jwks", "GET", ("discovery", "keys")),
)
_IDENTITY_PATHS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("imds", "GET", ("metadata", "identity", "oauth2", "token")),
    ("app_service", "GET", ("msi", "token")),
)
_STANDIN_PATH = ("_standin", "token")
# The Azure Resource Manager calls `az login` makes after it has a token.
_ARM_COLLECTIONS = frozenset({"subscriptions", "tenants"})


# --------------------------------------------------------------------------- data


@dataclass
class _Fault:
    status: int | None
    remaining: int
    retry_after: int | None
    delay: float
    body: Mapping[str, Any] | None

    @property
    def answers(self) -> bool:
        """Whether the fault replaces the normal answer (rather than only delaying it)."""
        return self.status is not None and (self.status != 200 or self.body is not None)


_RouteHandler = Callable[[Request], Reply]


# --------------------------------------------------------------------------- the emulator


class EntraEmulator:
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
        self.tenant_id = tenant_id
        self.token_lifetime = token_lifetime
        self.device_code_pending_polls = device_code_pending_polls
        self.device_code_interval = device_code_interval
        self._clock = clock
        self._init_principals()
        #: Requests received per route name (see :data:`ROUTES`).
        self.requests: collections.Counter[str] = collections.Counter()
        #: One entry per token endpoint request, non-secret fields only.
        self.token_requests: list[dict[str, str]] = []
        #: ``(time.monotonic() when answered, route, status)`` of every request, in order.
        self.request_log: list[tuple[float, str, int]] = []
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._faults: dict[str, list[_Fault]] = {}
        self._kid = "azlogin-emulator-" + secrets.token_hex(4)
        self._tokens = TokenEndpoint(self, key_id=self._kid, clock=clock)
        self._ca = trustme.CA(key_type=trustme.KeyType.RSA)
        self._server_cert = self._ca.issue_cert(
            "127.0.0.1", "localhost", key_type=trustme.KeyType.RSA
        )
        self._running: Running | None = None

    def _init_principals(self) -> None:
        self.client_id = str(uuid.uuid4())
        self.client_secret = secrets.token_urlsafe(24)
        self.sp_object_id = str(uuid.uuid4())
        self.subscription_id = str(uuid.uuid4())
        self.system_identity_client_id = str(uuid.uuid4())
        self.system_identity_object_id = str(uuid.uuid4())
        self.msi_client_id = str(uuid.uuid4())
        self.msi_object_id = str(uuid.uuid4())
        self.msi_resource_id = (
            f"/subscriptions/{self.subscription_id}/resourcegroups/rg/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/azlogin-test"
        )
        self.user_object_id = str(uuid.uuid4())
        self.username = USERNAME
        self.identity_header = secrets.token_urlsafe(24)
        self._identities = (
            Identity(self.system_identity_client_id, self.system_identity_object_id, None),
            Identity(self.msi_client_id, self.msi_object_id, self.msi_resource_id),
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start both servers and write the CA file.

        Raises:
            RuntimeError: the emulator is already running.
        """
        with self._state_lock:
            if self._running is not None:
                raise RuntimeError("EntraEmulator is already running")
            tempdir = tempfile.mkdtemp(prefix="azlogin-entra-")
            try:
                self._running = self._start_servers(tempdir)
            except BaseException:
                shutil.rmtree(tempdir, ignore_errors=True)
                raise
        logger.debug("Entra emulator listening at %s and %s", self.authority, self.imds_endpoint)

    def _start_servers(self, tempdir: str) -> Running:
        ca_path = os.path.join(tempdir, "ca.pem")
        self._ca.cert_pem.write_to_path(ca_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_cert.configure_cert(context)
        entra = Server(self._dispatch, "entra", context)
        try:
            identity = Server(self._dispatch, "identity", None)
        except BaseException:
            entra.server_close()
            raise
        threads = [serve(entra), serve(identity)]
        return Running(entra, identity, threads, tempdir, ca_path)

    def stop(self) -> None:
        """Stop both servers, end open connections and delete the CA file. Idempotent."""
        with self._state_lock:
            running = self._running
            if running is None:
                return
            for server in (running.entra, running.identity):
                server.stopping = True
                server.shutdown()
                server.close_connections()
                server.server_close()
            for thread in running.threads:
                thread.join(timeout=5)
            self._running = None
            shutil.rmtree(running.tempdir, ignore_errors=True)

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
        where = self.authority if self._running is not None else "stopped"
        return (
            f"EntraEmulator(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"authority={where!r})"
        )

    # ------------------------------------------------------------------ addresses

    def _require_running(self) -> Running:
        running = self._running
        if running is None:
            raise RuntimeError("EntraEmulator is not running: use it in a with block or start()")
        return running

    @property
    def authority(self) -> str:
        """The authority host, ``https://127.0.0.1:PORT`` (no tenant, no trailing slash)."""
        return f"https://127.0.0.1:{self._require_running().entra.port}"

    @property
    def token_url(self) -> str:
        """The v2.0 token endpoint of :attr:`tenant_id`."""
        return f"{self.authority}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def imds_endpoint(self) -> str:
        """The IMDS host, the value for ``AZURE_POD_IDENTITY_AUTHORITY_HOST``."""
        return f"http://127.0.0.1:{self._require_running().identity.port}"

    @property
    def app_service_endpoint(self) -> str:
        """The App Service identity endpoint, the value for ``IDENTITY_ENDPOINT``."""
        return self.imds_endpoint + "/msi/token"

    @property
    def ca_path(self) -> str:
        """The PEM file of the CA that signed the HTTPS server's certificate."""
        return self._require_running().ca_path

    @property
    def ca(self) -> trustme.CA:
        """The CA, to issue certificates for other loopback servers the tests trust."""
        return self._ca

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
        per route in the order they were added.

        Raises:
            ValueError: unknown route or impossible settings.
        """
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {sorted(ROUTES)}")
        if times == 0 or times < -1:
            raise ValueError("times must be a positive count, or -1 for until reset()")
        if status is not None and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if delay < 0:
            raise ValueError("delay cannot be negative")
        fault = _Fault(status, times, retry_after, delay, dict(body) if body else None)
        with self._lock:
            self._faults.setdefault(route, []).append(fault)

    def reset(self) -> None:
        """Clear request counters, recorded token requests and faults; keep registrations."""
        with self._lock:
            self.requests.clear()
            self.token_requests.clear()
            self.request_log.clear()
            self._faults.clear()

    def revoke_refresh_tokens(self) -> int:
        """Make every refresh token issued so far invalid (as a password reset or an admin
        would); returns how many there were."""
        return self._tokens.revoke_refresh_tokens()

    def _take_fault(self, route: str) -> _Fault | None:
        queue = self._faults.get(route)
        if not queue:
            return None
        fault = queue[0]
        if fault.remaining > 0:
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.pop(0)
        return fault

    def _fault_reply(self, route: str, fault: _Fault) -> Reply:
        status = fault.status if fault.status is not None else 503
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.body is not None:
            return Reply(status, dict(fault.body), headers)
        if route == "imds":
            reply = identity_error(status, "service_unavailable", "Emulated IMDS fault.")
        elif route == "app_service":
            reply = app_service_error(status, "Emulated App Service fault.")
        else:
            description = f"AADSTS50000: Emulated fault on route '{route}' (HTTP {status})."
            reply = oauth_error(status, "temporarily_unavailable", description, 50000)
        reply.headers.update(headers)
        return reply

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, request: Request, kind: str) -> Reply:
        """Count the request, apply any fault, and run the route's handler."""
        route, handler = self._resolve(request, kind)
        with self._lock:
            self.requests[route] += 1
            if route == "token":
                self.token_requests.append(self._tokens.summarize(request))
            fault = self._take_fault(route)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.answers:
            reply = self._fault_reply(route, fault)
        else:
            reply = handler(request)
        logger.debug("emulator route %s answered %d", route, reply.status)
        with self._lock:
            self.request_log.append((time.monotonic(), route, reply.status))
        return reply

    def _resolve(self, request: Request, kind: str) -> tuple[str, _RouteHandler]:
        """Name the route ``request`` is for, and the method that answers it."""
        handlers: dict[str, _RouteHandler] = {
            "openid-configuration": self._openid_configuration,
            "token": self._tokens.token,
            "devicecode": self._tokens.devicecode,
            "instance-discovery": self._instance_discovery,
            "jwks": self._jwks,
            "imds": self._imds,
            "app_service": self._app_service,
        }
        if kind == "entra":
            if request.method == "POST" and request.parts == _STANDIN_PATH:
                return "cli", self._standin_token
            if request.method == "GET" and request.parts[:1] and request.tenant in _ARM_COLLECTIONS:
                return "arm", self._arm
            for route, method, suffix in _ENTRA_PATHS:
                if request.method == method and request.parts[1:] == suffix and request.tenant:
                    return route, handlers[route]
        else:
            for route, method, path in _IDENTITY_PATHS:
                if request.method == method and request.parts == path:
                    return route, handlers[route]
        return "other", self._not_found

    # ------------------------------------------------------------------ Entra discovery routes

    def _not_found(self, request: Request) -> Reply:
        return Reply(404, {"error": "not_found", "error_description": "No such endpoint."})

    def _openid_configuration(self, request: Request) -> Reply:
        base = f"{self.authority}/{request.tenant}"
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

    def _instance_discovery(self, request: Request) -> Reply:
        endpoint = urlsplit(request.query.get("authorization_endpoint", ""))
        segments = [part for part in endpoint.path.split("/") if part]
        tenant = segments[0] if segments else "common"
        host = urlsplit(self.authority).netloc
        return Reply(
            200,
            {
                "tenant_discovery_endpoint": (
                    f"{self.authority}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                ],
            },
        )

    def _jwks(self, request: Request) -> Reply:
        return Reply(200, {"keys": []})

    # ------------------------------------------------------------------ Resource Manager route

    def _arm(self, request: Request) -> Reply:
        """The subscription and tenant lists `az login` reads (one subscription, one tenant)."""
        if not request.header("Authorization").lower().startswith("bearer "):
            return Reply(401, {"error": {"code": "AuthenticationFailed", "message": "No token."}})
        tenant = {"id": f"/tenants/{self.tenant_id}", "tenantId": self.tenant_id}
        subscription = {
            "id": f"/subscriptions/{self.subscription_id}",
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": "azlogin emulator subscription",
            "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01"},
            "authorizationSource": "RoleBased",
        }
        if request.parts[0] == "tenants":
            return Reply(200, {"value": [tenant]})
        if len(request.parts) == 1:
            return Reply(200, {"value": [subscription]})
        if request.parts[1:] == (self.subscription_id,):
            return Reply(200, subscription)
        return Reply(404, {"error": {"code": "SubscriptionNotFound", "message": "No such one."}})

    # ------------------------------------------------------------------ managed identity routes

    def _imds(self, request: Request) -> Reply:
        lifetime = self.token_lifetime
        return imds_reply(request, self._identities, self._identity_token, lifetime)

    def _app_service(self, request: Request) -> Reply:
        header = self.identity_header
        return app_service_reply(request, self._identities, self._identity_token, header)

    def _identity_token(self, resource: str, identity: Identity) -> tuple[str, int]:
        return self.mint_token(
            resource=resource,
            tenant_id=self.tenant_id,
            oid=identity.object_id,
            appid=identity.client_id,
            extra_claims={"idtyp": "app"},
        )

    # ------------------------------------------------------------------ stand-in route

    def _standin_token(self, request: Request) -> Reply:
        try:
            data = request.json()
        except ValueError:
            return oauth_error(400, "invalid_request", "Expected a JSON body.", 900144)
        resource = data.get("resource")
        appid = {"az": AZURE_CLI_CLIENT_ID, "pwsh": AZURE_POWERSHELL_CLIENT_ID}.get(
            str(data.get("tool"))
        )
        if not isinstance(resource, str) or not resource or appid is None:
            description = "Expected 'resource' and 'tool' ('az' or 'pwsh')."
            return oauth_error(400, "invalid_request", description, 900144)
        tenant = data.get("tenant") or self.tenant_id
        token, expires_on = self.mint_token(
            resource=resource,
            tenant_id=str(tenant),
            oid=self.user_object_id,
            appid=appid,
            extra_claims=user_claims(self.username),
        )
        return Reply(200, {"access_token": token, "expires_on": expires_on})

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
        tenant = tenant_id or self.tenant_id
        issued = int(self._clock() if issued_at is None else issued_at)
        expires_on = issued + (self.token_lifetime if lifetime is None else lifetime)
        subject = oid or self.sp_object_id
        claims: dict[str, Any] = {
            "aud": audience_from_scope(resource),
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": issued,
            "nbf": issued,
            "exp": expires_on,
            "appid": appid or self.client_id,
            "oid": subject,
            "sub": subject,
            "tid": tenant,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        claims.update(extra_claims or {})
        return _jwt.encode_unsigned(jwt_header(self._kid), claims), expires_on

    @staticmethod
    def decode(token: str) -> dict[str, Any]:
        """Return the claims of ``token`` without verifying it."""
        return _jwt.decode_claims(token)

    # ------------------------------------------------------------------ registrations

    def write_certificate(
        self,
        path: str | os.PathLike[str],
        *,
        fmt: str = "pem",
        password: str | None = None,
        include_key: bool = True,
    ) -> str:
        """Create a certificate credential of :attr:`client_id` and write it to ``path``.

        Generates an RSA 2048 key and a self-signed certificate and registers the
        certificate. ``fmt="pem"`` writes the certificate then the PKCS#8 key
        (encrypted when ``password`` is given); ``fmt="pkcs12"`` writes a PKCS#12
        file protected by ``password``. ``include_key=False`` leaves the key out.

        Returns:
            ``str(path)``.

        Raises:
            ValueError: unknown ``fmt``, or a password for a key-less PEM file.
        """
        kind = fmt.lower()
        if kind not in ("pem", "pkcs12"):
            raise ValueError(f"unknown certificate format {fmt!r}; expected 'pem' or 'pkcs12'")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = self_signed_certificate(key, f"azlogin-emulator-{self.client_id}")
        writer = pem_file if kind == "pem" else pkcs12_file
        data = writer(cert, key, password, include_key)
        registered = Certificate(
            sha1=cert.fingerprint(hashes.SHA1()),  # noqa: S303 - x5t is defined as SHA-1
            sha256=cert.fingerprint(hashes.SHA256()),
            public_key=key.public_key(),
        )
        self._tokens.add_certificate(registered)
        write_private_file(path, data)
        return str(path)

    def write_federated_token(self, path: str | os.PathLike[str]) -> str:
        """Write a Kubernetes-style service account token that :attr:`client_id` trusts.

        Returns:
            ``str(path)``, for ``AZURE_FEDERATED_TOKEN_FILE``.
        """
        now = int(self._clock())
        claims = {
            "aud": _FEDERATED_AUDIENCE,
            "iss": _FEDERATED_ISSUER,
            "sub": _FEDERATED_SUBJECT,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
        }
        token = _jwt.encode_unsigned({"alg": "RS256", "typ": "JWT", "kid": "azlogin-k8s"}, claims)
        self._tokens.add_federated_token(token)
        write_private_file(path, token.encode("ascii"))
        return str(path)

    def install_cli_standins(self, bin_dir: str | os.PathLike[str]) -> None:
        """Write the ``az`` and ``pwsh`` stand-ins (see :mod:`._standins`) into ``bin_dir``.

        They reach this emulator at its current address, so install them after
        :meth:`start` and again after a restart.
        """
        write_standins(
            bin_dir,
            authority=self.authority,
            ca_path=self.ca_path,
            tenant_id=self.tenant_id,
            subscription_id=self.subscription_id,
        )

    # ------------------------------------------------------------------ environment

    def env(self, login_type: str, **options: object) -> dict[str, str]:
        """Return the environment variables a user sets to log in with ``login_type`` here.

        ``login_type`` is one of SPN, DEVICE, MSI, WORKLOAD, AZCLI, PSCRED (any
        case). Options: SPN ``certificate_path``, ``certificate_password``; MSI
        ``via`` (``"imds"`` or ``"app_service"``) and ``identity`` (``None``,
        ``"client_id"``, ``"object_id"``, ``"resource_id"``); WORKLOAD
        ``token_file`` (required); DEVICE, AZCLI, PSCRED ``tenant_id``.

        Raises:
            ValueError: unknown login type or option, or a missing required option.
        """
        kind = login_type.strip().upper()
        builders: dict[str, tuple[Callable[[Mapping[str, object]], dict[str, str]], set[str]]] = {
            "SPN": (self._env_spn, {"certificate_path", "certificate_password"}),
            "DEVICE": (self._env_device, {"tenant_id"}),
            "MSI": (self._env_msi, {"via", "identity"}),
            "WORKLOAD": (self._env_workload, {"token_file"}),
            "AZCLI": (self._env_tenant, {"tenant_id"}),
            "PSCRED": (self._env_tenant, {"tenant_id"}),
        }
        if kind not in builders:
            raise ValueError(
                f"unknown login type {login_type!r}; expected one of {sorted(builders)}"
            )
        build, allowed = builders[kind]
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise ValueError(f"unknown option(s) for {kind}: {', '.join(unknown)}")
        return {"AZCOPY_AUTO_LOGIN_TYPE": kind, **build(options)}

    def _env_spn(self, options: Mapping[str, object]) -> dict[str, str]:
        env = {
            "AZCOPY_SPA_APPLICATION_ID": self.client_id,
            "AZCOPY_TENANT_ID": self.tenant_id,
            "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": self.authority,
        }
        certificate = options.get("certificate_path")
        password = options.get("certificate_password")
        if certificate:
            env["AZCOPY_SPA_CERT_PATH"] = str(certificate)
            if password:
                env["AZCOPY_SPA_CERT_PASSWORD"] = str(password)
        elif password:
            raise ValueError("certificate_password needs certificate_path")
        else:
            env["AZCOPY_SPA_CLIENT_SECRET"] = self.client_secret
        return env

    def _env_tenant(self, options: Mapping[str, object]) -> dict[str, str]:
        return {"AZCOPY_TENANT_ID": str(options.get("tenant_id") or self.tenant_id)}

    def _env_device(self, options: Mapping[str, object]) -> dict[str, str]:
        return {**self._env_tenant(options), "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": self.authority}

    def _env_msi(self, options: Mapping[str, object]) -> dict[str, str]:
        via = str(options.get("via") or "imds").lower()
        if via == "imds":
            env = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": self.imds_endpoint}
        elif via == "app_service":
            env = {
                "IDENTITY_ENDPOINT": self.app_service_endpoint,
                "IDENTITY_HEADER": self.identity_header,
            }
        else:
            raise ValueError(f"unknown MSI via {via!r}; expected 'imds' or 'app_service'")
        selectors = {
            "client_id": ("AZCOPY_MSI_CLIENT_ID", self.msi_client_id),
            "object_id": ("AZCOPY_MSI_OBJECT_ID", self.msi_object_id),
            "resource_id": ("AZCOPY_MSI_RESOURCE_STRING", self.msi_resource_id),
        }
        identity = options.get("identity")
        if identity is not None:
            if identity not in selectors:
                raise ValueError(
                    f"unknown MSI identity {identity!r}; expected one of {sorted(selectors)}"
                )
            name, value = selectors[str(identity)]
            env[name] = value
        return env

    def _env_workload(self, options: Mapping[str, object]) -> dict[str, str]:
        token_file = options.get("token_file")
        if not token_file:
            raise ValueError("WORKLOAD needs token_file= (see write_federated_token)")
        return {
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_AUTHORITY_HOST": self.authority,
            "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
        }
