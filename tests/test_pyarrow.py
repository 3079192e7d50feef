"""pyarrow through azlogin.pyarrow.filesystem on Azurite over HTTPS with OAuth, tokens from
EntraEmulator: datasets round-trip, a wrong token is refused by the service, an untrusted host
is refused before any I/O."""

from __future__ import annotations

import pickle
import sys
import uuid

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs
import pyarrow.parquet as pq
import pytest
from azure.core.exceptions import ClientAuthenticationError

import azlogin
import azlogin.pyarrow
from azlogin import storage
from azlogin.testing import EntraEmulator, FakeCredential
from azlogin.testing.azurite import Azurite

LOOPBACK = "127.0.0.1"  # Azurite's host, trusted only through an explicit extra entry

TABLE = pa.table(
    {
        "id": list(range(200)),
        "region": ["north", "south", "east", "west"] * 50,
        "sales": [i * 0.25 for i in range(200)],
    }
)


@pytest.fixture
def container(emulator: EntraEmulator, azurite: Azurite) -> str:
    """A fresh container; the emulator's counters are reset afterwards, so a test counts only
    its own token requests (the store is per test: the filesystem starts cold)."""
    name = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite.account_url, env=emulator.env("SPN"), trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path, token_store="none",
    ).create_container(name)  # fmt: skip
    emulator.reset()
    return name


def _filesystem(url: str, emulator: EntraEmulator, **keywords: object) -> pyarrow.fs.FileSystem:
    keywords.setdefault("env", emulator.env("SPN"))
    return azlogin.pyarrow.filesystem(
        url, trusted_microsoft_suffixes=LOOPBACK, connection_verify=emulator.ca_path, **keywords
    )


def _sorted(table: pa.Table) -> pa.Table:
    return table.select(TABLE.column_names).sort_by("id")


def test_path_is_container_slash_path() -> None:
    path = azlogin.pyarrow.path
    assert path("https://acct.blob.core.windows.net/data/sales/2024.parquet") == (
        "data/sales/2024.parquet"
    )
    assert path("abfss://data@acct.dfs.core.windows.net/sales/") == "data/sales"
    assert path("https://127.0.0.1:10000/devstoreaccount1/data/x.parquet") == "data/x.parquet"
    assert path("az://data") == "data"
    assert path("abfs://data/a/b/") == "data/a/b"
    with pytest.raises(azlogin.ConfigurationError, match="https"):
        path("http://acct.blob.core.windows.net/data/x")
    with pytest.raises(azlogin.ConfigurationError, match="no container"):
        path("https://acct.blob.core.windows.net/")


