"""Azure Storage clients signed in the AzCopy way, behind the trusted-host guard.

Each helper takes an account or resource URL, checks it against the trust list before any
network I/O (the plan's, so a saved login's extra suffixes count, or the ``credential=``'s
own), builds the credential from ``env`` and the override keywords (unless ``credential=``
is given; a national cloud's host gets its cloud's authority), and wires a
:class:`~azlogin.GuardedTransport` around the client's transport. Every other keyword goes to
the Azure SDK client unchanged. Needs the ``storage`` extra: ``pip install
"azlogin[storage]"``. The asyncio twins are in :mod:`azlogin.storage.aio`.

| helper | client | URL |
| --- | --- | --- |
| `blob_service_client` | `BlobServiceClient` | `https://<account>.blob.core.windows.net` |
| `container_client` | `ContainerClient` | `.../<container>` |
| `blob_client` | `BlobClient` | `.../<container>/<blob>` |
| `datalake_service_client` | `DataLakeServiceClient` | `https://<account>.dfs.core.windows.net` |
| `share_service_client` | `ShareServiceClient` | `https://<account>.file.core.windows.net` |

Each is called as ``helper(url, *, env=None, credential=None, **client_keywords)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._build.flavor import SYNC
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
    from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient
    from azure.storage.filedatalake import DataLakeServiceClient
    from azure.storage.fileshare import ShareServiceClient

__all__ = [
    "blob_client",
    "blob_service_client",
    "container_client",
    "datalake_service_client",
    "share_service_client",
]

blob_service_client: ClientHelper[BlobServiceClient] = client_helper(BLOB_SERVICE, SYNC, __name__)
container_client: ClientHelper[ContainerClient] = client_helper(CONTAINER, SYNC, __name__)
blob_client: ClientHelper[BlobClient] = client_helper(BLOB, SYNC, __name__)
datalake_service_client: ClientHelper[DataLakeServiceClient]
datalake_service_client = client_helper(DATALAKE_SERVICE, SYNC, __name__)
share_service_client: ClientHelper[ShareServiceClient]
share_service_client = client_helper(SHARE_SERVICE, SYNC, __name__)
