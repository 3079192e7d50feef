"""pandas reads and writes Parquet on Azure Storage through adlfs, in one line each.

Same variables as blob_upload_download.py, plus CONTAINER (an existing container);
needs `pip install ".[fsspec]" pandas pyarrow`.
"""

from __future__ import annotations

import os

import pandas as pd

from azlogin.fsspec import storage_options


def main() -> None:
    options = storage_options(
        os.environ["STORAGE_ACCOUNT_URL"],
        trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES"),
    )
    path = f"abfs://{os.environ['CONTAINER']}/example/sales.parquet"
    pd.DataFrame({"region": ["north", "south"], "sales": [120, 80]}).to_parquet(
        path, storage_options=options
    )
    print(pd.read_parquet(path, storage_options=options))


if __name__ == "__main__":
    main()
