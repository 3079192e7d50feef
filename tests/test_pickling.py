"""Credentials cross process boundaries without their secrets (pickle and cloudpickle)."""

from __future__ import annotations

import pickle
from pathlib import Path

import cloudpickle
import pytest

import azlogin
from azlogin.testing import EntraEmulator
from tests.support import SECRET, managed_identity_env

DUMPERS = [
    pytest.param(pickle.dumps, id="pickle"),
    pytest.param(cloudpickle.dumps, id="cloudpickle"),
]


@pytest.mark.parametrize("dumps", DUMPERS)
def test_a_pickled_credential_carries_no_secret_and_rebuilds_from_the_environment(
    dumps: object, emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**emulator.env("SPN"), "AZCOPY_SPA_CLIENT_SECRET": SECRET}
    credential = azlogin.get_credential(env, trusted_microsoft_suffixes="127.0.0.1")
    blob = dumps(credential)  # type: ignore[operator]
    assert SECRET.encode() not in blob
    assert emulator.client_id.encode() in blob  # the non-secret settings travel

    # The receiving process has no secret: a clear error naming the variable.
    monkeypatch.delenv("AZCOPY_SPA_CLIENT_SECRET", raising=False)
    with pytest.raises(azlogin.ConfigurationError, match="AZCOPY_SPA_CLIENT_SECRET"):
        pickle.loads(blob)

    # With the secret in its environment it rebuilds itself, and works.
    # (its CA bundle too: read, like every variable, when the copy is built)
    monkeypatch.setenv("AZCOPY_SPA_CLIENT_SECRET", emulator.client_secret)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)
    copy = pickle.loads(blob)
    assert isinstance(copy, azlogin.Credential)
    assert copy.details == credential.details
    assert copy.trusted_suffixes == credential.trusted_suffixes
    assert emulator.decode(copy.get_token().token)["appid"] == emulator.client_id


def test_every_secret_stays_out_of_the_bytes(
    emulator: EntraEmulator, certificates: dict[str, str], tmp_path: Path
) -> None:
    env = emulator.env("SPN", certificate_path=certificates["pkcs12"], certificate_password=SECRET)
    for make in (azlogin.get_credential, azlogin.get_async_credential):
        for dumps in (pickle.dumps, cloudpickle.dumps):
            assert SECRET.encode() not in dumps(make(env))


def test_carrying_secrets_is_an_explicit_opt_in(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**emulator.env("SPN"), "AZCOPY_SPA_CLIENT_SECRET": SECRET}
    blob = pickle.dumps(azlogin.get_credential(env, pickle_secrets=True))
    assert SECRET.encode() in blob
    monkeypatch.delenv("AZCOPY_SPA_CLIENT_SECRET", raising=False)
    copy = pickle.loads(blob)  # rebuilds without the receiving environment's help
    assert SECRET.encode() in pickle.dumps(copy)  # and keeps the opt-in


def test_managed_identity_and_async_credentials_round_trip(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = managed_identity_env(emulator.env("MSI", identity="resource_id"), monkeypatch)
    copy = pickle.loads(pickle.dumps(azlogin.get_credential(env)))
    assert copy.details == {"identity_resource_id": emulator.msi_resource_id}
    assert copy.get_token().token
    async_copy = pickle.loads(cloudpickle.dumps(azlogin.get_async_credential(env)))
    assert isinstance(async_copy, azlogin.AsyncCredential)


def test_a_saved_login_travels_as_a_reference_to_the_saved_login(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azlogin._config.saved import SavedLogin
    from azlogin.persistence._default import StoreOpener

    variables = {**emulator.env("SPN"), "AZCOPY_SPA_CLIENT_SECRET": SECRET}
    StoreOpener({}).save_login(SavedLogin("SPN", variables))
    blob = pickle.dumps(azlogin.get_credential({}))
    assert SECRET.encode() not in blob
    for name in variables:
        monkeypatch.delenv(name, raising=False)
    assert pickle.loads(blob).login_type == "SPN"  # from this process's saved login


def test_a_saved_login_credential_never_switches_identity_in_a_worker(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker with AZCOPY_AUTO_LOGIN_TYPE=MSI (or another saved login) gets a clear error,
    not a credential that silently signs in as its managed identity."""
    from azlogin._config.saved import SavedLogin
    from azlogin.persistence._default import StoreOpener

    StoreOpener({}).save_login(SavedLogin("SPN", emulator.env("SPN")))
    blob = pickle.dumps(azlogin.get_credential({}))
    monkeypatch.setenv("AZCOPY_AUTO_LOGIN_TYPE", "MSI")
    with pytest.raises(azlogin.ConfigurationError, match="another identity") as caught:
        pickle.loads(blob)
    assert caught.value.variable == "AZCOPY_AUTO_LOGIN_TYPE"
    monkeypatch.delenv("AZCOPY_AUTO_LOGIN_TYPE")
    other = {**emulator.env("SPN"), "AZCOPY_SPA_APPLICATION_ID": "another-app"}
    StoreOpener({}).save_login(SavedLogin("SPN", other))  # this "worker" saved another login
    with pytest.raises(azlogin.ConfigurationError, match="another-app"):
        pickle.loads(blob)
