"""Data URLs in every form the data-stack helpers accept."""

from __future__ import annotations

import pytest

import azlogin
from azlogin._config.locations import Location, parse_location

AZURITE = "https://127.0.0.1:10000/devstoreaccount1"


@pytest.mark.parametrize(
    ("url", "account", "expected"),
    [
        ("https://acct.blob.core.windows.net/c/dir/f.parquet", None,
         Location("acct", "https://acct.blob.core.windows.net", "c", "dir/f.parquet")),
        ("https://acct.dfs.core.chinacloudapi.cn/c/f", None,
         Location("acct", "https://acct.blob.core.chinacloudapi.cn", "c", "f")),
        ("abfss://c@acct.dfs.core.windows.net/t/", None,
         Location("acct", "https://acct.blob.core.windows.net", "c", "t")),
        ("az://c/dir/f.parquet", "acct",
         Location("acct", "https://acct.blob.core.windows.net", "c", "dir/f.parquet")),
        ("az://c/f", AZURITE, Location("devstoreaccount1", AZURITE, "c", "f")),
        (f"{AZURITE}/c/f.parquet", None, Location("devstoreaccount1", AZURITE, "c", "f.parquet")),
        ("https://localhost:10000/devstoreaccount1/c", None,
         Location("devstoreaccount1", "https://localhost:10000/devstoreaccount1", "c", "")),
    ],
)  # fmt: skip
def test_locations(url: str, account: str | None, expected: Location) -> None:
    assert parse_location(url, account=account) == expected


@pytest.mark.parametrize(
    ("url", "account", "keyword"),
    [
        ("az://c/f", None, "account"),
        ("az://c/f", "my.account", "account"),
        ("http://acct.blob.core.windows.net/c/f", None, "url"),
        ("s3://bucket/key", None, "url"),
        ("https://acct.blob.core.windows.net/", None, "url"),
    ],
)
def test_what_is_refused_names_the_keyword(url: str, account: str | None, keyword: str) -> None:
    with pytest.raises(azlogin.ConfigurationError) as caught:
        parse_location(url, account=account)
    assert caught.value.keyword == keyword
