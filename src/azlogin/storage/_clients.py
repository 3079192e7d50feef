"""The table of storage client kinds, and the one function that builds any of them, sync or
asyncio: the URL signed in through the plan (:func:`azlogin._build.targets.sign_in`), the
credential wired in, the guard around the client's transport."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._build.flavor import Flavor
from .._build.targets import sign_in, split_credential_keywords

__all__ = [
    "BLOB",
    "BLOB_SERVICE",
    "CONTAINER",
    "DATALAKE_SERVICE",
    "SHARE_SERVICE",
    "ClientKind",
    "build_client",
]

TRANSPORT_KEYWORDS = ("connection_verify", "connection_cert", "connection_timeout", "read_timeout")
"""Keywords for the transport that the guard wraps (azure-core's RequestsTransport / AioHttp)."""


@dataclass(frozen=True)
class ClientKind:
    """One Azure Storage client class: where it lives (the asyncio one in ``<module>.aio``),
    the constructor that takes a URL, and keywords it needs by default."""

    module: str
    class_name: str
    constructor: str | None = None
    """A classmethod taking the resource URL (``from_container_url``); None: the class."""
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def factory(self, flavor: Flavor) -> Any:
        module = importlib.import_module(self.module + (".aio" if flavor.asynchronous else ""))
        cls = getattr(module, self.class_name)
        return getattr(cls, self.constructor) if self.constructor else cls


BLOB_SERVICE = ClientKind("azure.storage.blob", "BlobServiceClient")
CONTAINER = ClientKind("azure.storage.blob", "ContainerClient", "from_container_url")
BLOB = ClientKind("azure.storage.blob", "BlobClient", "from_blob_url")
DATALAKE_SERVICE = ClientKind("azure.storage.filedatalake", "DataLakeServiceClient")
SHARE_SERVICE = ClientKind(
    "azure.storage.fileshare",
    "ShareServiceClient",
    # Azure Files needs token_intent with a token credential; like AzCopy, "backup".
    defaults={"token_intent": "backup"},
)


def build_client(
    kind: ClientKind,
    url: str,
    env: Mapping[str, str] | None,
    credential: Any,
    kwargs: Mapping[str, Any],
    flavor: Flavor,
) -> Any:
    """``kind``'s client for ``url``, with ``credential=`` (or the plan's) and the guard."""
    client_kwargs = {**kind.defaults, **kwargs}
    credential_kwargs = split_credential_keywords(client_kwargs)
    transport = client_kwargs.pop("transport", None)
    signed_in = sign_in(url, env, credential, credential_kwargs, flavor)
    if transport is None:
        extra = {name: client_kwargs[name] for name in TRANSPORT_KEYWORDS if name in client_kwargs}
        guarded = flavor.guard(trusted_suffixes=signed_in.trusted, **extra)
    else:
        guarded = flavor.guard(transport, trusted_suffixes=signed_in.trusted)
    return kind.factory(flavor)(
        url, credential=signed_in.credential, transport=guarded, **client_kwargs
    )
