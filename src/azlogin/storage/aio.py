"""The asyncio twins of :mod:`azlogin.storage`: the same helpers, returning the SDK's aio
clients with an asyncio credential (:func:`azlogin.get_async_credential`) and the
:class:`~azlogin.AsyncGuardedTransport`. Needs ``pip install "azlogin[storage,aio]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._build.flavor import ASYNC
from ._clients import CLIENT_KINDS, ClientHelper, client_helper

if TYPE_CHECKING:
    from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient
    from azure.storage.filedatalake.aio import DataLakeServiceClient
    from azure.storage.fileshare.aio import ShareServiceClient

__all__ = [kind.helper for kind in CLIENT_KINDS]  # as azlogin.storage

blob_service_client: ClientHelper[BlobServiceClient]
container_client: ClientHelper[ContainerClient]
blob_client: ClientHelper[BlobClient]
datalake_service_client: ClientHelper[DataLakeServiceClient]
share_service_client: ClientHelper[ShareServiceClient]
for _kind in CLIENT_KINDS:
    globals()[_kind.helper] = client_helper(_kind, ASYNC, __name__)
