"""Azure Storage clients signed in the AzCopy way, behind the trusted-host guard.

Each helper takes an account or resource URL, checks it against the trusted suffixes before
any network I/O, builds the credential from ``env`` and the override keywords (unless
``credential=`` is given), and wires a :class:`~azlogin.GuardedTransport` around the client's
transport. Every other keyword goes to the Azure SDK client unchanged. Needs the ``storage``
extra: ``pip install "azlogin[storage]"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..guard import GuardedTransport
from ._plan import ClientPlan, plan_client

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


def _plan(url: str, env: Mapping[str, str] | None, credential: Any, kwargs: Any) -> ClientPlan:
    return plan_client(url, os.environ if env is None else env, credential, kwargs)


def _client_kwargs(plan: ClientPlan) -> dict[str, Any]:
    transport = GuardedTransport(
        plan.transport,
        trusted_suffixes=plan.trusted,
        **({} if plan.transport else plan.transport_kwargs),
    )
    return {**plan.client_kwargs, "credential": plan.credential, "transport": transport}


def blob_service_client(
    account_url: str, *, env: Mapping[str, str] | None = None, credential: Any = None, **kwargs: Any
) -> BlobServiceClient:
    """A ``BlobServiceClient`` for ``https://<account>.blob.core.windows.net``."""
    from azure.storage.blob import BlobServiceClient

    plan = _plan(account_url, env, credential, kwargs)
    return BlobServiceClient(plan.url, **_client_kwargs(plan))


def container_client(
    container_url: str,
    *,
    env: Mapping[str, str] | None = None,
    credential: Any = None,
    **kwargs: Any,
) -> ContainerClient:
    """A ``ContainerClient`` for ``https://<account>.blob.core.windows.net/<container>``."""
    from azure.storage.blob import ContainerClient

    plan = _plan(container_url, env, credential, kwargs)
    return ContainerClient.from_container_url(plan.url, **_client_kwargs(plan))


def blob_client(
    blob_url: str, *, env: Mapping[str, str] | None = None, credential: Any = None, **kwargs: Any
) -> BlobClient:
    """A ``BlobClient`` for ``https://<account>.blob.core.windows.net/<container>/<blob>``."""
    from azure.storage.blob import BlobClient

    plan = _plan(blob_url, env, credential, kwargs)
    return BlobClient.from_blob_url(plan.url, **_client_kwargs(plan))


def datalake_service_client(
    account_url: str, *, env: Mapping[str, str] | None = None, credential: Any = None, **kwargs: Any
) -> DataLakeServiceClient:
    """A ``DataLakeServiceClient`` for ``https://<account>.dfs.core.windows.net``."""
    from azure.storage.filedatalake import DataLakeServiceClient

    plan = _plan(account_url, env, credential, kwargs)
    return DataLakeServiceClient(plan.url, **_client_kwargs(plan))


def share_service_client(
    account_url: str, *, env: Mapping[str, str] | None = None, credential: Any = None, **kwargs: Any
) -> ShareServiceClient:
    """A ``ShareServiceClient`` for ``https://<account>.file.core.windows.net``.

    Azure Files needs ``token_intent`` with a token credential; like AzCopy, the default is
    ``"backup"``.
    """
    from azure.storage.fileshare import ShareServiceClient

    kwargs.setdefault("token_intent", "backup")
    plan = _plan(account_url, env, credential, kwargs)
    return ShareServiceClient(plan.url, **_client_kwargs(plan))
