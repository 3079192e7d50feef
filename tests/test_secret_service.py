"""The OS secret-store backends against a real Linux Secret Service (GNOME Keyring on a
private D-Bus session bus; no mock of D-Bus)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import azlogin
from azlogin.persistence import (
    EncryptedFileStore,
    KeyringStore,
    OsSecretStoreKey,
    default_store,
)
from azlogin.persistence._file_store import item_file_name
from tests.secret_service import secret_service


@pytest.fixture(scope="module")
def _bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with secret_service(tmp_path_factory.mktemp("keyring-home")) as variables:
        yield variables


@pytest.fixture
def secret_service_env(_bus: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in _bus.items():
        monkeypatch.setenv(name, value)
    return _bus


@pytest.mark.usefixtures("secret_service_env")
def test_keyring_store_round_trip() -> None:
    store = KeyringStore()
    assert store.shared
    store.save("token:test", b"\x00binary\xffvalue")
    assert KeyringStore().load("token:test") == b"\x00binary\xffvalue"
    assert store.delete("token:test") is True
    assert store.load("token:test") is None
    assert store.delete("token:test") is False


@pytest.mark.usefixtures("secret_service_env")
def test_the_file_store_key_lives_in_the_secret_service(tmp_path: Path) -> None:
    first = EncryptedFileStore(tmp_path / "s", key_sources=[OsSecretStoreKey()])
    assert first.key_source == "the OS secret store"
    first.save("k", b"value")
    assert (
        EncryptedFileStore(tmp_path / "s", key_sources=[OsSecretStoreKey()]).load("k") == b"value"
    )
    import keyring

    stored = keyring.get_password("azlogin-token-store", "master-key")
    assert stored is not None
    assert stored.encode() not in (tmp_path / "s" / item_file_name("k")).read_bytes()


@pytest.mark.usefixtures("secret_service_env")
def test_default_store_prefers_the_secret_service(tmp_path: Path) -> None:
    choice = default_store({"AZLOGIN_STORE_DIR": str(tmp_path / "d")})
    assert "key from the OS secret store" in choice.reason


def test_without_a_secret_service_the_kernel_keyring_is_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    choice = default_store({"AZLOGIN_STORE_DIR": str(tmp_path / "d")})
    assert "key from the Linux kernel keyring" in choice.reason
    with pytest.raises(azlogin.TokenStoreError, match="KeyringStore cannot be used"):
        KeyringStore()


@pytest.mark.usefixtures("secret_service_env")
def test_a_locked_secret_service_is_a_clear_error_and_a_miss(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import secretstorage

    store = KeyringStore()
    store.save("token:locked", b"value")
    connection = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(connection)
    collection.lock()
    try:
        assert collection.is_locked()
        with pytest.raises(azlogin.TokenStoreError, match="locked"):
            store.save("token:other", b"value")
        assert store.load("token:locked") is None
        assert "could not be read" in caplog.text
    finally:
        os.environ.setdefault("DBUS_SESSION_BUS_ADDRESS", "")
        connection.close()
