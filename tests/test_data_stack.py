"""The data-stack helpers together, for as long as a real job runs: with 30-second tokens, a
90-second polars job and a 90-second obstore job in one process, side by side (three token
lives), make at most 4 token requests together (one engine, refreshed in the last fifth of each
token's life) and never see a 403. The job is paced in real time: the tools read the real
clock. (The benchmark runs each tool for 3 minutes with 60-second tokens: docs/performance.md.)"""

from __future__ import annotations

import threading
import time
import uuid

import polars as pl
import pytest

import azlogin.obstore
import azlogin.polars
from azlogin import storage
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite

LOOPBACK = "127.0.0.1"
TOKEN_SECONDS = 30
JOB_SECONDS = 3 * TOKEN_SECONDS


def test_three_token_lives_of_polars_and_obstore_side_by_side(
    emulator: EntraEmulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_path)  # polars' TLS stack reads it
    keywords = {
        "env": emulator.env("SPN"),
        "trusted_microsoft_suffixes": LOOPBACK,
        "connection_verify": emulator.ca_path,
        "token_store": "none",  # one process: the shared engine does the sharing
    }
    container = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(azurite.account_url, **keywords).create_container(container)
    monkeypatch.setattr(emulator, "token_lifetime", TOKEN_SECONDS)
    emulator.reset()
    url = f"{azurite.account_url}/{container}/job"
    polars_options = azlogin.polars.options(url, **keywords)
    polars_path = azlogin.polars.path(url)
    store = azlogin.obstore.store(url, **keywords)
    import obstore as obs

    failures: list[BaseException] = []
    operations = {"polars": 0, "obstore": 0}
    deadline = time.monotonic() + JOB_SECONDS
    pace = threading.Event()  # never set: paces the job without busy-waiting

    def polars_job() -> None:
        frame = pl.DataFrame({"n": [1, 2, 3]})
        while time.monotonic() < deadline:
            try:
                frame.write_parquet(f"{polars_path}/part.parquet", **polars_options)
                assert pl.read_parquet(f"{polars_path}/part.parquet", **polars_options).height == 3
                operations["polars"] += 1
            except BaseException as error:  # noqa: BLE001 - counted: a 403 would land here
                failures.append(error)
            pace.wait(2)

    def obstore_job() -> None:
        while time.monotonic() < deadline:
            try:
                obs.put(store, "blob.txt", b"x")
                assert bytes(obs.get(store, "blob.txt").bytes()) == b"x"
                operations["obstore"] += 1
            except BaseException as error:  # noqa: BLE001 - counted
                failures.append(error)
            pace.wait(1)

    workers = [threading.Thread(target=polars_job), threading.Thread(target=obstore_job)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(JOB_SECONDS + 120)
    assert failures == []
    assert operations["polars"] > JOB_SECONDS // 6  # one every 2 s, with time to spare
    assert operations["obstore"] > JOB_SECONDS // 3  # one every second
    assert emulator.requests["token"] <= 4


def test_one_pipeline_reads_with_polars_writes_with_deltalake_queries_with_duckdb(
    emulator: EntraEmulator, azurite_host_style: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three tools in one process, each signed in by its own helper: one token request (the
    helpers share one token engine)."""
    import duckdb
    from deltalake import DeltaTable, write_deltalake

    import azlogin.deltalake
    import azlogin.duckdb
    from azlogin.testing import FakeCredential

    monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_path)  # polars' and delta-rs' TLS stacks
    monkeypatch.setenv("CURL_CA_INFO", emulator.ca_path)  # DuckDB's curl transport
    container = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite_host_style.account_url,
        credential=FakeCredential(token=emulator.mint_token()[0]),  # no token request
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    ).create_container(container)
    emulator.reset()
    keywords = {
        "env": emulator.env("SPN"),
        "trusted_microsoft_suffixes": "127.0.0.1;localhost",
        "connection_verify": emulator.ca_path,
        "token_store": "none",
    }
    base = f"{azurite_host_style.account_url}/{container}"
    polars_options = azlogin.polars.options(f"{base}/raw", **keywords)
    raw = azlogin.polars.path(f"{base}/raw")
    pl.DataFrame({"kind": ["a", "b", "a"], "n": [1, 2, 3]}).write_parquet(
        f"{raw}/part.parquet", **polars_options
    )
    frame = pl.read_parquet(f"{raw}/part.parquet", **polars_options)

    table = f"{base}/tables/kinds"
    write_deltalake(
        azlogin.deltalake.table_uri(table),
        frame.group_by("kind").agg(pl.col("n").sum()).sort("kind").to_arrow(),
        storage_options=azlogin.deltalake.storage_options(table, **keywords),
    )
    assert (
        DeltaTable(
            azlogin.deltalake.table_uri(table),
            storage_options=azlogin.deltalake.storage_options(table, **keywords),
        ).version()
        == 0
    )

    with duckdb.connect() as connection:
        secret = azlogin.duckdb.create_secret(
            connection, f"{azurite_host_style.host_style_url}/{container}", **keywords
        )
        connection.execute("SET azure_transport_option_type = 'curl'")
        rows = secret.sql(
            f"SELECT kind, sum(n) FROM 'az://{container}/raw/part.parquet' GROUP BY kind "
            "ORDER BY kind"
        ).fetchall()
    assert rows == [("a", 4), ("b", 2)]
    assert emulator.requests["token"] == 1
