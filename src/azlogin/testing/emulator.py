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
"""

from __future__ import annotations

import collections
import email.message
import hashlib
import hmac
import http.server
import json
import logging
import os
import secrets
import shutil
import socket
import socketserver
import ssl
import string
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from . import _jwt
from ._standins import write_standins

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
        "other",
    }
)

STORAGE_RESOURCE = "https://storage.azure.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
USERNAME = "user@azlogin.test"
_USER_DISPLAY_NAME = "AzLogin Test User"
_FEDERATED_ISSUER = "https://kubernetes.default.svc"
_FEDERATED_SUBJECT = "system:serviceaccount:default:azlogin"
_FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})
_DEVICE_CODE_LIFETIME = 900
_ASSERTION_SKEW = 300
_MAX_BODY = 1 << 20
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

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
_IMDS_SELECTORS = ("client_id", "object_id", "msi_res_id", "mi_res_id")
_APP_SERVICE_SELECTORS = ("client_id", "object_id", "principal_id", "mi_res_id")


def audience_from_scope(scope: str) -> str:
    """Return the ``aud`` Entra puts in a token requested for ``scope`` (or resource).

    A trailing ``/.default`` is dropped, and so is the trailing slash of
    ``https://storage.azure.com/``; other resources are kept as given.
    """
    resource = scope[: -len("/.default")] if scope.endswith("/.default") else scope
    if resource == STORAGE_RESOURCE + "/":
        return STORAGE_RESOURCE
    return resource


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Request:
    """An HTTP request as the route handlers see it (headers keyed in lower case)."""

    method: str
    parts: tuple[str, ...]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str]

    @property
    def tenant(self) -> str:
        """The first path segment: the tenant of Entra routes."""
        return self.parts[0] if self.parts else ""

    @property
    def is_v2(self) -> bool:
        """Whether an Entra route was called on its v2.0 endpoint."""
        return "v2.0" in self.parts

    def header(self, name: str) -> str:
        """Return the value of header ``name``, or an empty string."""
        return self.headers.get(name.lower(), "")

    def json(self) -> dict[str, Any]:
        """Return the body parsed as a JSON object.

        Raises:
            ValueError: the body is not a JSON object.
        """
        value = json.loads(self.body.decode("utf-8"))
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        return value


@dataclass
class _Reply:
    status: int
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


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


@dataclass(frozen=True)
class _Certificate:
    sha1: bytes
    sha256: bytes
    public_key: rsa.RSAPublicKey


@dataclass
class _DeviceCode:
    client_id: str
    scope: str
    pending_polls: int
    expires_at: float


@dataclass(frozen=True)
class _Identity:
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


_RouteHandler = Callable[[_Request], _Reply]


def _first_values(parsed: Mapping[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in parsed.items() if values}


def _build_request(
    method: str, target: str, headers: email.message.Message, body: bytes
) -> _Request:
    split = urlsplit(target)
    header_map = {name.lower(): value for name, value in headers.items()}
    content_type = header_map.get("content-type", "")
    is_form = method == "POST" and (
        not content_type or "application/x-www-form-urlencoded" in content_type
    )
    form_text = body.decode("utf-8", "replace") if is_form else ""
    return _Request(
        method=method,
        parts=tuple(unquote(part) for part in split.path.split("/") if part),
        query=_first_values(parse_qs(split.query, keep_blank_values=True)),
        headers=header_map,
        body=body,
        form=_first_values(parse_qs(form_text, keep_blank_values=True)),
    )


def _oauth_error(status: int, error: str, description: str, code: int) -> _Reply:
    """Build an error response shaped like Entra's."""
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return _Reply(status, body)


def _identity_error(status: int, error: str, description: str) -> _Reply:
    return _Reply(status, {"error": error, "error_description": description})


