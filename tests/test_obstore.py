"""azlogin.obstore: an obstore AzureStore on Azurite over HTTPS with tokens from EntraEmulator,
sync and asyncio; a wrong token is refused (so the token is what signs obstore in), obstore
caches the engine's token by its real expiry, the host is checked before any I/O, and a
national cloud's host gets its cloud's authority."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import obstore as obs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from azure.core.credentials import AccessTokenInfo
from obstore.exceptions import PermissionDeniedError
from obstore.store import AzureStore

import azlogin
from azlogin import storage
from azlogin.obstore import store
from azlogin.testing import EntraEmulator, FakeCredential
from azlogin.testing.azurite import Azurite

LOOPBACK = "127.0.0.1"  # Azurite's host, trusted only through an explicit extra entry
SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "app",
    "AZCOPY_SPA_CLIENT_SECRET": "not-a-real-secret",
    "AZCOPY_TENANT_ID": "tenant",
}
TABLE = pa.table({"region": ["north", "south", "east"], "sales": [120, 80, 95]})
WRONG_TOKEN = r"403 Forbidden(.|\n)*Invalid token audience"


@pytest.fixture
def container(emulator: EntraEmulator, azurite: Azurite) -> str:
    """A fresh container; the counters start from zero."""
    name = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite.account_url, env=emulator.env("SPN"), trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path, token_store="none",
    ).create_container(name)  # fmt: skip
    emulator.reset()
    return name


def _store(emulator: EntraEmulator, url: str, **keywords: Any) -> AzureStore:
    return store(
        url, env=emulator.env("SPN"), trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path, **keywords,
    )  # fmt: skip


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _counting(monkeypatch: pytest.MonkeyPatch, built: AzureStore) -> list[float]:
    """Record each time obstore asks the store's provider for a token."""
    credential = built.credential_provider.credential  # type: ignore[union-attr]
    asked: list[float] = []
    original: Callable[..., Any] = credential.get_token_info

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append(time.monotonic())
        return original(*args, **kwargs)

    monkeypatch.setattr(credential, "get_token_info", counting)
    return asked


