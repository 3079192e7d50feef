"""The asyncio twins of :mod:`azlogin.storage`: the same helpers, returning the SDK's aio
clients with an asyncio credential (:func:`azlogin.get_async_credential`) and the
:class:`~azlogin.AsyncGuardedTransport`. Needs ``pip install "azlogin[storage,aio]"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._build.flavor import ASYNC
from ._clients import (
    BLOB,
    BLOB_SERVICE,
    CONTAINER,
    DATALAKE_SERVICE,
    SHARE_SERVICE,
    build_client,
)

if TYPE_CHECKING:
    from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient
    from azure.storage.filedatalake.aio import DataLakeServiceClient
    from azure.storage.fileshare.aio import ShareServiceClient

__all__ = [
    "blob_client",
    "blob_service_client",
    "container_client",
    "datalake_service_client",
    "share_service_client",
]

Env = Mapping[str, str]


def blob_service_client(
    account_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> BlobServiceClient:
    """A ``BlobServiceClient`` for ``https://<account>.blob.core.windows.net``."""
    client: BlobServiceClient = build_client(
        BLOB_SERVICE, account_url, env, credential, kwargs, ASYNC
    )
    return client


def container_client(
    container_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> ContainerClient:
    """A ``ContainerClient`` for ``https://<account>.blob.core.windows.net/<container>``."""
    client: ContainerClient = build_client(CONTAINER, container_url, env, credential, kwargs, ASYNC)
    return client


def blob_client(
    blob_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> BlobClient:
    """A ``BlobClient`` for ``https://<account>.blob.core.windows.net/<container>/<blob>``."""
    client: BlobClient = build_client(BLOB, blob_url, env, credential, kwargs, ASYNC)
    return client


def datalake_service_client(
    account_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> DataLakeServiceClient:
    """A ``DataLakeServiceClient`` for ``https://<account>.dfs.core.windows.net``."""
    client: DataLakeServiceClient = build_client(
        DATALAKE_SERVICE, account_url, env, credential, kwargs, ASYNC
    )
    return client


def share_service_client(
    account_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> ShareServiceClient:
    """A ``ShareServiceClient`` for ``https://<account>.file.core.windows.net``.

    Azure Files needs ``token_intent`` with a token credential; like AzCopy, the default is
    ``"backup"``.
    """
    client: ShareServiceClient = build_client(
        SHARE_SERVICE, account_url, env, credential, kwargs, ASYNC
    )
    return client