def test_write_dataset_and_read_it_back(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    url = f"{azurite.account_url}/{container}/sales"
    fs = _filesystem(url, emulator)
    assert isinstance(fs, pyarrow.fs.PyFileSystem)
    root = azlogin.pyarrow.path(url)
    assert root == f"{container}/sales"

    ds.write_dataset(
        TABLE, root, filesystem=fs, format="parquet", partitioning=["region"],
        partitioning_flavor="hive",
    )  # fmt: skip
    files = fs.get_file_info(pyarrow.fs.FileSelector(root, recursive=True))
    written = sorted(info.path for info in files if info.type == pyarrow.fs.FileType.File)
    assert written == [
        f"{root}/region={region}/part-0.parquet" for region in ("east", "north", "south", "west")
    ]
    back = ds.dataset(root, filesystem=fs, format="parquet", partitioning="hive").to_table()
    assert _sorted(back).equals(TABLE)
    south = pq.read_table(root, filesystem=fs, filters=[("region", "=", "south")])
    assert south.num_rows == 50

    pq.write_table(TABLE, f"{container}/single.parquet", filesystem=fs)
    assert pq.read_table(f"{container}/single.parquet", filesystem=fs).equals(TABLE)
    # Every request above was signed with one token from the emulator.
    assert emulator.requests["token"] == 1


def test_az_url_with_account_keyword(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    url = f"az://{container}/one.parquet"
    fs = _filesystem(url, emulator, account=azurite.account_url)
    pq.write_table(TABLE, azlogin.pyarrow.path(url), filesystem=fs)
    with fs.open_input_file(azlogin.pyarrow.path(url)) as handle:
        assert pq.read_table(handle).equals(TABLE)
    assert emulator.requests["token"] == 1


def test_every_request_goes_through_the_guard(
    emulator: EntraEmulator, azurite: Azurite, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only the first request: with the transport's trust list emptied after a write, the
    next read is refused by the guard (object_store tools are checked up front only)."""
    from azlogin._config.trust import TrustedSuffixes
    from azlogin.fsspec import GuardedBlobFileSystem

    fs = _filesystem(f"{azurite.account_url}/{container}", emulator)
    pq.write_table(TABLE, f"{container}/guarded.parquet", filesystem=fs)
    guarded = fs.handler.fs
    assert isinstance(guarded, GuardedBlobFileSystem)
    transport = guarded.service_client._pipeline._transport
    assert isinstance(transport, azlogin.AsyncGuardedTransport), transport
    monkeypatch.setattr(transport, "trusted_suffixes", TrustedSuffixes())
    with pytest.raises(azlogin.UntrustedDestinationError, match=r"127\.0\.0\.1"):
        pq.read_table(f"{container}/guarded.parquet", filesystem=fs)


@pytest.mark.filterwarnings("ignore:Failed to fetch container properties:UserWarning")
@pytest.mark.parametrize("kind", ["junk", "another audience"])
def test_a_wrong_token_is_refused_by_the_service(
    emulator: EntraEmulator, azurite: Azurite, container: str, kind: str
) -> None:
    """The control: the storage requests are signed with the credential's token, so a bad
    one gets 403 (a ClientAuthenticationError, or adlfs's RuntimeError for an upload) and
    nothing is written."""
    vault = "https://vault.azure.net"  # a well-formed token, but for another audience
    token = "junk" if kind == "junk" else emulator.mint_token(resource=vault)[0]
    fake = FakeCredential(token=token)
    fs = _filesystem(f"{azurite.account_url}/{container}", emulator, credential=fake)
    with pytest.raises(ClientAuthenticationError) as refused:
        fs.get_file_info(pyarrow.fs.FileSelector(container))
    assert refused.value.status_code == 403
    with pytest.raises(RuntimeError, match="Server failed to authenticate the request"):
        pq.write_table(TABLE, f"{container}/refused.parquet", filesystem=fs)
    assert len(fake.requests) >= 1  # the fake's token was the one sent
    good = _filesystem(f"{azurite.account_url}/{container}", emulator)
    assert good.get_file_info(f"{container}/refused.parquet").type == pyarrow.fs.FileType.NotFound
    assert emulator.requests["token"] == 1  # the good filesystem's; the fake never asks it


def test_each_filesystem_keeps_its_own_credential(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    """fsspec caches filesystems by their arguments' text; two credentials of equal repr must
    still each sign their own filesystem's requests."""
    url = f"{azurite.account_url}/{container}"
    first, second = FakeCredential(token="junk-1"), FakeCredential(token="junk-2")
    assert repr(first) == repr(second)
    for fake in (first, second):
        fs = _filesystem(url, emulator, credential=fake)
        with pytest.raises(ClientAuthenticationError):
            fs.get_file_info(f"{container}/refused.parquet")
        assert len(fake.requests) >= 1


@pytest.mark.parametrize(("expires_in", "asked_again"), [(3600, 0), (60, 3)])
def test_the_token_comes_from_the_credential_and_is_asked_again_near_expiry(
    emulator: EntraEmulator, azurite: Azurite, container: str, expires_in: int, asked_again: int
) -> None:
    """Refresh is the credential's: the storage client asks it again for every request once
    its token is within five minutes of expiry (azure-core's rule), and an azlogin credential
    answers from its engine, fetching ahead of expiry. A valid storage token reported to
    expire in 60 s is asked for on every request; one good for an hour, once."""
    fake = FakeCredential(token=emulator.mint_token()[0], expires_in=expires_in)
    fs = _filesystem(f"{azurite.account_url}/{container}", emulator, credential=fake)
    pq.write_table(TABLE, f"{container}/t.parquet", filesystem=fs)
    before = len(fake.requests)
    for _ in range(3):
        assert fs.get_file_info(f"{container}/t.parquet").size > 0
    assert before >= 1
    assert len(fake.requests) - before >= asked_again  # one per request near expiry
    if not asked_again:
        assert len(fake.requests) == 1


def test_an_untrusted_url_is_refused_before_any_io(
    emulator: EntraEmulator, azurite: Azurite
) -> None:
    env = emulator.env("SPN")
    with pytest.raises(azlogin.UntrustedDestinationError, match=r"127\.0\.0\.1"):
        azlogin.pyarrow.filesystem(f"{azurite.account_url}/data/x.parquet", env=env)
    lookalike = "https://acct.blob.core.windows.net.example.com/data/x.parquet"
    with pytest.raises(azlogin.UntrustedDestinationError):
        azlogin.pyarrow.filesystem(lookalike, env=env)
    fake = FakeCredential()
    with pytest.raises(azlogin.UntrustedDestinationError):
        azlogin.pyarrow.filesystem(lookalike, credential=fake)
    with pytest.raises(azlogin.ConfigurationError, match="https"):
        azlogin.pyarrow.filesystem("http://acct.blob.core.windows.net/data/x", env=env)
    assert fake.requests == []
    assert sum(emulator.requests.values()) == 0


def test_the_filesystem_pickles_without_the_secret(
    emulator: EntraEmulator,
    azurite: Azurite,
    container: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pyarrow datasets travel to Dask or Ray workers by pickle: the filesystem rebuilds its
    credential from the worker's environment, and no secret is in the bytes."""
    for name, value in emulator.env("SPN").items():
        monkeypatch.setenv(name, value)
    fs = azlogin.pyarrow.filesystem(
        f"{azurite.account_url}/{container}", trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    )  # fmt: skip
    pq.write_table(TABLE, f"{container}/t.parquet", filesystem=fs)
    data = pickle.dumps(fs)
    assert emulator.client_secret.encode() not in data
    again = pickle.loads(data)
    assert pq.read_table(f"{container}/t.parquet", filesystem=again).equals(TABLE)
    assert emulator.requests["token"] == 1  # the rebuilt credential read the user's store


def test_without_pyarrow_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow.fs", None)
    with pytest.raises(ImportError, match=r'pip install "azlogin\[pyarrow\]"'):
        azlogin.pyarrow.filesystem("https://acct.blob.core.windows.net/data/x.parquet")