def test_write_and_read_back_a_parquet_dataset(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    built = _store(emulator, f"{azurite.account_url}/{container}/sales")
    assert isinstance(built, AzureStore)
    assert built.prefix == "sales"
    assert isinstance(built.credential_provider.credential, azlogin.Credential)  # type: ignore[union-attr]
    for index in range(3):
        part = TABLE.slice(index, 1)
        obs.put(built, f"region={part['region'][0]}/part-{index}.parquet", _parquet(part))
    listed = sorted(item["path"] for item in obs.list(built).collect())
    assert listed == [
        "region=east/part-2.parquet", "region=north/part-0.parquet", "region=south/part-1.parquet",
    ]  # fmt: skip
    parts = [pq.read_table(io.BytesIO(obs.get(built, name).bytes().to_bytes())) for name in listed]
    assert pa.concat_tables(parts).sort_by("sales").equals(TABLE.sort_by("sales"))
    assert emulator.requests["token"] == 1


def test_the_async_store_writes_and_reads_back(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    async def main() -> None:
        built = _store(emulator, f"abfs://{container}/async", asynchronous=True,
                       account=azurite.account_url)  # fmt: skip
        credential = built.credential_provider.credential  # type: ignore[union-attr]
        assert isinstance(credential, azlogin.AsyncCredential)
        payload = _parquet(TABLE)
        await asyncio.gather(*(obs.put_async(built, f"p{i}.parquet", payload) for i in range(4)))
        listed = await obs.list(built).collect_async()
        assert sorted(item["path"] for item in listed) == [f"p{i}.parquet" for i in range(4)]
        data = await (await obs.get_async(built, "p3.parquet")).bytes_async()
        assert pq.read_table(io.BytesIO(data.to_bytes())).equals(TABLE)
        await credential.close()

    asyncio.run(main())
    assert emulator.requests["token"] == 1


class _AsyncFake:
    """An asyncio credential with a canned token, for the async control."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.asked = 0

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        self.asked += 1
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


def test_a_wrong_token_is_refused_with_403(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    """The control: the same calls with a token minted for another audience fail, so the
    round trips above were signed in by the provider's token (not Azurite's account key)."""
    wrong, _ = emulator.mint_token(resource="https://graph.microsoft.com")
    url = f"{azurite.account_url}/{container}"
    fake = FakeCredential(token=wrong)
    with pytest.raises(PermissionDeniedError, match=WRONG_TOKEN):
        obs.put(_store(emulator, url, credential=fake), "x", b"x")
    assert fake.requests

    async_fake = _AsyncFake(wrong)
    built = _store(emulator, url, credential=async_fake, asynchronous=True)

    async def put() -> None:
        await obs.put_async(built, "x", b"x")

    with pytest.raises(PermissionDeniedError, match=WRONG_TOKEN):
        asyncio.run(put())
    assert async_fake.asked
    assert sum(emulator.requests.values()) == 0


def test_obstore_caches_the_token_by_its_real_expiry(
    emulator: EntraEmulator, azurite: Azurite, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An hour-long token: obstore asks the provider once and keeps the token for its
    operations (it asks again only within five minutes of the expiry it was given)."""
    built = _store(emulator, f"{azurite.account_url}/{container}")
    asked = _counting(monkeypatch, built)
    for index in range(20):
        obs.put(built, f"f{index}", b"x")
    assert len(obs.list(built).collect()) == 20
    assert len(asked) == 1
    assert emulator.requests["token"] == 1


def test_obstore_asks_per_request_but_one_token_is_fetched(
    emulator: EntraEmulator, azurite: Azurite, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A two-minute token is inside obstore's five-minute margin, so obstore asks the
    provider again for requests more than 100 ms after its last ask: the engine answers from
    its cache, and one token request serves them all."""
    monkeypatch.setattr(emulator, "token_lifetime", 120)
    built = _store(emulator, f"{azurite.account_url}/{container}")
    asked = _counting(monkeypatch, built)
    obs.put(built, "f", b"x")
    deadline = time.monotonic() + 60
    operations = 0
    while len(asked) < 4:
        assert obs.head(built, "f")["size"] == 1
        operations += 1
        assert time.monotonic() < deadline, "obstore stopped asking the provider"
    assert operations > len(asked)  # not every request, but again and again
    assert emulator.requests["token"] == 1


def test_an_emulator_variable_cannot_divert_the_requests(
    emulator: EntraEmulator, azurite: Azurite, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """obstore reads AZURE_STORAGE_USE_EMULATOR; true would send the store to Azurite's
    default address signed with its well-known key, ignoring the provider. The store turns
    it off explicitly."""
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    built = _store(emulator, f"{azurite.account_url}/{container}")
    obs.put(built, "pinned", b"pinned")
    assert obs.get(built, "pinned").bytes().to_bytes() == b"pinned"
    assert emulator.requests["token"] == 1


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize(
    ("url", "keywords"),
    [
        ("https://127.0.0.1:10000/devstoreaccount1/data/x", {}),
        ("az://data/x", {"account": "https://127.0.0.1:10000/devstoreaccount1"}),
        ("abfss://data@acct.dfs.core.windows.net.evil.test/x", {}),
        ("https://acct.blob.evil.test/data", {}),
    ],
)
def test_an_untrusted_host_is_refused_before_any_io(
    url: str, keywords: dict[str, str], asynchronous: bool, emulator: EntraEmulator
) -> None:
    with pytest.raises(azlogin.UntrustedDestinationError):
        store(url, env=emulator.env("SPN"), asynchronous=asynchronous, **keywords)
    fake = FakeCredential()
    with pytest.raises(azlogin.UntrustedDestinationError):
        store(url, credential=fake, asynchronous=asynchronous, **keywords)
    assert sum(emulator.requests.values()) == 0
    assert fake.requests == []


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize(
    ("url", "keywords", "endpoint", "authority"),
    [
        (
            "abfss://data@acct.dfs.core.chinacloudapi.cn/x", {},
            "https://acct.blob.core.chinacloudapi.cn", "https://login.chinacloudapi.cn",
        ),
        (
            "https://acct.blob.core.usgovcloudapi.net/data/x", {},
            "https://acct.blob.core.usgovcloudapi.net", "https://login.microsoftonline.us",
        ),
        ("az://data/x", {"account": "acct"}, "https://acct.blob.core.windows.net", None),
    ],
)  # fmt: skip
def test_a_national_cloud_host_signs_in_at_its_authority(
    url: str, keywords: dict[str, str], endpoint: str, authority: str | None, asynchronous: bool
) -> None:
    built = store(url, env=SPN, asynchronous=asynchronous, **keywords)
    assert built.config == {
        "account_name": "acct", "container_name": "data", "endpoint": endpoint,
        "use_emulator": "false",
    }  # fmt: skip
    assert built.prefix == "x"
    credential = built.credential_provider.credential  # type: ignore[union-attr]
    assert credential.details.get("aad_endpoint") == authority


def test_the_provider_hands_obstore_the_token_and_its_real_expiry() -> None:
    fake = FakeCredential(token="the-token", expires_in=600, clock=lambda: 1000.0)
    built = store("az://data", account="acct", credential=fake)
    assert built.prefix is None
    provider = built.credential_provider
    assert provider is not None
    answer = provider()
    assert answer["token"] == "the-token"
    assert answer["expires_at"].timestamp() == 1600
    assert answer["expires_at"].utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert fake.requests[0].scopes == (azlogin.STORAGE_SCOPE,)
    assert "the-token" not in repr(provider)


def test_connection_verify_is_the_stores_root_certificate(
    emulator: EntraEmulator, tmp_path: Path
) -> None:
    fake = FakeCredential()
    built = store("az://d", account="acct", credential=fake, connection_verify=emulator.ca_path,
                  client_options={"timeout": "30s"})  # fmt: skip
    pem = Path(emulator.ca_path).read_bytes()  # obstore hands the PEM text back as bytes
    assert built.client_options == {"timeout": "30s", "root_certificate": pem}
    unchecked = store("az://d", account="acct", credential=fake, connection_verify=False)
    assert unchecked.client_options == {"allow_invalid_certificates": "true"}
    assert store("az://d", account="acct", credential=fake).client_options is None
    with pytest.raises(azlogin.ConfigurationError, match="connection_verify") as caught:
        store("az://d", account="acct", credential=fake, connection_verify=str(tmp_path / "no"))
    assert caught.value.keyword == "connection_verify"


def test_an_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="endpoint"):
        store("az://d", account="acct", credential=FakeCredential(), endpoint="https://x")
    with pytest.raises(TypeError, match="asynchronous=True"):
        store("az://d", account="acct", credential=_AsyncFake("t"))
    with pytest.raises(azlogin.ConfigurationError, match="account="):
        store("az://d", credential=FakeCredential())


def test_obstore_is_imported_only_when_a_store_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe = "import sys, azlogin.obstore; print('obstore' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    monkeypatch.setitem(sys.modules, "obstore.store", None)  # as if obstore were not installed
    with pytest.raises(ImportError, match=r'pip install "azlogin\[obstore\]"'):
        store("az://d", account="acct", credential=FakeCredential())
