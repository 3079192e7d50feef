"""GuardedTransport: a bearer token never leaves for an untrusted host, on any hop."""

from __future__ import annotations

import asyncio
import http.server
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import Pipeline, PipelineRequest
from azure.core.pipeline.policies import RedirectPolicy, SansIOHTTPPolicy
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport, RequestsTransport
from azure.core.rest import HttpRequest

from azlogin import (
    AsyncGuardedTransport,
    GuardedTransport,
    TrustedSuffixes,
    UntrustedDestinationError,
)
from azlogin.storage import blob_service_client
from azlogin.testing import EntraEmulator, FakeCredential

TRUSTED = TrustedSuffixes(extra="127.0.0.1")


class RecordingTransport(HttpTransport[Any, Any]):
    """An inner transport that only records what reached it."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent.append(request)
        return "response"

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> RecordingTransport:
        return self

    def __exit__(self, *args: object) -> None:
        pass


class AsyncRecordingTransport(AsyncHttpTransport[Any, Any]):
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent.append(request)
        return "response"

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncRecordingTransport:
        return self

    async def __aexit__(self, *args: object) -> None:
        pass


def _request(url: str, authorization: str | None = "Bearer abc") -> HttpRequest:
    headers = {"Authorization": authorization} if authorization else {}
    return HttpRequest("GET", url, headers=headers)


REFUSED = [
    "https://evil.test/acct",
    "https://acct.blob.core.windows.net.evil.test/",
    "http://acct.blob.core.windows.net/",  # a token never travels over http
    "https://localhost:10000/acct",  # loopback by another name is not 127.0.0.1
    "https://acct.blob.core.windows.net@evil.test/",
]
ALLOWED = ["https://acct.blob.core.windows.net/c", "https://127.0.0.1:10000/acct"]


@pytest.mark.parametrize("url", REFUSED)
def test_a_token_for_an_untrusted_destination_never_reaches_the_inner_transport(url: str) -> None:
    inner = RecordingTransport()
    with pytest.raises(UntrustedDestinationError):
        GuardedTransport(inner, trusted_suffixes=TRUSTED).send(_request(url))
    assert inner.sent == []


@pytest.mark.parametrize("scheme", ["Bearer abc", "bearer abc", "BEARER  abc"])
def test_the_bearer_scheme_is_recognized_in_any_case(scheme: str) -> None:
    inner = RecordingTransport()
    with pytest.raises(UntrustedDestinationError):
        GuardedTransport(inner).send(_request("https://evil.test/", scheme))
    assert inner.sent == []


@pytest.mark.parametrize("url", ALLOWED)
def test_trusted_destinations_pass(url: str) -> None:
    inner = RecordingTransport()
    GuardedTransport(inner, trusted_suffixes=TRUSTED).send(_request(url))
    assert len(inner.sent) == 1


@pytest.mark.parametrize("authorization", [None, "SharedKey acct:sig"])
def test_requests_without_a_bearer_token_pass_untouched(authorization: str | None) -> None:
    inner = RecordingTransport()
    request = _request("http://anything.test/", authorization)
    GuardedTransport(inner).send(request)
    assert inner.sent == [request]


@pytest.mark.parametrize("url", REFUSED)
def test_async_twin_refuses_the_same(url: str) -> None:
    inner = AsyncRecordingTransport()
    guard = AsyncGuardedTransport(inner, trusted_suffixes=TRUSTED)
    with pytest.raises(UntrustedDestinationError):
        asyncio.run(guard.send(_request(url)))
    assert inner.sent == []
    asyncio.run(guard.send(_request(ALLOWED[0])))
    assert len(inner.sent) == 1


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers with the server's fixed status and Location; records each request's headers."""

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def _answer(self) -> None:
        server: Any = self.server
        server.seen.append(dict(self.headers))
        self.send_response(server.status)
        if server.location:
            self.send_header("Location", server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, status: int, location: str = "") -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.status, self.location = status, location
        self.seen: list[dict[str, str]] = []
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def tls(emulator: EntraEmulator) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    emulator.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def untrusted(tls: ssl.SSLContext) -> Iterator[_Server]:
    server = _Server(tls, 200)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def redirector(tls: ssl.SSLContext, untrusted: _Server) -> Iterator[_Server]:
    """A trusted loopback server (127.0.0.1) that redirects to the untrusted one (localhost)."""
    server = _Server(tls, 307, f"https://localhost:{untrusted.port}/acct/c?restype=container")
    yield server
    server.shutdown()
    server.server_close()


def test_a_storage_client_redirected_to_an_untrusted_host_never_sends_it_the_token(
    redirector: _Server, untrusted: _Server, emulator: EntraEmulator
) -> None:
    client = blob_service_client(
        f"https://127.0.0.1:{redirector.port}/acct",
        credential=FakeCredential(),
        trusted_microsoft_suffixes="127.0.0.1",
        connection_verify=emulator.ca_path,
        retry_total=0,
    )
    # Recent azure-core drops the token on a cross-host redirect and follows it (the second
    # server's empty 200 is no container: HttpResponseError); older azure-core keeps the token,
    # and then the guard refuses the hop.
    with pytest.raises((HttpResponseError, UntrustedDestinationError)) as caught:
        client.create_container("c")
    assert redirector.seen[0]["Authorization"].startswith("Bearer ")
    if caught.type is UntrustedDestinationError:
        assert untrusted.seen == []
    else:
        assert len(untrusted.seen) == 1
    assert all("Authorization" not in headers for headers in untrusted.seen)


class _BearerOnEveryHop(SansIOHTTPPolicy[Any, Any]):
    """A careless policy that puts the token on every hop, redirects included."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = "Bearer leaked-if-sent"


def test_the_guard_refuses_a_redirected_hop_that_a_policy_gave_the_token(
    redirector: _Server, untrusted: _Server, emulator: EntraEmulator
) -> None:
    transport = GuardedTransport(
        RequestsTransport(connection_verify=emulator.ca_path), trusted_suffixes=TRUSTED
    )
    pipeline = Pipeline(transport, policies=[RedirectPolicy(), _BearerOnEveryHop()])
    with pytest.raises(UntrustedDestinationError, match="localhost"):
        pipeline.run(HttpRequest("GET", f"https://127.0.0.1:{redirector.port}/acct"))
    assert len(redirector.seen) == 1
    assert untrusted.seen == []


def test_a_retry_to_an_untrusted_secondary_host_is_refused(
    tls: ssl.SSLContext, untrusted: _Server, emulator: EntraEmulator
) -> None:
    primary = _Server(tls, 503)
    try:
        client = blob_service_client(
            f"https://127.0.0.1:{primary.port}/acct",
            credential=FakeCredential(),
            trusted_microsoft_suffixes="127.0.0.1",
            connection_verify=emulator.ca_path,
            secondary_hostname=f"localhost:{untrusted.port}",
            retry_to_secondary=True,
            retry_total=2,
            retry_backoff_factor=0,
            initial_backoff=0,
            increment_base=0,
        )
        with pytest.raises(UntrustedDestinationError, match="localhost"):
            client.get_service_properties()
        assert primary.seen  # the first attempt went to the trusted primary
        assert untrusted.seen == []  # the secondary never saw a byte
    finally:
        primary.shutdown()
        primary.server_close()
