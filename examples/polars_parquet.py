"""polars reads and writes Parquet on Azure Storage, signed in the AzCopy way, in one line each.

Same variables as blob_upload_download.py, plus CONTAINER (an existing container);
needs `pip install ".[polars]"`. polars trusts the system's certificate authorities, or
SSL_CERT_FILE's when it is set.
"""

from __future__ import annotations

import os

import polars as pl

import azlogin.polars


def main() -> None:
    url = f"{os.environ['STORAGE_ACCOUNT_URL']}/{os.environ['CONTAINER']}/example/sales.parquet"
    options = azlogin.polars.options(
        url, trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES")
    )
    path = azlogin.polars.path(url)  # az://<container>/example/sales.parquet
    pl.DataFrame({"region": ["north", "south"], "sales": [120, 80]}).write_parquet(path, **options)
    print(pl.read_parquet(path, **options))


if __name__ == "__main__":
    main()
