"""HTTP plumbing of the Entra emulator: loopback servers, requests, replies and error bodies.

A :class:`Server` reads HTTP/1.1 requests (TLS when given a context), turns
each into a :class:`Request` and hands it to its ``dispatch`` callable, which
answers with a :class:`Reply` that is sent back as JSON. Nothing here knows
which routes exist or what they answer.
"""

from __future__ import annotations

import email.message
import http.server
import json
import logging
import socket
import socketserver
import ssl
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "MAX_BODY",
    "Handler",
    "Reply",
    "Request",
    "Server",
    "app_service_error",
    "build_request",
    "first_values",
    "identity_error",
    "oauth_error",
]

# The emulator's logger, so that log configuration keyed on it keeps covering the servers.
logger = logging.getLogger("azlogin.testing.emulator")

#: The largest request body a server reads, in bytes.
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Request:
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
class Reply:
    """A JSON response: status, body and any extra headers."""

    status: int
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def first_values(parsed: Mapping[str, list[str]]) -> dict[str, str]:
    """Keep the first value of each parameter :func:`urllib.parse.parse_qs` returned."""
    return {key: values[0] for key, values in parsed.items() if values}


def build_request(method: str, target: str, headers: email.message.Message, body: bytes) -> Request:
    """Build the :class:`Request` for a request line's method and target, headers and body."""
    split = urlsplit(target)
    header_map = {name.lower(): value for name, value in headers.items()}
    content_type = header_map.get("content-type", "")
    is_form = method == "POST" and (
        not content_type or "application/x-www-form-urlencoded" in content_type
    )
    form_text = body.decode("utf-8", "replace") if is_form else ""
    return Request(
        method=method,
        parts=tuple(unquote(part) for part in split.path.split("/") if part),
        query=first_values(parse_qs(split.query, keep_blank_values=True)),
        headers=header_map,
        body=body,
        form=first_values(parse_qs(form_text, keep_blank_values=True)),
    )


# --------------------------------------------------------------------------- error bodies


def oauth_error(status: int, error: str, description: str, code: int) -> Reply:
    """Build an error response shaped like Entra's."""
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return Reply(status, body)


def identity_error(status: int, error: str, description: str) -> Reply:
    """Build an error response shaped like IMDS's."""
    return Reply(status, {"error": error, "error_description": description})


def app_service_error(status: int, message: str) -> Reply:
    """Build an error response shaped like the App Service identity endpoint's."""
    body = {"statusCode": status, "message": message, "correlationId": str(uuid.uuid4())}
    return Reply(status, body)


# --------------------------------------------------------------------------- servers


class Server(http.server.ThreadingHTTPServer):
    """A loopback server that hands requests to ``dispatch``; TLS when given a context.

    Args:
        dispatch: Answers a request; called with the request and this server's ``kind``.
        kind: The server's name, for ``dispatch``, logs and thread names.
        context: The TLS context, or ``None`` for plain HTTP.
    """

    daemon_threads = True

    def __init__(
        self,
        dispatch: Callable[[Request, str], Reply],
        kind: str,
        context: ssl.SSLContext | None,
    ) -> None:
        self.dispatch = dispatch
        self.kind = kind
        self.context = context
        self.stopping = False
        self.port = 0
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

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


class Handler(http.server.BaseHTTPRequestHandler):
    """Reads one HTTP/1.1 request at a time and writes the dispatcher's JSON reply."""

    protocol_version = "HTTP/1.1"
    server_version = "azlogin-entra-emulator"
    sys_version = ""
    timeout = 30.0
    server: Server

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
        request = build_request(self.command, self.path, self.headers, body)
        try:
            reply = self.server.dispatch(request, self.server.kind)
        except Exception:
            logger.exception("Entra emulator failed to answer a %s request", self.command)
            reply = identity_error(500, "server_error", "The emulator failed; see its log.")
        self._send(reply)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(identity_error(411, "invalid_request", "Send a Content-Length."), True)
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._send(identity_error(400, "invalid_request", "Bad Content-Length."), True)
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply, close: bool = False) -> None:
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
