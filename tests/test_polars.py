"""azlogin.polars: polars reads and writes Parquet on Azurite over HTTPS with tokens from
EntraEmulator; a wrong token is refused (so the token is what signs polars in), the host is
checked before any I/O, and a national cloud's host gets its cloud's authority."""

from __future__ import annotations

import subprocess
import sys
import uuid

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import azlogin
from azlogin import storage
from azlogin.polars import options, path
from azlogin.testing import EntraEmulator, FakeCredential
from azlogin.testing.azurite import Azurite

LOOPBACK = "127.0.0.1"  # Azurite's host, trusted only through an explicit extra entry
SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "app",
    "AZCOPY_SPA_CLIENT_SECRET": "not-a-real-secret",
    "AZCOPY_TENANT_ID": "tenant",
}
FRAME = pl.DataFrame(
    {"region": ["north", "south", "east", "north"], "sales": [120, 80, 95, 40], "id": [1, 2, 3, 4]}
)


@pytest.fixture
def container(emulator: EntraEmulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh container; the counters start from zero. polars' HTTP client takes no CA in
    its storage options: it trusts the emulator's CA through SSL_CERT_FILE, read by its TLS
    stack when it first connects."""
    monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_path)
    name = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite.account_url, env=emulator.env("SPN"), trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path, token_store="none",
    ).create_container(name)  # fmt: skip
    emulator.reset()
    return name


def _options(emulator: EntraEmulator, url: str, **keywords: object) -> dict[str, object]:
    return options(
        url, env=emulator.env("SPN"), trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path, **keywords,
    )  # fmt: skip


def test_write_and_read_back_a_parquet_dataset(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    url = f"{azurite.account_url}/{container}/sales"
    kwargs = _options(emulator, url)
    assert isinstance(kwargs["credential_provider"].credential, azlogin.Credential)  # type: ignore[attr-defined]
    dataset = path(url)
    assert dataset == f"az://{container}/sales"

    FRAME.write_parquet(dataset, partition_by="region", **kwargs)  # a hive-partitioned dataset
    FRAME.lazy().sink_parquet(f"{dataset}/all.parquet", **kwargs)
    back = pl.scan_parquet(f"{dataset}/region=*/*.parquet", hive_partitioning=True, **kwargs)
    assert_frame_equal(back.collect().sort("id"), FRAME, check_column_order=False)
    assert_frame_equal(pl.read_parquet(f"{dataset}/all.parquet", **kwargs), FRAME)
    # The abfs:// form of the same account, read with options built from az:// + account=.
    az_kwargs = _options(emulator, f"az://{container}", account=azurite.account_url)
    assert pl.read_parquet(f"abfs://{container}/sales/all.parquet", **az_kwargs).height == 4
    assert emulator.requests["token"] == 1  # one token for every request, both option sets


def test_a_wrong_token_is_refused_with_403(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    """The control: the same call with a token minted for another audience fails, so the
    round trip above was signed in by the provider's token (not by Azurite's account key)."""
    wrong, _ = emulator.mint_token(resource="https://graph.microsoft.com")
    fake = FakeCredential(token=wrong)
    url = f"{azurite.account_url}/{container}/x.parquet"
    kwargs = _options(emulator, url, credential=fake)
    with pytest.raises(PermissionError, match=r"403 Forbidden(.|\n)*Invalid token audience"):
        FRAME.write_parquet(path(url), **kwargs)
    assert fake.requests  # the provider asked the credential passed in
    assert sum(emulator.requests.values()) == 0


def test_an_emulator_variable_cannot_divert_the_requests(
    emulator: EntraEmulator, azurite: Azurite, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """object_store reads AZURE_STORAGE_USE_EMULATOR; true would send polars to Azurite's
    default address signed with its well-known key, ignoring the provider. The options turn
    it off explicitly, and the path's account cannot move the pinned endpoint either."""
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    url = f"{azurite.account_url}/{container}/pinned.parquet"
    kwargs = _options(emulator, url)
    FRAME.write_parquet(path(url), **kwargs)
    elsewhere = f"abfss://{container}@elsewhere.dfs.core.windows.net/pinned.parquet"
    assert_frame_equal(pl.read_parquet(elsewhere, **kwargs), FRAME)
    assert emulator.requests["token"] == 1


