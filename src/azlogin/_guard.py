"""GuardedTransport: refuses, before a byte is sent, a credential bound for an untrusted host.

It wraps the transport, the last stage of an azure-core pipeline, so every hop is checked:
the first request, each retry, the secondary-host fallback and every redirect, whatever the
policies above it decided. A request carries a credential when it has an ``Authorization``
header (any scheme: Bearer, SharedKey, Basic, ...), ``x-ms-authorization-auxiliary`` or
``x-ms-copy-source-authorization``; with the last one the service presents the credential
to the ``x-ms-copy-source`` URL, so that URL is checked too.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

from ._config.trust import TrustedSuffixes
from ._errors import UntrustedDestinationError
from ._logs import Logger

__all__ = ["CREDENTIAL_HEADERS", "AsyncGuardedTransport", "GuardedTransport", "check_request"]

_LOGGER = Logger("azlogin.guard")

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-ms-authorization-auxiliary", "x-ms-copy-source-authorization"}
)
"""Headers (lowercase) whose presence means the request carries a credential."""
_COPY_SOURCE = "x-ms-copy-source"
_COPY_SOURCE_AUTHORIZATION = "x-ms-copy-source-authorization"


def credential_headers(headers: Mapping[str, str]) -> frozenset[str]:
    """The credential-carrying headers present, lowercased (any value, any scheme)."""
    return frozenset(name.lower() for name in headers) & CREDENTIAL_HEADERS


def copy_source(headers: Mapping[str, str]) -> str | None:
    """The ``x-ms-copy-source`` URL, whatever the case of the header's name."""
    return next((value for name, value in headers.items() if name.lower() == _COPY_SOURCE), None)


def check_request(url: str, headers: Mapping[str, str], trusted: TrustedSuffixes) -> None:
    """Raise UntrustedDestinationError if a credential would go to an untrusted or http URL:
    the request's own, or the copy source the service presents a copy-source token to."""
    carried = credential_headers(headers)
    if not carried:
        return
    trusted.check(url)
    source = copy_source(headers)
    if _COPY_SOURCE_AUTHORIZATION in carried and source is not None:
        try:
            trusted.check(source)
        except UntrustedDestinationError as refused:
            raise UntrustedDestinationError(
                f"The service would present x-ms-copy-source-authorization to the "
                f"x-ms-copy-source URL, which is refused: {refused}"
            ) from None


class _Guard:
    """What both guards share: the inner transport (azure-core's default for the flavor when
    none is given, built with ``transport_kwargs``) and the trust list."""

    _default_inner = ""

    def __init__(
        self,
        inner: Any = None,
        *,
        trusted_suffixes: TrustedSuffixes | None = None,
        **transport_kwargs: Any,
    ) -> None:
        if inner is None:
            module = importlib.import_module("azure.core.pipeline.transport")
            inner = getattr(module, self._default_inner)(**transport_kwargs)
        elif transport_kwargs:
            raise TypeError("pass transport keywords to the inner transport, not both")
        self.inner = inner
        self.trusted_suffixes = trusted_suffixes or TrustedSuffixes()


class GuardedTransport(_Guard, HttpTransport[Any, Any]):
    """Wraps any azure-core ``HttpTransport``; see the module docstring.

    ``inner`` defaults to azure-core's ``RequestsTransport``; ``trusted_suffixes`` to AzCopy's
    defaults. Requests without a credential header pass untouched.
    """

    _default_inner = "RequestsTransport"
    inner: HttpTransport[Any, Any]

    def send(self, request: Any, **kwargs: Any) -> Any:
        """Check ``request``, then send it through the inner transport.

        Args:
            request: azure-core's ``HttpRequest``; ``kwargs`` go to the inner transport.

        Returns:
            The inner transport's response.

        Raises:
            azlogin.UntrustedDestinationError: The request carries a credential to a host the
                trust list refuses, or to an http URL; nothing was sent.
        """
        check_request(request.url, request.headers, self.trusted_suffixes)
        return self.inner.send(request, **kwargs)

    def open(self) -> None:
        """Open the inner transport (azure-core calls it before the first request)."""
        self.inner.open()

    def close(self) -> None:
        """Close the inner transport and its connections."""
        self.inner.close()

    def sleep(self, duration: float) -> None:
        """Wait ``duration`` seconds, as the inner transport waits between retries."""
        self.inner.sleep(duration)

    def __enter__(self) -> GuardedTransport:
        self.inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:  # azure-core's PipelineClient.close() calls it with no arguments
        self.inner.__exit__(exc_type, exc, traceback)

    def __repr__(self) -> str:
        return f"GuardedTransport({self.inner!r}, {self.trusted_suffixes!r})"


class AsyncGuardedTransport(_Guard, AsyncHttpTransport[Any, Any]):
    """The asyncio twin of :class:`GuardedTransport`; ``inner`` defaults to ``AioHttpTransport``."""

    _default_inner = "AioHttpTransport"
    inner: AsyncHttpTransport[Any, Any]

    async def send(self, request: Any, **kwargs: Any) -> Any:
        """Check ``request``, then send it through the inner transport.

        As :meth:`GuardedTransport.send`: the same check, the same error before anything is
        sent.
        """
        check_request(request.url, request.headers, self.trusted_suffixes)
        return await self.inner.send(request, **kwargs)

    async def open(self) -> None:
        """Open the inner transport (azure-core calls it before the first request)."""
        await self.inner.open()

    async def close(self) -> None:
        """Close the inner transport and its connections."""
        await self.inner.close()

    async def sleep(self, duration: float) -> None:
        """Wait ``duration`` seconds, as the inner transport waits between retries."""
        await self.inner.sleep(duration)

    async def __aenter__(self) -> AsyncGuardedTransport:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.inner.__aexit__(exc_type, exc, traceback)

    def __repr__(self) -> str:
        return f"AsyncGuardedTransport({self.inner!r}, {self.trusted_suffixes!r})"