def _app_service_error(status: int, message: str) -> _Reply:
    body = {"statusCode": status, "message": message, "correlationId": str(uuid.uuid4())}
    return _Reply(status, body)


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(http.server.ThreadingHTTPServer):
    """A loopback server that hands requests to its emulator; TLS when given a context."""

    daemon_threads = True

    def __init__(self, emulator: EntraEmulator, kind: str, context: ssl.SSLContext | None) -> None:
        self.emulator = emulator
        self.kind = kind
        self.context = context
        self.stopping = False
        self.port = 0
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS look-up ``HTTPServer`` does."""
        socketserver.TCPServer.server_bind(self)
        self.port = int(self.socket.getsockname()[1])
        self.server_name = "127.0.0.1"
        self.server_port = self.port

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection; the TLS handshake happens later, in its own thread."""
        sock, address = self.socket.accept()
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a broken connection quietly instead of printing a traceback."""
        logger.debug("%s connection from %s failed", self.kind, client_address, exc_info=True)

    def track(self, sock: socket.socket) -> None:
        """Remember an open connection so that ``close_connections`` can end it."""
        with self._connections_lock:
            self._connections.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        """Forget a connection its handler has finished with."""
        with self._connections_lock:
            self._connections.discard(sock)

    def close_connections(self) -> None:
        """End every kept-alive connection, so no handler outlives the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("connection already closed")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Reads one HTTP/1.1 request at a time and writes the emulator's JSON reply."""

    protocol_version = "HTTP/1.1"
    server_version = "azlogin-entra-emulator"
    sys_version = ""
    timeout = 30.0
    server: _Server

    def setup(self) -> None:
        """Finish the TLS handshake (off the accepting thread) and track the connection."""
        connection = self.request
        if isinstance(connection, ssl.SSLSocket):
            connection.settimeout(self.timeout)
            connection.do_handshake()
        self.server.track(connection)
        super().setup()

    def finish(self) -> None:
        """Flush and forget the connection."""
        try:
            super().finish()
        finally:
            self.server.untrack(self.request)

    def do_GET(self) -> None:
        """Serve a GET request."""
        self._handle()

    def do_POST(self) -> None:
        """Serve a POST request."""
        self._handle()

    def do_PUT(self) -> None:
        """Serve a PUT request (always 404)."""
        self._handle()

    def do_DELETE(self) -> None:
        """Serve a DELETE request (always 404)."""
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Send the standard access log to ``logging`` at debug level."""
        logger.debug("%s server: %s", self.server.kind, format % args)

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            return
        request = _build_request(self.command, self.path, self.headers, body)
        try:
            reply = self.server.emulator._dispatch(request, self.server.kind)
        except Exception:
            logger.exception("Entra emulator failed to answer a %s request", self.command)
            reply = _identity_error(500, "server_error", "The emulator failed; see its log.")
        self._send(reply)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(_identity_error(411, "invalid_request", "Send a Content-Length."), True)
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self._send(_identity_error(400, "invalid_request", "Bad Content-Length."), True)
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, reply: _Reply, close: bool = False) -> None:
        payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if close or self.server.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


@dataclass
class _Running:
    entra: _Server
    identity: _Server
    threads: list[threading.Thread]
    tempdir: str
    ca_path: str


def _serve(server: _Server) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"azlogin-emulator-{server.kind}",
        daemon=True,
    )
    thread.start()
    return thread


# --------------------------------------------------------------------------- certificates


def _self_signed_certificate(key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _encryption(password: str | None) -> serialization.KeySerializationEncryption:
    if password:
        return serialization.BestAvailableEncryption(password.encode("utf-8"))
    return serialization.NoEncryption()


def _pem_file(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, password: str | None, include_key: bool
) -> bytes:
    data = cert.public_bytes(serialization.Encoding.PEM)
    if include_key:
        data += key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _encryption(password)
        )
    elif password:
        raise ValueError("a password only applies to a PEM file that includes the key")
    return data


def _pkcs12_file(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, password: str | None, include_key: bool
) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"azlogin-test", key if include_key else None, cert, None, _encryption(password)
    )


def _write_private_file(path: str | os.PathLike[str], data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


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
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._faults: dict[str, list[_Fault]] = {}
        self._certificates: list[_Certificate] = []
        self._federated_tokens: set[str] = set()
        self._device_codes: dict[str, _DeviceCode] = {}
        self._refresh_tokens: dict[str, str] = {}
        self._kid = "azlogin-emulator-" + secrets.token_hex(4)
        self._ca = trustme.CA(key_type=trustme.KeyType.RSA)
        self._server_cert = self._ca.issue_cert(
            "127.0.0.1", "localhost", key_type=trustme.KeyType.RSA
        )
        self._running: _Running | None = None

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
            _Identity(self.system_identity_client_id, self.system_identity_object_id, None),
            _Identity(self.msi_client_id, self.msi_object_id, self.msi_resource_id),
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

    def _start_servers(self, tempdir: str) -> _Running:
        ca_path = os.path.join(tempdir, "ca.pem")
        self._ca.cert_pem.write_to_path(ca_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_cert.configure_cert(context)
        entra = _Server(self, "entra", context)
        try:
            identity = _Server(self, "identity", None)
        except BaseException:
            entra.server_close()
            raise
        threads = [_serve(entra), _serve(identity)]
        return _Running(entra, identity, threads, tempdir, ca_path)

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

    def _require_running(self) -> _Running:
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
            self._faults.clear()

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

    def _fault_reply(self, route: str, fault: _Fault) -> _Reply:
        status = fault.status if fault.status is not None else 503
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.body is not None:
            return _Reply(status, dict(fault.body), headers)
        if route == "imds":
            reply = _identity_error(status, "service_unavailable", "Emulated IMDS fault.")
        elif route == "app_service":
            reply = _app_service_error(status, "Emulated App Service fault.")
        else:
            description = f"AADSTS50000: Emulated fault on route '{route}' (HTTP {status})."
            reply = _oauth_error(status, "temporarily_unavailable", description, 50000)
        reply.headers.update(headers)
        return reply

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, request: _Request, kind: str) -> _Reply:
        """Count the request, apply any fault, and run the route's handler."""
        route, handler = self._resolve(request, kind)
        with self._lock:
            self.requests[route] += 1
            if route == "token":
                self.token_requests.append(self._summarize_token_request(request))
            fault = self._take_fault(route)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.answers:
            reply = self._fault_reply(route, fault)
        else:
            reply = handler(request)
        logger.debug("emulator route %s answered %d", route, reply.status)
        return reply

    def _resolve(self, request: _Request, kind: str) -> tuple[str, _RouteHandler]:
        """Name the route ``request`` is for, and the method that answers it."""
        handlers: dict[str, _RouteHandler] = {
            "openid-configuration": self._openid_configuration,
            "token": self._token,
            "devicecode": self._devicecode,
            "instance-discovery": self._instance_discovery,
            "jwks": self._jwks,
            "imds": self._imds,
            "app_service": self._app_service,
        }
        if kind == "entra":
            if request.method == "POST" and request.parts == _STANDIN_PATH:
                return "cli", self._standin_token
            for route, method, suffix in _ENTRA_PATHS:
                if request.method == method and request.parts[1:] == suffix and request.tenant:
                    return route, handlers[route]
        else:
            for route, method, path in _IDENTITY_PATHS:
                if request.method == method and request.parts == path:
                    return route, handlers[route]
        return "other", self._not_found

    def _summarize_token_request(self, request: _Request) -> dict[str, str]:
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
            federated = form["client_assertion"] in self._federated_tokens
            return "federated" if federated else "assertion"
        if "client_secret" in form:
            return "secret"
        return "none"

    # ------------------------------------------------------------------ Entra discovery routes

    def _not_found(self, request: _Request) -> _Reply:
        return _Reply(404, {"error": "not_found", "error_description": "No such endpoint."})

    def _openid_configuration(self, request: _Request) -> _Reply:
        base = f"{self.authority}/{request.tenant}"
        return _Reply(
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

    def _instance_discovery(self, request: _Request) -> _Reply:
        endpoint = urlsplit(request.query.get("authorization_endpoint", ""))
        segments = [part for part in endpoint.path.split("/") if part]
        tenant = segments[0] if segments else "common"
        host = urlsplit(self.authority).netloc
        return _Reply(
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

    def _jwks(self, request: _Request) -> _Reply:
        return _Reply(200, {"keys": []})

    # ------------------------------------------------------------------ token endpoint

    def _token(self, request: _Request) -> _Reply:
        grant = request.form.get("grant_type", "")
        if grant == "client_credentials":
            return self._client_credentials(request)
        if grant == DEVICE_CODE_GRANT:
            return self._device_code_grant(request)
        if grant == "refresh_token":
            return self._refresh_grant(request)
        description = f"AADSTS70003: The app requested an unsupported grant type '{grant[:80]}'."
        return _oauth_error(400, "unsupported_grant_type", description, 70003)

    def _client_credentials(self, request: _Request) -> _Reply:
        client_id = request.form.get("client_id", "")
        if client_id != self.client_id:
            description = (
                f"AADSTS700016: Application with identifier '{client_id[:80]}' was not found "
                f"in the directory '{request.tenant}'."
            )
            return _oauth_error(400, "unauthorized_client", description, 700016)
        problem = self._authenticate_client(request) or self._client_scope_problem(request)
        if problem is not None:
            return problem
        token, _ = self.mint_token(
            resource=self._requested_resource(request.form),
            tenant_id=self._token_tenant(request.tenant),
            oid=self.sp_object_id,
            appid=self.client_id,
            extra_claims={"idtyp": "app"},
        )
        return _Reply(200, self._token_body(token))

    def _token_body(self, access_token: str) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": access_token,
        }

    def _authenticate_client(self, request: _Request) -> _Reply | None:
        form = request.form
        if "client_secret" in form:
            given = form["client_secret"].encode("utf-8")
            if hmac.compare_digest(given, self.client_secret.encode("utf-8")):
                return None
            description = (
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{self.client_id}'."
            )
            return _oauth_error(401, "invalid_client", description, 7000215)
        assertion = form.get("client_assertion", "")
        if assertion and form.get("client_assertion_type") == JWT_BEARER:
            reason = self._assertion_problem(assertion, request.tenant)
            if reason is None:
                return None
            return _oauth_error(401, "invalid_client", f"AADSTS700027: {reason}", 700027)
        description = (
            "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for "
            "the 'client_credentials' grant type."
        )
        return _oauth_error(401, "invalid_client", description, 7000216)

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
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
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
        port = self._require_running().entra.port
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

    def _client_scope_problem(self, request: _Request) -> _Reply | None:
        scopes = _resource_scopes(request.form.get("scope", ""))
        if not scopes and not request.form.get("resource"):
            description = (
                "AADSTS900144: The request body must contain the following parameter: 'scope'."
            )
            return _oauth_error(400, "invalid_request", description, 900144)
        if request.is_v2 and scopes and not scopes[0].endswith("/.default"):
            description = (
                f"AADSTS1002012: The provided value for scope {scopes[0]} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI)."
            )
            return _oauth_error(400, "invalid_scope", description, 1002012)
        return None

    @staticmethod
    def _requested_resource(form: Mapping[str, str]) -> str:
        scopes = _resource_scopes(form.get("scope", ""))
        if scopes:
            return audience_from_scope(scopes[0])
        return audience_from_scope(form.get("resource") or GRAPH_RESOURCE)

    def _token_tenant(self, tenant: str) -> str:
        """The tenant a token is issued in: the path's, or the home tenant for aliases."""
        return self.tenant_id if tenant.lower() in _TENANT_ALIASES else tenant

    # ------------------------------------------------------------------ user flows

    def _devicecode(self, request: _Request) -> _Reply:
        client_id = request.form.get("client_id", "")
        if not client_id:
            description = (
                "AADSTS900144: The request body must contain the following parameter: 'client_id'."
            )
            return _oauth_error(400, "invalid_request", description, 900144)
        device_code = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
        entry = _DeviceCode(
            client_id=client_id,
            scope=request.form.get("scope", ""),
            pending_polls=self.device_code_pending_polls,
            expires_at=self._clock() + _DEVICE_CODE_LIFETIME,
        )
        with self._lock:
            self._device_codes[device_code] = entry
        verification_uri = f"{self.authority}/devicelogin"
        message = (
            f"To sign in, use a web browser to open the page {verification_uri} and enter the "
            f"code {user_code} to authenticate."
        )
        body = {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": _DEVICE_CODE_LIFETIME,
            "interval": self.device_code_interval,
            "message": message,
        }
        return _Reply(200, body)

    def _device_code_grant(self, request: _Request) -> _Reply:
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
            return _oauth_error(400, "authorization_pending", description, 70016)
        if state == "expired":
            description = (
                "AADSTS70020: The provided value for the input parameter 'device_code' has expired."
            )
            return _oauth_error(400, "expired_token", description, 70020)
        if state == "invalid" or entry is None:
            description = "AADSTS70000: The provided value for the 'device_code' is not valid."
            return _oauth_error(400, "invalid_grant", description, 70000)
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

    def _refresh_grant(self, request: _Request) -> _Reply:
        client_id = request.form.get("client_id", "")
        with self._lock:
            owner = self._refresh_tokens.get(request.form.get("refresh_token", ""))
        if owner is None or owner != client_id:
            description = "AADSTS70000: The provided value for the 'refresh_token' is not valid."
            return _oauth_error(400, "invalid_grant", description, 70000)
        return self._user_token_reply(client_id, request.form.get("scope", ""), request.tenant)

    def _user_token_reply(self, client_id: str, scope: str, tenant: str) -> _Reply:
        token_tenant = self._token_tenant(tenant)
        scopes = _resource_scopes(scope)
        resource = audience_from_scope(scopes[0]) if scopes else GRAPH_RESOURCE
        access_token, _ = self.mint_token(
            resource=resource,
            tenant_id=token_tenant,
            oid=self.user_object_id,
            appid=client_id,
            extra_claims=self._user_claims(),
        )
        refresh_token = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh_tokens[refresh_token] = client_id
        client_info = {"uid": self.user_object_id, "utid": self.tenant_id}
        body = self._token_body(access_token)
        body.update(
            {
                "scope": " ".join(scopes) or scope,
                "refresh_token": refresh_token,
                "id_token": self._id_token(client_id, token_tenant),
                "client_info": _jwt.b64url_encode(json.dumps(client_info).encode("utf-8")),
            }
        )
        return _Reply(200, body)

    def _user_claims(self) -> dict[str, Any]:
        return {
            "idtyp": "user",
            "name": _USER_DISPLAY_NAME,
            "scp": "user_impersonation",
            "unique_name": self.username,
            "upn": self.username,
        }

    def _id_token(self, client_id: str, tenant: str) -> str:
        now = int(self._clock())
        pairwise = hashlib.sha256(f"{self.user_object_id}:{client_id}".encode()).digest()
        claims = {
            "aud": client_id,
            "iss": f"{self.authority}/{tenant}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "name": _USER_DISPLAY_NAME,
            "oid": self.user_object_id,
            "preferred_username": self.username,
            "sub": _jwt.b64url_encode(pairwise),
            "tid": tenant,
            "ver": "2.0",
        }
        return _jwt.encode_unsigned(self._token_header(), claims)

    # ------------------------------------------------------------------ managed identity routes

    def _imds(self, request: _Request) -> _Reply:
        if request.header("Metadata").lower() != "true":
            return _identity_error(400, "invalid_request", "Required metadata header not specified")
        problem = _identity_query_problem(request)
        if problem is not None:
            return _identity_error(400, "invalid_request", problem)
        identity = self._select_identity(request.query, _IMDS_SELECTORS)
        if identity is None:
            return _identity_error(400, "invalid_request", "Identity not found")
        resource = request.query["resource"]
        token, expires_on = self._identity_token(resource, identity)
        lifetime = str(self.token_lifetime)
        body = {
            "access_token": token,
            "client_id": identity.client_id,
            "expires_in": lifetime,
            "expires_on": str(expires_on),
            "ext_expires_in": lifetime,
            "not_before": str(expires_on - self.token_lifetime),
            "resource": resource,
            "token_type": "Bearer",
        }
        return _Reply(200, body)

    def _app_service(self, request: _Request) -> _Reply:
        given = request.header("X-IDENTITY-HEADER").encode("utf-8")
        if not hmac.compare_digest(given, self.identity_header.encode("utf-8")):
            return _app_service_error(401, "The X-IDENTITY-HEADER header is missing or wrong.")
        problem = _identity_query_problem(request)
        if problem is not None:
            return _app_service_error(400, problem)
        identity = self._select_identity(request.query, _APP_SERVICE_SELECTORS)
        if identity is None:
            body = {
                "error": "invalid_request",
                "error_description": "Identity not found",
                "statusCode": 400,
                "message": "Identity not found",
            }
            return _Reply(400, body)
        resource = request.query["resource"]
        token, expires_on = self._identity_token(resource, identity)
        body = {
            "access_token": token,
            "expires_on": str(expires_on),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": identity.client_id,
        }
        return _Reply(200, body)

    def _select_identity(
        self, query: Mapping[str, str], selectors: tuple[str, ...]
    ) -> _Identity | None:
        given = [(name, query[name]) for name in selectors if query.get(name)]
        if not given:
            return self._identities[0]
        if len(given) > 1:
            return None
        name, value = given[0]
        return next((i for i in self._identities if i.matches(name, value)), None)

    def _identity_token(self, resource: str, identity: _Identity) -> tuple[str, int]:
        return self.mint_token(
            resource=resource,
            tenant_id=self.tenant_id,
            oid=identity.object_id,
            appid=identity.client_id,
            extra_claims={"idtyp": "app"},
        )

    # ------------------------------------------------------------------ stand-in route

    def _standin_token(self, request: _Request) -> _Reply:
        try:
            data = request.json()
        except ValueError:
            return _oauth_error(400, "invalid_request", "Expected a JSON body.", 900144)
        resource = data.get("resource")
        appid = {"az": AZURE_CLI_CLIENT_ID, "pwsh": AZURE_POWERSHELL_CLIENT_ID}.get(
            str(data.get("tool"))
        )
        if not isinstance(resource, str) or not resource or appid is None:
            description = "Expected 'resource' and 'tool' ('az' or 'pwsh')."
            return _oauth_error(400, "invalid_request", description, 900144)
        tenant = data.get("tenant") or self.tenant_id
        token, expires_on = self.mint_token(
            resource=resource,
            tenant_id=str(tenant),
            oid=self.user_object_id,
            appid=appid,
            extra_claims=self._user_claims(),
        )
        return _Reply(200, {"access_token": token, "expires_on": expires_on})

    # ------------------------------------------------------------------ tokens

    def _token_header(self) -> dict[str, str]:
        return {"alg": "RS256", "typ": "JWT", "kid": self._kid}

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
        return _jwt.encode_unsigned(self._token_header(), claims), expires_on

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
        cert = _self_signed_certificate(key, f"azlogin-emulator-{self.client_id}")
        writer = _pem_file if kind == "pem" else _pkcs12_file
        data = writer(cert, key, password, include_key)
        registered = _Certificate(
            sha1=cert.fingerprint(hashes.SHA1()),  # noqa: S303 - x5t is defined as SHA-1
            sha256=cert.fingerprint(hashes.SHA256()),
            public_key=key.public_key(),
        )
        with self._lock:
            self._certificates.append(registered)
        _write_private_file(path, data)
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
        with self._lock:
            self._federated_tokens.add(token)
        _write_private_file(path, token.encode("ascii"))
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


def _resource_scopes(scope: str) -> list[str]:
    """The requested scopes other than OpenID Connect's own."""
    return [item for item in scope.split() if item.lower() not in _OIDC_SCOPES]


def _identity_query_problem(request: _Request) -> str | None:
    if not request.query.get("api-version"):
        return "Required query variable 'api-version' is missing"
    if not request.query.get("resource"):
        return "Required audience parameter not specified"
    return None


def _candidate_certificates(
    header: Mapping[str, Any], certificates: list[_Certificate]
) -> list[_Certificate]:
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
