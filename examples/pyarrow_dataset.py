"""pyarrow writes a partitioned Parquet dataset on Azure Storage and reads it back, every
request signed by azlogin and checked by its guard.

Same variables as blob_upload_download.py, plus CONTAINER (an existing container);
needs `pip install ".[pyarrow]"`.
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.dataset as ds

import azlogin.pyarrow


def main() -> None:
    account_url = os.environ["STORAGE_ACCOUNT_URL"].rstrip("/")
    url = f"{account_url}/{os.environ['CONTAINER']}/example/sales"
    fs = azlogin.pyarrow.filesystem(
        url, trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES")
    )
    root = azlogin.pyarrow.path(url)  # "<container>/example/sales": pyarrow's paths
    table = pa.table({"region": ["north", "south", "north"], "sales": [120, 80, 45]})
    ds.write_dataset(
        table, root, filesystem=fs, format="parquet", partitioning=["region"],
        partitioning_flavor="hive", existing_data_behavior="overwrite_or_ignore",
    )  # fmt: skip
    back = ds.dataset(root, filesystem=fs, format="parquet", partitioning="hive").to_table()
    print(back.sort_by("sales"))


if __name__ == "__main__":
    main()
