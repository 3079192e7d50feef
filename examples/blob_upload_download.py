"""Upload a blob and read it back, signed in the AzCopy way.

Set the AZCOPY_* variables of your login type (see `azlogin env`), and:
    STORAGE_ACCOUNT_URL   https://<account>.blob.core.windows.net
    TRUSTED_SUFFIXES      optional extra trusted hosts, "a;b" (as --trusted-microsoft-suffixes)
"""

from __future__ import annotations

import os
import uuid

from azlogin.storage import blob_service_client


def main() -> None:
    client = blob_service_client(
        os.environ["STORAGE_ACCOUNT_URL"],
        trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES"),
    )
    container = client.create_container(f"example-{uuid.uuid4().hex[:8]}")
    container.upload_blob("hello.txt", b"hello from azlogin")
    print([blob.name for blob in container.list_blobs()])
    print(container.download_blob("hello.txt").readall().decode())
    client.delete_container(container.container_name)


if __name__ == "__main__":
    main()
