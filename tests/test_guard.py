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


def test_requests_without_credential_headers_pass_untouched() -> None:
    inner = RecordingTransport()
    request = _request("http://anything.test/", None)
    request.headers["x-ms-copy-source"] = "https://evil.test/c/b?sig=sas"  # a SAS source
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


# --- Issue 11, item 3: every header that carries a credential, and the copy source ----------

CREDENTIAL_HEADERS = [
    {"Authorization": "SharedKey acct:c2lnbmF0dXJl"},
    {"Authorization": "Basic dXNlcjpwdw=="},
    {"authorization": "Bearer abc"},
    {"AUTHORIZATION": ""},
    {"x-ms-authorization-auxiliary": "Bearer aux"},
    {"X-MS-Authorization-Auxiliary": "Bearer aux"},
    {"x-ms-copy-source-authorization": "Bearer source"},
    {"X-Ms-Copy-Source-Authorization": "Bearer source"},
]


def _with_headers(url: str, headers: dict[str, str]) -> HttpRequest:
    return HttpRequest("PUT", url, headers=headers)


@pytest.mark.parametrize("headers", CREDENTIAL_HEADERS)
def test_any_credential_header_to_an_untrusted_host_is_refused(headers: dict[str, str]) -> None:
    inner = RecordingTransport()
    with pytest.raises(UntrustedDestinationError):
        GuardedTransport(inner).send(_with_headers("https://evil.test/c/b", headers))
    assert inner.sent == []


@pytest.mark.parametrize("headers", CREDENTIAL_HEADERS)
def test_async_any_credential_header_to_an_untrusted_host_is_refused(
    headers: dict[str, str],
) -> None:
    inner = AsyncRecordingTransport()
    with pytest.raises(UntrustedDestinationError):
        asyncio.run(AsyncGuardedTransport(inner).send(_with_headers("https://evil.test/", headers)))
    assert inner.sent == []


COPY_SOURCES_REFUSED = [
    "https://evil.test/c/b",
    "https://acct.blob.core.windows.net.evil.test/c/b",
    "http://acct.blob.core.windows.net/c/b",
    "not a url",
]


def _copy(source: str, header: str = "x-ms-copy-source-authorization") -> HttpRequest:
    return _with_headers(
        "https://dest.blob.core.windows.net/c/b?comp=block",
        {"x-ms-copy-source": source, header: "Bearer source-token"},
    )


@pytest.mark.parametrize("source", COPY_SOURCES_REFUSED)
def test_a_copy_source_token_for_an_untrusted_source_is_refused(source: str) -> None:
    inner, async_inner = RecordingTransport(), AsyncRecordingTransport()
    with pytest.raises(UntrustedDestinationError, match="x-ms-copy-source"):
        GuardedTransport(inner).send(_copy(source))
    with pytest.raises(UntrustedDestinationError, match="x-ms-copy-source"):
        asyncio.run(
            AsyncGuardedTransport(async_inner).send(_copy(source, "X-MS-COPY-SOURCE-AUTHORIZATION"))
        )
    assert inner.sent == async_inner.sent == []


def test_a_copy_source_token_for_a_trusted_source_passes() -> None:
    inner, async_inner = RecordingTransport(), AsyncRecordingTransport()
    request = _copy("https://src.blob.core.windows.net/c/b")
    GuardedTransport(inner).send(request)
    asyncio.run(AsyncGuardedTransport(async_inner).send(request))
    assert inner.sent == async_inner.sent == [request]


# --- Issue 11, item 1 through the storage helpers: the host that is checked is the host that
# --- is connected to (IDNA 2003 folds ß and ς; requests and aiohttp keep them) --------------

IDNA_DIFFERENTIAL = [
    ("https://acct.busineß.test", "*.business.test"),
    ("https://acct.\u03c2.test", "*.\u03c3.test"),  # final sigma vs sigma
]


class _Sent(Exception):
    """Raised by the stopping transports: a request reached the inner transport."""


class _StoppingTransport(RecordingTransport):
    def send(self, request: Any, **kwargs: Any) -> Any:
        super().send(request)
        raise _Sent(request.url)


class _AsyncStoppingTransport(AsyncRecordingTransport):
    async def send(self, request: Any, **kwargs: Any) -> Any:
        await super().send(request)
        raise _Sent(request.url)


class _AsyncFakeCredential:
    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("fake-access-token", 2**31)

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(("url", "entry"), IDNA_DIFFERENTIAL)
def test_storage_helper_never_sends_a_token_to_the_uts46_host_of_a_folded_name(
    url: str, entry: str
) -> None:
    inner = _StoppingTransport()

    def build_and_send() -> None:
        client = blob_service_client(
            url,
            credential=FakeCredential(),
            trusted_microsoft_suffixes=entry,
            transport=inner,
            retry_total=0,
        )
        client.get_service_properties()

    with pytest.raises(UntrustedDestinationError, match="IDNA 2003"):
        build_and_send()
    assert inner.sent == []


