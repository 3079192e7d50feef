"""pandas and Dask through adlfs on Azurite, signed in by azlogin."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest

from azlogin import storage
from azlogin.fsspec import account_location, filesystem, storage_options
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite

LOOPBACK = "127.0.0.1"


@pytest.fixture
def pipeline_env(
    emulator: EntraEmulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """An SPN login in the process environment, where workers rebuild the credential from.

    In this process the storage requests trust the emulator's CA through the guarded
    filesystem's connection_verify (aiohttp caches its default TLS context at import, so
    SSL_CERT_FILE would come too late); examples/ covers plain storage_options in fresh
    processes."""
    env = emulator.env("SPN")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _filesystem(azurite: Azurite, emulator: EntraEmulator) -> object:
    return filesystem(
        azurite.account_url, trusted_microsoft_suffixes=LOOPBACK, connection_verify=emulator.ca_path
    )


def _container(azurite: Azurite, emulator: EntraEmulator) -> str:
    name = f"c{uuid.uuid4().hex[:12]}"
    client = storage.blob_service_client(
        azurite.account_url,
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
        token_store="none",  # leaves the store empty: the pipelines start cold
    )
    client.create_container(name)
    return name


def test_account_location() -> None:
    assert account_location("acct") == ("acct", "acct.blob.core.windows.net")
    assert account_location("https://acct.blob.core.windows.net/") == (
        "acct",
        "acct.blob.core.windows.net",
    )
    assert account_location("https://127.0.0.1:10000/devstoreaccount1") == (
        "devstoreaccount1",
        "127.0.0.1:10000/devstoreaccount1",
    )


def test_storage_options_refuse_an_untrusted_host_before_any_request(
    emulator: EntraEmulator,
) -> None:
    import azlogin

    with pytest.raises(azlogin.UntrustedDestinationError, match=r"127\.0\.0\.1"):
        storage_options("https://127.0.0.1:10000/devstoreaccount1", env=emulator.env("SPN"))
    with pytest.raises(azlogin.ConfigurationError):
        storage_options("http://acct.blob.core.windows.net")
    assert sum(emulator.requests.values()) == 0


@pytest.mark.usefixtures("pipeline_env")
def test_pandas_round_trip_through_the_guarded_filesystem(
    emulator: EntraEmulator, azurite: Azurite
) -> None:
    container = _container(azurite, emulator)
    emulator.reset()
    fs = _filesystem(azurite, emulator)
    frame = pd.DataFrame({"id": range(100), "name": [f"n{i}" for i in range(100)]})
    frame.to_parquet(f"{container}/frame.parquet", filesystem=fs)
    back = pd.read_parquet(f"{container}/frame.parquet", filesystem=fs)
    pd.testing.assert_frame_equal(back, frame)
    assert emulator.requests["token"] == 1


@pytest.mark.usefixtures("pipeline_env")
def test_the_guarded_filesystem(emulator: EntraEmulator, azurite: Azurite) -> None:
    container = _container(azurite, emulator)
    fs = _filesystem(azurite, emulator)
    fs.pipe(f"{container}/a.txt", b"guarded")
    assert fs.cat(f"{container}/a.txt") == b"guarded"
    assert fs.ls(container) == [f"{container}/a.txt"]


@pytest.mark.usefixtures("pipeline_env")
def test_dask_workers_in_processes_read_and_write_parquet(
    emulator: EntraEmulator, azurite: Azurite, private_home: Path
) -> None:
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    container = _container(azurite, emulator)
    emulator.reset()
    fs = _filesystem(azurite, emulator)  # pickled to the workers: no secret inside
    import cloudpickle

    assert emulator.client_secret.encode() not in cloudpickle.dumps(fs)
    frame = pd.DataFrame({"id": range(1000), "value": [i * 0.5 for i in range(1000)]})
    with LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
        host="127.0.0.1", worker_dashboard_address=None,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        path = f"{container}/dataset"
        dd.from_pandas(frame, npartitions=8).to_parquet(path, filesystem=fs)
        back = dd.read_parquet(path, filesystem=fs).compute()
        workers = len(client.scheduler_info()["workers"])
    assert workers == 2
    pd.testing.assert_frame_equal(back.sort_values("id").reset_index(drop=True), frame)
    # Three processes (this one and two workers) rebuilt the credential without its secret
    # travelling; the first to need a token fetched it under the store's lock, the others
    # read it from this user's store: one request for the whole job.
    assert emulator.requests["token"] == 1
