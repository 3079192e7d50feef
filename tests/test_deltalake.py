"""azlogin.deltalake against Azurite over HTTPS with OAuth, tokens from EntraEmulator.

deltalake 1.6 on Azurite 3.35 cannot commit a third table version ("Invalid table version: 1",
with or without azlogin): every table here stops at two versions.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

import azlogin
import azlogin.deltalake
from azlogin import storage
from azlogin.testing import EntraEmulator, FakeCredential
from azlogin.testing.azurite import Azurite

LOOPBACK = "127.0.0.1"  # Azurite's host, trusted only through an explicit extra entry


@pytest.fixture
def container(
    emulator: EntraEmulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A new container, and the emulator's CA in SSL_CERT_FILE, which is how deltalake's
    HTTP client (rustls) takes a private CA."""
    monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_path)
    name = f"c{uuid.uuid4().hex[:12]}"
    client = storage.blob_service_client(
        azurite.account_url,
        credential=FakeCredential(token=emulator.mint_token()[0]),  # no token request
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    )
    client.create_container(name)
    yield name
    client.delete_container(name)


def _login(emulator: EntraEmulator, **keywords: object) -> dict[str, object]:
    return {
        "env": emulator.env("SPN"),
        "trusted_microsoft_suffixes": LOOPBACK,
        "connection_verify": emulator.ca_path,
        **keywords,
    }


def _rows(uri: str, options: dict[str, str]) -> list[int]:
    # to_pandas(): deltalake 1.6's to_pyarrow_table() sometimes aborts the process at exit.
    return sorted(DeltaTable(uri, storage_options=options).to_pandas()["x"].tolist())


def test_writes_a_delta_table_and_reads_it_back(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    uri = f"az://{container}/tables/sales"
    login = _login(emulator, account=azurite.account_url)
    options = azlogin.deltalake.storage_options(uri, **login)
    assert set(options) == {
        "azure_storage_account_name",
        "azure_storage_endpoint",
        "bearer_token",
        "azure_storage_use_emulator",
    }
    assert all(isinstance(value, str) for value in options.values())
    assert options["azure_storage_endpoint"] == azurite.account_url
    assert options["azure_storage_use_emulator"] == "false"
    assert EntraEmulator.decode(options["bearer_token"])["aud"] == "https://storage.azure.com"

    write_deltalake(uri, pa.table({"x": [1, 2]}), storage_options=options)
    write_deltalake(
        uri,
        pa.table({"x": [3]}),
        mode="append",
        storage_options=azlogin.deltalake.storage_options(uri, **login),
    )
    reader = azlogin.deltalake.storage_options(uri, **login)
    assert _rows(uri, reader) == [1, 2, 3]
    assert DeltaTable(uri, storage_options=reader).version() == 1
    assert emulator.requests["token"] == 1  # three calls, one token: the engine's cache


def test_a_path_style_https_url_names_the_same_table(
    emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    url = f"{azurite.account_url}/{container}/tables/t"
    uri = azlogin.deltalake.table_uri(url)
    assert uri == f"az://{container}/tables/t"
    options = azlogin.deltalake.storage_options(url, **_login(emulator))
    write_deltalake(uri, pa.table({"x": [7]}), storage_options=options)
    assert _rows(uri, azlogin.deltalake.storage_options(url, **_login(emulator))) == [7]


@pytest.mark.parametrize("kind", ["token for another audience", "expired token", "junk"])
def test_a_wrong_token_is_refused_with_403(
    kind: str, emulator: EntraEmulator, azurite: Azurite, container: str
) -> None:
    """The control: the table exists and the right token reads it; a wrong one gets 403, so
    the round trip above was signed by azlogin's token (not by an emulator key)."""
    uri = f"az://{container}/t"
    good = azlogin.deltalake.storage_options(uri, **_login(emulator, account=azurite.account_url))
    write_deltalake(uri, pa.table({"x": [1]}), storage_options=good)
    wrong = {
        "token for another audience": emulator.mint_token(resource="https://management.azure.com")[
            0
        ],
        "expired token": emulator.mint_token(issued_at=time.time() - 7200)[0],
        "junk": "not-a-token",
    }[kind]
    options = azlogin.deltalake.storage_options(
        uri,
        credential=FakeCredential(token=wrong),
        account=azurite.account_url,
        trusted_microsoft_suffixes=LOOPBACK,
    )
    with pytest.raises(OSError, match="403"):
        DeltaTable(uri, storage_options=options)
    assert _rows(uri, good) == [1]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:10000/devstoreaccount1/data/t",  # loopback, not trusted by default
        "abfss://data@myaccount.dfs.core.windows.net.evil.example/t",  # a lookalike host
        "https://myaccount.blob.core.windows.net@evil.example/data/t",
    ],
)
def test_an_untrusted_url_is_refused_before_any_io(url: str, emulator: EntraEmulator) -> None:
    with pytest.raises(azlogin.UntrustedDestinationError):
        azlogin.deltalake.storage_options(url, env=emulator.env("SPN"))
    assert sum(emulator.requests.values()) == 0


