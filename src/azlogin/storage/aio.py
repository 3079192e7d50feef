"""The asyncio twins of :mod:`azlogin.storage`: the same helpers, returning the SDK's aio
clients with an asyncio credential (:func:`azlogin.get_async_credential`) and the
:class:`~azlogin.AsyncGuardedTransport`. Needs ``pip install "azlogin[storage,aio]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._build.flavor import ASYNC
from ._clients import (
    BLOB,
    BLOB_SERVICE,
    CONTAINER,
    DATALAKE_SERVICE,
    SHARE_SERVICE,
    ClientHelper,
    client_helper,
)

if TYPE_CHECKING:
    from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient
    from azure.storage.filedatalake.aio import DataLakeServiceClient
    from azure.storage.fileshare.aio import ShareServiceClient

__all__ = [  # as azlogin.storage's
    "blob_client",
    "blob_service_client",
    "container_client",
    "datalake_service_client",
    "share_service_client",
]

blob_service_client: ClientHelper[BlobServiceClient]
blob_service_client = client_helper(BLOB_SERVICE, ASYNC, __name__)
container_client: ClientHelper[ContainerClient] = client_helper(CONTAINER, ASYNC, __name__)
blob_client: ClientHelper[BlobClient] = client_helper(BLOB, ASYNC, __name__)
datalake_service_client: ClientHelper[DataLakeServiceClient]
datalake_service_client = client_helper(DATALAKE_SERVICE, ASYNC, __name__)
share_service_client: ClientHelper[ShareServiceClient]
share_service_client = client_helper(SHARE_SERVICE, ASYNC, __name__)
