"""A Dask job on a local cluster of worker processes, reading and writing Parquet through adlfs.

The credential travels to the workers without its secret (they rebuild it from their own
environment) and they share one token through this user's token store.
Same variables as pandas_adlfs.py; needs `pip install ".[fsspec]"` and
`pip install "dask[distributed,dataframe]"`.
"""

from __future__ import annotations

import os

import dask.dataframe as dd
import pandas as pd
from dask.distributed import Client, LocalCluster

from azlogin.fsspec import storage_options


def main() -> None:
    options = storage_options(
        os.environ["STORAGE_ACCOUNT_URL"],
        trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES"),
    )
    path = f"abfs://{os.environ['CONTAINER']}/example/dataset"
    frame = pd.DataFrame({"id": range(1000), "value": [i % 7 for i in range(1000)]})
    with (
        LocalCluster(n_workers=2, processes=True, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        dd.from_pandas(frame, npartitions=4).to_parquet(path, storage_options=options)
        total = dd.read_parquet(path, storage_options=options)["value"].sum().compute()
    print(f"sum of values: {total}")


if __name__ == "__main__":
    main()
