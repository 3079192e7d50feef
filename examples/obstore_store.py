"""obstore on Azure Storage, signed in the AzCopy way: an AzureStore in one line.

Same variables as blob_upload_download.py, plus CONTAINER (an existing container);
needs `pip install ".[obstore]"`. REQUESTS_CA_BUNDLE, when set, is a private CA that the
sign-in and the store's requests trust (the store gets it as its root certificate).
"""

from __future__ import annotations

import os

import obstore as obs

import azlogin.obstore


def main() -> None:
    url = f"{os.environ['STORAGE_ACCOUNT_URL']}/{os.environ['CONTAINER']}/example"
    store = azlogin.obstore.store(
        url,
        trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES"),
        connection_verify=os.environ.get("REQUESTS_CA_BUNDLE"),
    )
    obs.put(store, "hello.txt", b"hello from azlogin and obstore")
    names = [item["path"] for item in obs.list(store).collect()]
    print(names, bytes(obs.get(store, "hello.txt").bytes()).decode())


if __name__ == "__main__":
    main()
