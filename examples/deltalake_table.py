"""deltalake writes a Delta table on Azure Storage and reads it back, signed in the AzCopy way.

Same variables as blob_upload_download.py, plus CONTAINER (an existing container); needs
`pip install ".[deltalake]" pandas`. deltalake trusts the system's certificate authorities, or
SSL_CERT_FILE's when it is set. deltalake keeps the token it is given, so each operation asks
azlogin for its storage options (a cached token, refreshed before it expires).
"""

from __future__ import annotations

import os

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

import azlogin.deltalake


def main() -> None:
    url = f"{os.environ['STORAGE_ACCOUNT_URL']}/{os.environ['CONTAINER']}/example/sales"
    uri = azlogin.deltalake.table_uri(url)  # az://<container>/example/sales

    def options() -> dict[str, str]:
        return azlogin.deltalake.storage_options(
            url, trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES")
        )

    sales = pa.table({"region": ["north", "south"], "sales": [120, 80]})
    write_deltalake(uri, sales, storage_options=options())
    write_deltalake(uri, pa.table({"region": ["east"], "sales": [95]}), mode="append",
                    storage_options=options())  # fmt: skip
    table = DeltaTable(uri, storage_options=options())
    # to_pandas(): deltalake 1.6's to_pyarrow_table() sometimes aborts the interpreter at exit.
    frame = table.to_pandas().sort_values("region")
    print(f"version {table.version()}: {frame.to_dict('list')}")


if __name__ == "__main__":
    main()