@pytest.mark.parametrize(("url", "entry"), IDNA_DIFFERENTIAL)
def test_async_storage_helper_never_sends_a_token_to_the_uts46_host_of_a_folded_name(
    url: str, entry: str
) -> None:
    from azlogin.storage import aio

    inner = _AsyncStoppingTransport()

    async def main() -> None:
        client = aio.blob_service_client(
            url,
            credential=_AsyncFakeCredential(),
            trusted_microsoft_suffixes=entry,
            transport=inner,
            retry_total=0,
        )
        await client.get_service_properties()

    with pytest.raises(UntrustedDestinationError, match="IDNA 2003"):
        asyncio.run(main())
    assert inner.sent == []


@pytest.mark.parametrize(("url", "entry"), IDNA_DIFFERENTIAL)
def test_the_guard_refuses_a_hop_to_a_folded_name(url: str, entry: str) -> None:
    trusted = TrustedSuffixes(extra=entry)
    inner, async_inner = RecordingTransport(), AsyncRecordingTransport()
    with pytest.raises(UntrustedDestinationError):
        GuardedTransport(inner, trusted_suffixes=trusted).send(_request(url + "/c"))
    with pytest.raises(UntrustedDestinationError):
        asyncio.run(
            AsyncGuardedTransport(async_inner, trusted_suffixes=trusted).send(_request(url + "/c"))
        )
    assert inner.sent == async_inner.sent == []


# Item 3 through the storage clients: the SDK's own source_authorization= header.


def test_a_storage_client_copying_from_an_untrusted_source_with_a_token_sends_nothing() -> None:
    from azlogin.storage import blob_client

    inner = _StoppingTransport()
    client = blob_client(
        "https://acct.blob.core.windows.net/c/b",
        credential=FakeCredential(),
        transport=inner,
        retry_total=0,
    )
    with pytest.raises(UntrustedDestinationError, match="x-ms-copy-source"):
        client.upload_blob_from_url(
            "https://evil.test/c/b", source_authorization="Bearer source-token"
        )
    assert inner.sent == []


def test_an_async_storage_client_copying_from_an_untrusted_source_sends_nothing() -> None:
    from azlogin.storage import aio

    inner = _AsyncStoppingTransport()

    async def main() -> None:
        client = aio.blob_client(
            "https://acct.blob.core.windows.net/c/b",
            credential=_AsyncFakeCredential(),
            transport=inner,
            retry_total=0,
        )
        await client.upload_blob_from_url(
            "https://evil.test/c/b", source_authorization="Bearer source-token"
        )

    with pytest.raises(UntrustedDestinationError, match="x-ms-copy-source"):
        asyncio.run(main())
    assert inner.sent == []


# --- Issue 11, item 16: closing a client closes the guard and its inner transport -----------

_SPN_ENV = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "a",
    "AZCOPY_SPA_CLIENT_SECRET": "s",
    "AZCOPY_TENANT_ID": "t",
}
_CLIENT_URLS = {
    "blob_service_client": "https://acct.blob.core.windows.net",
    "container_client": "https://acct.blob.core.windows.net/c",
    "blob_client": "https://acct.blob.core.windows.net/c/b",
    "datalake_service_client": "https://acct.dfs.core.windows.net",
    "share_service_client": "https://acct.file.core.windows.net",
}


class _ClosingTransport(RecordingTransport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1

    def __exit__(self, *args: object) -> None:
        self.close()


class _AsyncClosingTransport(AsyncRecordingTransport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1

    async def __aexit__(self, *args: object) -> None:
        await self.close()


@pytest.mark.parametrize("helper", sorted(_CLIENT_URLS))
def test_closing_a_storage_client_closes_the_inner_transport(helper: str) -> None:
    from azlogin import storage

    inner = _ClosingTransport()
    client = getattr(storage, helper)(
        _CLIENT_URLS[helper], env=_SPN_ENV, token_store="none", transport=inner
    )
    client.close()
    assert inner.closed >= 1
    # and with the default inner transport (RequestsTransport): closing raises nothing
    getattr(storage, helper)(_CLIENT_URLS[helper], env=_SPN_ENV, token_store="none").close()


@pytest.mark.parametrize("helper", sorted(_CLIENT_URLS))
def test_closing_an_async_storage_client_closes_the_inner_transport(helper: str) -> None:
    from azlogin.storage import aio

    inner = _AsyncClosingTransport()

    async def main() -> None:
        client = getattr(aio, helper)(
            _CLIENT_URLS[helper], env=_SPN_ENV, token_store="none", transport=inner
        )
        await client.close()
        default = getattr(aio, helper)(_CLIENT_URLS[helper], env=_SPN_ENV, token_store="none")
        await default.close()
        await client.credential.close()
        await default.credential.close()

    asyncio.run(main())
    assert inner.closed >= 1


def test_the_guard_can_be_exited_without_arguments() -> None:
    inner, async_inner = _ClosingTransport(), _AsyncClosingTransport()
    GuardedTransport(inner).__exit__()
    asyncio.run(AsyncGuardedTransport(async_inner).__aexit__())
    assert inner.closed == async_inner.closed == 1
