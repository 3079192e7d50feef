"""GuardedBlobFileSystem: adlfs's filesystem with the guard on every request (needs adlfs).

A module of its own, imported only when used, so that the class lives at module level and
pickles by reference (Dask sends filesystems to its workers).
"""

from __future__ import annotations

from typing import Any

from adlfs import AzureBlobFileSystem
from azure.storage.blob.aio import BlobServiceClient

from ._config.trust import TrustedSuffixes
from ._guard import AsyncGuardedTransport

__all__ = ["GuardedBlobFileSystem"]


class GuardedBlobFileSystem(AzureBlobFileSystem):  # type: ignore[misc]
    """adlfs's AzureBlobFileSystem whose every request goes through AsyncGuardedTransport.

    ``connection_verify`` (a CA bundle path) is the storage requests' TLS trust."""

    def __init__(
        self,
        *args: Any,
        trusted_suffixes: TrustedSuffixes | None = None,
        connection_verify: Any = None,
        **kwargs: Any,
    ) -> None:
        self._azlogin_trusted = trusted_suffixes or TrustedSuffixes()
        self._azlogin_verify = connection_verify
        super().__init__(*args, **kwargs)

    def do_connect(self) -> None:
        """Make the storage client, with the guard as its transport (adlfs calls it).

        Raises:
            azlogin.UntrustedDestinationError: The account's host is not trusted; no request
                was made.
        """
        verify = {} if self._azlogin_verify is None else {"connection_verify": self._azlogin_verify}
        transport = AsyncGuardedTransport(trusted_suffixes=self._azlogin_trusted, **verify)
        self.account_url = f"https://{self.account_host}"
        self._azlogin_trusted.check(self.account_url)
        self.service_client = BlobServiceClient(
            account_url=self.account_url, credential=self.credential, transport=transport
        )
