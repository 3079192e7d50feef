"""azlogin.storage.aio against Azurite: asyncio credentials, async clients, the async guard."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import azlogin
from azlogin import AsyncGuardedTransport
from azlogin.storage import aio
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite
from tests.support import managed_identity_env


async def _round_trip(client: object) -> None:
    from azure.storage.blob.aio import BlobServiceClient

    assert isinstance(client, BlobServiceClient)
    assert isinstance(client._pipeline._transport, AsyncGuardedTransport)
    name = f"c{uuid.uuid4().hex[:12]}"
    async with client:
        container = await client.create_container(name)
        await container.upload_blob("a.txt", b"async payload")
        assert [blob.name async for blob in container.list_blobs()] == ["a.txt"]
        download = await container.download_blob("a.txt")
        assert await download.readall() == b"async payload"
        await client.delete_container(name)
        await client.credential.close()


@pytest.mark.parametrize("login", ["SPN", "MSI"])
def test_async_round_trip(
    login: str, emulator: EntraEmulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = emulator.env(login)
    if login == "MSI":
        env = managed_identity_env(env, monkeypatch)

    async def main() -> None:
        client = aio.blob_service_client(
            azurite.account_url,
            env=env,
            trusted_microsoft_suffixes="127.0.0.1",
            connection_verify=emulator.ca_path,
        )
        assert isinstance(client.credential, azlogin.AsyncCredential)
        await _round_trip(client)

    asyncio.run(main())
    assert emulator.requests["token" if login == "SPN" else "imds"] == 1


def test_async_helpers_refuse_untrusted_urls_before_any_io(emulator: EntraEmulator) -> None:
    for helper in (
        aio.blob_service_client,
        aio.container_client,
        aio.blob_client,
        aio.datalake_service_client,
        aio.share_service_client,
    ):
        with pytest.raises(azlogin.UntrustedDestinationError, match=r"evil\.test"):
            helper("https://acct.blob.core.windows.net.evil.test/c/b", env=emulator.env("SPN"))
    assert sum(emulator.requests.values()) == 0


def test_the_async_helpers_are_the_sync_ones() -> None:
    from azlogin import storage
    from azlogin.storage import aio
    from azlogin.storage._clients import CLIENT_KINDS

    assert aio.__all__ == storage.__all__ == sorted(kind.helper for kind in CLIENT_KINDS)
