"""The asyncio twin: an async credential and an async blob client, many blobs at once.

Same variables as blob_upload_download.py; needs `pip install ".[storage,aio]"`.
"""

from __future__ import annotations

import asyncio
import os
import uuid

from azlogin.storage.aio import blob_service_client


async def main() -> None:
    client = blob_service_client(
        os.environ["STORAGE_ACCOUNT_URL"],
        trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES"),
    )
    async with client:
        container = await client.create_container(f"example-{uuid.uuid4().hex[:8]}")
        # 20 uploads at once share one token request.
        await asyncio.gather(*(container.upload_blob(f"part-{i}", b"x" * i) for i in range(20)))
        names = [blob.name async for blob in container.list_blobs()]
        print(f"uploaded {len(names)} blobs")
        await client.delete_container(container.container_name)
        await client.credential.close()


if __name__ == "__main__":
    asyncio.run(main())