def test_the_emulator_variables_cannot_replace_the_token(
    emulator: EntraEmulator,
    azurite: Azurite,
    container: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """object_store's AZURE_STORAGE_USE_EMULATOR=true would send every request to
    AZURITE_BLOB_STORAGE_URL signed with Azurite's well-known key; the options pin it off."""
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", "http://127.0.0.1:9")  # nothing listens
    uri = f"az://{container}/t"
    login = _login(emulator, account=azurite.account_url)
    write_deltalake(
        uri, pa.table({"x": [5]}), storage_options=azlogin.deltalake.storage_options(uri, **login)
    )
    assert _rows(uri, azlogin.deltalake.storage_options(uri, **login)) == [5]


def test_each_call_serves_the_engines_refreshed_token(
    emulator: EntraEmulator,
    azurite: Azurite,
    container: str,
    monkeypatch: pytest.MonkeyPatch,
    standins_on_path: Path,
) -> None:
    """60-second tokens and the engine's injected clock: once the clock passes the first
    token's usable life, the next call carries a new token (no sleeping). AZCLI, because
    azure-identity's Azure CLI credential keeps no token cache of its own (its client-secret
    credential would serve its cached token for 30 s of real time), so the engine's clock
    alone decides."""
    monkeypatch.setattr(emulator, "token_lifetime", 60)
    now = [time.time()]
    credential = azlogin.get_credential(emulator.env("AZCLI"), clock=lambda: now[0])
    uri = f"az://{container}/t"
    login = {
        "credential": credential,
        "account": azurite.account_url,
        "trusted_microsoft_suffixes": LOOPBACK,
    }
    first = azlogin.deltalake.storage_options(uri, **login)
    write_deltalake(uri, pa.table({"x": [1]}), storage_options=first)
    assert azlogin.deltalake.storage_options(uri, **login)["bearer_token"] == first["bearer_token"]
    assert emulator.requests["cli"] == 1

    # A second before the first token expires: past its usable life (the engine stops
    # serving a token shortly before it expires), so the next call waits for a new one.
    now[0] = EntraEmulator.decode(first["bearer_token"])["exp"] - 1
    second = azlogin.deltalake.storage_options(uri, **login)
    assert second["bearer_token"] != first["bearer_token"]
    assert emulator.requests["cli"] == 2
    write_deltalake(uri, pa.table({"x": [2]}), mode="append", storage_options=second)
    assert _rows(uri, azlogin.deltalake.storage_options(uri, **login)) == [1, 2]
    assert emulator.requests["cli"] == 2


def test_keeps_working_past_the_first_tokens_expiry(
    emulator: EntraEmulator,
    azurite: Azurite,
    container: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real time, with 3-second tokens: once the first token has expired (Azurite refuses
    it), a new call signs in with a new one and the table is written and read again."""
    monkeypatch.setattr(emulator, "token_lifetime", 3)
    uri = f"az://{container}/t"
    login = _login(emulator, account=azurite.account_url)
    first = azlogin.deltalake.storage_options(uri, **login)
    write_deltalake(uri, pa.table({"x": [1]}), storage_options=first)
    expires_on = EntraEmulator.decode(first["bearer_token"])["exp"]
    time.sleep(max(0.0, expires_on + 1 - time.time()))

    with pytest.raises(OSError, match="403"):
        DeltaTable(uri, storage_options=first)  # the first token has expired
    second = azlogin.deltalake.storage_options(uri, **login)
    assert second["bearer_token"] != first["bearer_token"]
    write_deltalake(uri, pa.table({"x": [2]}), mode="append", storage_options=second)
    assert _rows(uri, azlogin.deltalake.storage_options(uri, **login)) == [1, 2]


@pytest.mark.parametrize(
    ("url", "account", "endpoint"),
    [
        (
            "abfss://data@myaccount.dfs.core.windows.net/t",
            None,
            "https://myaccount.blob.core.windows.net",
        ),
        (
            "https://myaccount.blob.core.windows.net/data/t",
            None,
            "https://myaccount.blob.core.windows.net",
        ),
        ("az://data/t", "myaccount", "https://myaccount.blob.core.windows.net"),
        (
            "abfss://data@myaccount.dfs.core.chinacloudapi.cn/t",
            None,
            "https://myaccount.blob.core.chinacloudapi.cn",
        ),
    ],
)
def test_the_options_pin_the_checked_endpoint(url: str, account: str | None, endpoint: str) -> None:
    fake = FakeCredential(token="t0k3n")
    options = azlogin.deltalake.storage_options(url, credential=fake, account=account)
    assert options == {
        "azure_storage_account_name": "myaccount",
        "azure_storage_endpoint": endpoint,
        "bearer_token": "t0k3n",
        "azure_storage_use_emulator": "false",
    }
    assert [request.scopes for request in fake.requests] == [(azlogin.STORAGE_SCOPE,)]


def test_connection_verify_false_turns_off_certificate_checks_too() -> None:
    options = azlogin.deltalake.storage_options(
        "az://data/t", account="myaccount", credential=FakeCredential(), connection_verify=False
    )
    assert options["allow_invalid_certificates"] == "true"


def test_an_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="timeout"):
        azlogin.deltalake.storage_options(
            "az://data/t", account="myaccount", credential=FakeCredential(), timeout="30s"
        )


def test_table_uri() -> None:
    assert (
        azlogin.deltalake.table_uri("abfss://data@acct.dfs.core.windows.net/a/b") == "az://data/a/b"
    )
    assert azlogin.deltalake.table_uri("az://data/t", account="acct") == "az://data/t"


def test_deltalake_is_imported_only_when_options_are_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe = "import sys, azlogin.deltalake; print('deltalake' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    monkeypatch.setitem(sys.modules, "deltalake", None)  # as if deltalake were not installed
    with pytest.raises(ImportError, match=r'pip install "azlogin\[deltalake\]"'):
        azlogin.deltalake.storage_options(
            "az://data/t", account="acct", credential=FakeCredential()
        )