@pytest.mark.parametrize(
    ("url", "keywords"),
    [
        ("https://127.0.0.1:10000/devstoreaccount1/data/x.parquet", {}),
        ("az://data/x.parquet", {"account": "https://127.0.0.1:10000/devstoreaccount1"}),
        ("abfss://data@acct.dfs.core.windows.net.evil.test/x.parquet", {}),
        ("abfs://data/x.parquet", {"account": "https://acct.blob.evil.test"}),
    ],
)
def test_an_untrusted_host_is_refused_before_any_io(
    url: str, keywords: dict[str, str], emulator: EntraEmulator
) -> None:
    with pytest.raises(azlogin.UntrustedDestinationError):
        options(url, env=emulator.env("SPN"), **keywords)
    fake = FakeCredential()
    with pytest.raises(azlogin.UntrustedDestinationError):
        options(url, credential=fake, **keywords)
    assert sum(emulator.requests.values()) == 0
    assert fake.requests == []


@pytest.mark.parametrize(
    ("url", "keywords", "endpoint", "authority"),
    [
        (
            "abfss://data@acct.dfs.core.chinacloudapi.cn/x.parquet", {},
            "https://acct.blob.core.chinacloudapi.cn", "https://login.chinacloudapi.cn",
        ),
        (
            "https://acct.blob.core.usgovcloudapi.net/data/x.parquet", {},
            "https://acct.blob.core.usgovcloudapi.net", "https://login.microsoftonline.us",
        ),
        (
            "az://data/x.parquet", {"account": "https://acct.blob.core.cloudapi.de"},
            "https://acct.blob.core.cloudapi.de", "https://login.microsoftonline.de",
        ),
        (
            "az://data/x.parquet", {"account": "acct"},
            "https://acct.blob.core.windows.net", None,
        ),
    ],
)  # fmt: skip
def test_a_national_cloud_host_signs_in_at_its_authority(
    url: str, keywords: dict[str, str], endpoint: str, authority: str | None
) -> None:
    kwargs = options(url, env=SPN, **keywords)
    assert kwargs["storage_options"] == {
        "azure_storage_account_name": "acct",
        "azure_storage_endpoint": endpoint,
        "azure_storage_use_emulator": "false",
    }
    credential = kwargs["credential_provider"].credential
    assert credential.details.get("aad_endpoint") == authority


def test_the_provider_hands_polars_the_token_and_its_real_expiry() -> None:
    fake = FakeCredential(token="the-token", expires_in=600, clock=lambda: 1000.0)
    kwargs = options("az://data/x.parquet", account="acct", credential=fake)
    assert set(kwargs) == {"storage_options", "credential_provider"}
    assert all(isinstance(value, str) for value in kwargs["storage_options"].values())
    provider = kwargs["credential_provider"]
    assert provider() == ({"bearer_token": "the-token"}, 1600)
    assert fake.requests[0].scopes == (azlogin.STORAGE_SCOPE,)
    assert "the-token" not in repr(provider)


def test_connection_verify_false_turns_off_certificate_checks() -> None:
    kwargs = options(
        "az://d/x", account="acct", credential=FakeCredential(), connection_verify=False
    )
    assert kwargs["storage_options"]["allow_invalid_certificates"] == "true"


def test_an_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="max_retries"):
        options("az://d/x", account="acct", credential=FakeCredential(), max_retries="3")
    with pytest.raises(azlogin.ConfigurationError, match="account="):
        options("az://d/x", credential=FakeCredential())


def test_an_asyncio_credential_is_refused() -> None:
    class AsyncOnly:
        async def get_token_info(self, *scopes: str) -> None:
            raise AssertionError("never asked")

    with pytest.raises(TypeError, match="sync credential"):
        options("az://d/x", account="acct", credential=AsyncOnly())


def test_polars_is_imported_only_when_options_are_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe = "import sys, azlogin.polars; print('polars' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    monkeypatch.setitem(sys.modules, "polars", None)  # as if polars were not installed
    with pytest.raises(ImportError, match=r'pip install "azlogin\[polars\]"'):
        options("az://d/x", account="acct", credential=FakeCredential())
