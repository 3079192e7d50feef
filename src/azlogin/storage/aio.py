"""The asyncio twins of :mod:`azlogin.storage`: the same helpers, returning the SDK's aio
clients with an asyncio credential (:func:`azlogin.get_async_credential`) and the
:class:`~azlogin.AsyncGuardedTransport`. Needs ``pip install "azlogin[storage,aio]"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._plan import build_client

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
    from azure.storage.blob.aio import BlobServiceClient

    return build_client(BlobServiceClient, account_url, env, credential, kwargs, asynchronous=True)


def container_client(
    container_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> ContainerClient:
    """A ``ContainerClient`` for ``https://<account>.blob.core.windows.net/<container>``."""
    from azure.storage.blob.aio import ContainerClient

    return build_client(
        ContainerClient.from_container_url,
        container_url,
        env,
        credential,
        kwargs,
        asynchronous=True,
    )


def blob_client(
    blob_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> BlobClient:
    """A ``BlobClient`` for ``https://<account>.blob.core.windows.net/<container>/<blob>``."""
    from azure.storage.blob.aio import BlobClient

    return build_client(
        BlobClient.from_blob_url, blob_url, env, credential, kwargs, asynchronous=True
    )


def datalake_service_client(
    account_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> DataLakeServiceClient:
    """A ``DataLakeServiceClient`` for ``https://<account>.dfs.core.windows.net``."""
    from azure.storage.filedatalake.aio import DataLakeServiceClient

    return build_client(
        DataLakeServiceClient, account_url, env, credential, kwargs, asynchronous=True
    )


def share_service_client(
    account_url: str, *, env: Env | None = None, credential: Any = None, **kwargs: Any
) -> ShareServiceClient:
    """A ``ShareServiceClient`` for ``https://<account>.file.core.windows.net``.

    Azure Files needs ``token_intent`` with a token credential; like AzCopy, the default is
    ``"backup"``.
    """
    from azure.storage.fileshare.aio import ShareServiceClient

    kwargs.setdefault("token_intent", "backup")
    return build_client(ShareServiceClient, account_url, env, credential, kwargs, asynchronous=True)
