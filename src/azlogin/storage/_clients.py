"""The table of storage client kinds, and the one function that makes the helper of any of
them, sync or asyncio (:func:`client_helper`)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .._build.flavor import Flavor
from .._build.targets import sign_in, split_credential_keywords

__all__ = [
    "BLOB",
    "BLOB_SERVICE",
    "CLIENT_KINDS",
    "CONTAINER",
    "DATALAKE_SERVICE",
    "SHARE_SERVICE",
    "ClientHelper",
    "ClientKind",
    "client_helper",
]

TRANSPORT_KEYWORDS = ("connection_verify", "connection_cert", "connection_timeout", "read_timeout")
"""Keywords for the transport that the guard wraps (azure-core's RequestsTransport / AioHttp)."""


@dataclass(frozen=True)
class ClientKind:
    """One Azure Storage client class: the helper that builds it, where it lives (the
    asyncio one in ``<module>.aio``), the URL it takes, the constructor that takes that URL,
    and keywords it needs by default."""

    helper: str
    module: str
    class_name: str
    url_form: str
    constructor: str | None = None
    """A classmethod taking the resource URL (``from_container_url``); None: the class."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    def factory(self, flavor: Flavor) -> Any:
        module = importlib.import_module(self.module + (".aio" if flavor.asynchronous else ""))
        cls = getattr(module, self.class_name)
        return getattr(cls, self.constructor) if self.constructor else cls


BLOB_SERVICE = ClientKind(
    "blob_service_client",
    "azure.storage.blob",
    "BlobServiceClient",
    "https://<account>.blob.core.windows.net",
)
CONTAINER = ClientKind(
    "container_client",
    "azure.storage.blob",
    "ContainerClient",
    "https://<account>.blob.core.windows.net/<container>",
    "from_container_url",
)
BLOB = ClientKind(
    "blob_client",
    "azure.storage.blob",
    "BlobClient",
    "https://<account>.blob.core.windows.net/<container>/<blob>",
    "from_blob_url",
)
DATALAKE_SERVICE = ClientKind(
    "datalake_service_client",
    "azure.storage.filedatalake",
    "DataLakeServiceClient",
    "https://<account>.dfs.core.windows.net",
)
SHARE_SERVICE = ClientKind(
    "share_service_client",
    "azure.storage.fileshare",
    "ShareServiceClient",
    "https://<account>.file.core.windows.net",
    defaults={"token_intent": "backup"},
    note="Azure Files needs ``token_intent`` with a token credential; like AzCopy, the "
    'default is ``"backup"``.',
)
CLIENT_KINDS = (BLOB_SERVICE, CONTAINER, BLOB, DATALAKE_SERVICE, SHARE_SERVICE)
"""Every client kind; a new one is one row, and its helper one typed line in each of
:mod:`azlogin.storage` and :mod:`azlogin.storage.aio` (``client_helper`` makes both)."""

Client_co = TypeVar("Client_co", covariant=True)


class ClientHelper(Protocol[Client_co]):
    """A storage helper: ``helper(url, *, env=None, credential=None, **client keywords)``."""

    def __call__(
        self,
        url: str,
        /,
        *,
        env: Mapping[str, str] | None = None,
        credential: Any = None,
        **kwargs: Any,
    ) -> Client_co: ...


def client_helper(kind: ClientKind, flavor: Flavor, module: str) -> Any:
    """The helper of ``kind`` in ``flavor``, as a function of ``module`` (for docs and
    pickling by reference): the URL signed in through the plan
    (:func:`azlogin._build.targets.sign_in`), the credential wired in, the guard around the
    client's transport."""

    def helper(
        url: str, /, *, env: Mapping[str, str] | None = None, credential: Any = None, **kwargs: Any
    ) -> Any:
        client_kwargs = {**kind.defaults, **kwargs}
        credential_kwargs = split_credential_keywords(client_kwargs)
        transport = client_kwargs.pop("transport", None)
        signed_in = sign_in(url, env, credential, credential_kwargs, flavor)
        if transport is None:
            extra = {
                name: client_kwargs[name] for name in TRANSPORT_KEYWORDS if name in client_kwargs
            }
            if extra.get("connection_verify") is None and signed_in.verify is not None:
                extra["connection_verify"] = signed_in.verify  # the credential's CA bundle
            guarded = flavor.guard(trusted_suffixes=signed_in.trusted, **extra)
        else:
            guarded = flavor.guard(transport, trusted_suffixes=signed_in.trusted)
        return kind.factory(flavor)(
            url, credential=signed_in.credential, transport=guarded, **client_kwargs
        )

    helper.__name__ = helper.__qualname__ = kind.helper
    helper.__module__ = module
    sdk = kind.module + (".aio" if flavor.asynchronous else "")
    helper.__doc__ = (
        f"A ``{sdk}.{kind.class_name}`` for ``{kind.url_form}``, signed in by azlogin "
        f"({flavor.name}) behind the trusted-host guard. {kind.note}"
    ).strip()
    return helper
