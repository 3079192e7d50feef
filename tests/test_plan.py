"""One plan behind every entry point: the drifts between entry points that the plan ended,
each reproduced as it was found (these failed before the plan existed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import azlogin
import azlogin.fsspec
from azlogin import storage
from azlogin._config.digest import sha256_hex
from azlogin._config.keywords import parse_keywords
from azlogin._config.plan import fingerprint, make_plan
from azlogin._config.saved import SavedLogin
from azlogin.cli import main
from azlogin.persistence import StaticKey
from azlogin.persistence import _default as default_module
from azlogin.persistence._default import StoreOpener
from azlogin.testing import EntraEmulator
from tests.support import SECRET

AZURITE_URL = "https://127.0.0.1:10000/devstoreaccount1"
SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "app",
    "AZCOPY_SPA_CLIENT_SECRET": SECRET,
    "AZCOPY_TENANT_ID": "tenant",
}


class CountingKey(StaticKey):
    """A key source that counts its lookups (one per store opening: with a passphrase, each
    is a scrypt derivation)."""

    lookups = 0

    def key_for(self, store_id: str, directory: Path) -> bytes:
        CountingKey.lookups += 1
        return super().key_for(store_id, directory)


@pytest.fixture
def counting_key(monkeypatch: pytest.MonkeyPatch) -> type[CountingKey]:
    monkeypatch.setattr(default_module, "key_sources", lambda env: [CountingKey(bytes(32))])
    CountingKey.lookups = 0
    return CountingKey


def _save(login: SavedLogin) -> None:
    StoreOpener({}).save_login(login)
    CountingKey.lookups = 0


# 1. A saved login's trust list is the storage and fsspec helpers' trust list.


@pytest.mark.usefixtures("counting_key")
def test_a_saved_logins_trusted_suffixes_guard_the_storage_and_fsspec_helpers() -> None:
    _save(SavedLogin("SPN", dict(SPN), "127.0.0.1"))
    assert azlogin.get_credential({}).trusted_suffixes.is_trusted(AZURITE_URL)
    client = storage.blob_service_client(AZURITE_URL, env={})
    assert client.credential.trusted_suffixes.is_trusted(AZURITE_URL)
    options = azlogin.fsspec.storage_options(AZURITE_URL, env={})
    assert options["credential"].trusted_suffixes.is_trusted(AZURITE_URL)
    # An explicit keyword still replaces the saved list.
    with pytest.raises(azlogin.UntrustedDestinationError):
        storage.blob_service_client(AZURITE_URL, env={}, trusted_microsoft_suffixes="")


# 2. fsspec honours the trust list of a credential passed to it.


def test_fsspec_honours_the_trust_list_of_a_credential_passed_to_it() -> None:
    credential = azlogin.get_async_credential(
        SPN, trusted_microsoft_suffixes="127.0.0.1", token_store="none"
    )
    options = azlogin.fsspec.storage_options(AZURITE_URL, credential=credential)
    assert options["credential"] is credential
    filesystem = azlogin.fsspec.filesystem(AZURITE_URL, credential=credential)
    assert filesystem._azlogin_trusted.is_trusted(AZURITE_URL)
    narrow = azlogin.get_async_credential(SPN, token_store="none")
    with pytest.raises(azlogin.UntrustedDestinationError, match=r"127\.0\.0\.1"):
        azlogin.fsspec.storage_options(AZURITE_URL, credential=narrow)


# 3. fsspec gives a national cloud's account its cloud's authority.


@pytest.mark.parametrize(
    ("account", "authority"),
    [
        ("https://acct.blob.core.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
        ("https://acct.blob.core.usgovcloudapi.net", "https://login.microsoftonline.us"),
        ("https://acct.blob.core.windows.net", None),
    ],
)
def test_fsspec_gives_a_national_cloud_its_authority(account: str, authority: str | None) -> None:
    credential = azlogin.fsspec.storage_options(account, env=SPN, token_store="none")["credential"]
    assert credential.details.get("aad_endpoint") == authority
    client = storage.blob_service_client(account, env=SPN, token_store="none")
    assert client.credential.details.get("aad_endpoint") == authority


# 4. The default store is opened (its key looked up) once per call.


def test_a_storage_helper_opens_the_default_store_once(counting_key: type[CountingKey]) -> None:
    _save(SavedLogin("SPN", dict(SPN)))
    storage.blob_service_client("https://acct.blob.core.windows.net", env={})
    assert counting_key.lookups == 1
    counting_key.lookups = 0
    azlogin.fsspec.storage_options("acct", env={})
    assert counting_key.lookups == 1


def test_cli_status_and_logout_open_the_default_store_once(
    counting_key: type[CountingKey], emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save(SavedLogin("SPN", emulator.env("SPN")))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)  # requests reads os.environ
    environ: dict[str, str] = {}
    assert main(["login", "status"], environ) == 0
    assert counting_key.lookups == 1
    counting_key.lookups = 0
    assert main(["logout"], environ) == 0
    assert counting_key.lookups == 1


# 5. Logout removes every item of the saved login's identity, named by the plan.


@pytest.mark.usefixtures("counting_key")
def test_logout_removes_every_token_the_saved_login_cached(
    emulator: EntraEmulator, private_home: Path
) -> None:
    _save(SavedLogin("SPN", emulator.env("SPN")))
    credential = azlogin.get_credential({}, connection_verify=emulator.ca_path)
    credential.get_token()
    credential.get_token(enable_cae=True)
    credential.get_token("https://management.azure.com/.default")
    items = list((private_home / ".azlogin").glob("*.item"))
    assert len(items) >= 4  # the login, three tokens (and the identity's index)
    assert main(["logout"], {}) == 0
    assert list((private_home / ".azlogin").glob("*.item")) == []


# The plan itself: pure, and the one place the fingerprint comes from.


@pytest.mark.parametrize("data", [b"", b"abc", "\u00df\udcff".encode("utf-8", "surrogatepass"),
                                  bytes(range(256)) * 40])  # fmt: skip
def test_store_names_are_hashlib_s_sha256(data: bytes) -> None:
    """Item, lock and key names made before the built-in SHA-256 replaced hashlib's are found."""
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_the_fingerprint_is_the_digest_it_always_was() -> None:
    identity = {"login_type": "SPN", "application_id": "app", "tenant_id": "t"}
    expected = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    assert fingerprint(identity) == expected


def test_the_plan_is_pure_and_names_the_identity_once() -> None:
    request = parse_keywords({"token_store": "none"})
    first = make_plan(request, SPN, None, url="https://a.blob.core.chinacloudapi.cn/c")
    second = make_plan(request, SPN, None, url="https://a.blob.core.chinacloudapi.cn/c")
    assert first.fingerprint == second.fingerprint
    assert first.host == "a.blob.core.chinacloudapi.cn"
    assert first.authority is not None
    assert first.authority.host == "login.chinacloudapi.cn"
    public = make_plan(request, SPN, None, url="https://a.blob.core.windows.net")
    assert public.fingerprint != first.fingerprint  # another cloud, another identity
    assert SECRET not in repr(first)
    with pytest.raises(azlogin.UntrustedDestinationError):
        make_plan(request, SPN, None, url="https://evil.example.com")


def test_an_untrusted_url_is_refused_before_a_missing_login_is_reported() -> None:
    with pytest.raises(azlogin.UntrustedDestinationError):
        storage.blob_service_client("https://evil.example.com", env={})
