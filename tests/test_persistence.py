"""Token stores: encryption at rest, damaged files, permissions, key sources, the default."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

import azlogin
from azlogin._config.keywords import store_spec
from azlogin.persistence import (
    EncryptedFileStore,
    InsecurePlaintextFileStore,
    KernelKeyringKey,
    MemoryStore,
    PassphraseKey,
    StaticKey,
    TokenStore,
    default_store,
)
from azlogin.persistence._default import StoreOpener
from azlogin.persistence._file_store import item_file_name
from azlogin.persistence._protocol import KeyUnavailable

KEY_A = StaticKey(b"a" * 32)
KEY_B = StaticKey(b"b" * 32)
SECRET_VALUE = b'{"token": "eyJ-secret-access-token"}'


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def store(tmp_path: Path) -> EncryptedFileStore:
    return EncryptedFileStore(tmp_path / "store", key_sources=[KEY_A])


def test_every_store_is_a_token_store(tmp_path: Path, store: EncryptedFileStore) -> None:
    for candidate in (MemoryStore(), store, InsecurePlaintextFileStore(tmp_path / "plain")):
        assert isinstance(candidate, TokenStore)
        assert candidate.load("k") is None
        candidate.save("k", b"v1")
        candidate.save("k", b"v2")
        assert candidate.load("k") == b"v2"
        assert candidate.delete("k") is True
        assert candidate.delete("k") is False
        assert candidate.load("k") is None


def test_items_are_encrypted_and_private(store: EncryptedFileStore) -> None:
    store.save("token:abc", SECRET_VALUE)
    path = store.directory / item_file_name("token:abc")
    raw = path.read_bytes()
    assert b"eyJ-secret-access-token" not in raw
    assert raw.startswith(b"AZLS\x01")
    assert _mode(path) == 0o600
    assert _mode(store.directory) == 0o700
    assert store.load("token:abc") == SECRET_VALUE
    assert store.key_source == "a key given by the caller"


def _damage(store: EncryptedFileStore, how: str) -> None:
    path = store.directory / item_file_name("k")
    raw = bytearray(path.read_bytes())
    if how == "tampered":
        raw[-5] ^= 0x01
    elif how == "truncated":
        raw = raw[: len(raw) // 2]
    elif how == "future version":
        raw[4] = 2
    elif how == "not ours":
        raw = bytearray(b"garbage" * 10)
    elif how == "moved from another item":
        other = store.directory / item_file_name("other")
        raw = bytearray(other.read_bytes())
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "how", ["tampered", "truncated", "future version", "not ours", "moved from another item"]
)
def test_damaged_items_are_logged_misses(
    how: str, store: EncryptedFileStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save("k", SECRET_VALUE)
    store.save("other", b"another value")
    _damage(store, how)
    caplog.set_level(logging.WARNING, logger="azlogin.persistence")
    assert store.load("k") is None
    assert "Ignoring token store item" in caplog.text


def test_another_key_reads_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    EncryptedFileStore(tmp_path / "s", key_sources=[KEY_A]).save("k", SECRET_VALUE)
    assert EncryptedFileStore(tmp_path / "s", key_sources=[KEY_B]).load("k") is None
    assert "does not decrypt" in caplog.text


def test_loose_item_permissions_are_repaired_a_readable_directory_is_only_reported(
    store: EncryptedFileStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save("k", SECRET_VALUE)
    path = store.directory / item_file_name("k")
    os.chmod(path, 0o644)
    os.chmod(store.directory, 0o755)
    again = EncryptedFileStore(store.directory, key_sources=[KEY_A])
    assert again.load("k") == SECRET_VALUE
    assert _mode(path) == 0o600  # an item is ours: repaired
    assert _mode(store.directory) == 0o755  # a directory is never chmod-ed once it exists
    assert "Token store directory" in caplog.text
    assert "chmod 700" in caplog.text
    assert "Token store item" in caplog.text
    assert caplog.text.count("made private") == 1


def test_a_directory_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "theirs").mkdir()
    monkeypatch.setattr(os, "getuid", lambda: os.stat(tmp_path).st_uid + 1)
    with pytest.raises(azlogin.TokenStoreError, match="belongs to another user"):
        EncryptedFileStore(tmp_path / "theirs", key_sources=[KEY_A])


def test_a_symlinked_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(azlogin.TokenStoreError, match=r"is a symlink.*AZLOGIN_STORE_DIR"):
        EncryptedFileStore(tmp_path / "link", key_sources=[KEY_A])


def test_a_directory_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(azlogin.TokenStoreError, match="cannot be created"):
        EncryptedFileStore(tmp_path / "file" / "store", key_sources=[KEY_A])


class _Unavailable:
    def __init__(self, name: str) -> None:
        self.name = name

    def key_for(self, store_id: str, directory: Path) -> bytes:
        raise KeyUnavailable(f"{self.name} is not here")


def test_no_key_source_refuses_and_lists_every_option(tmp_path: Path) -> None:
    with pytest.raises(azlogin.TokenStoreError) as caught:
        EncryptedFileStore(
            tmp_path / "s", key_sources=[_Unavailable("the vault"), _Unavailable("the HSM")]
        )
    message = str(caught.value)
    for fragment in ("the vault is not here", "the HSM is not here", "AZLOGIN_STORE_PASSPHRASE",
                     "token_store='memory'", "InsecurePlaintextFileStore"):  # fmt: skip
        assert fragment in message
    assert not any((tmp_path / "s").iterdir())  # nothing was written, in plaintext or not


def test_passphrase_key(tmp_path: Path) -> None:
    directory = tmp_path / "s"
    EncryptedFileStore(directory, key_sources=[PassphraseKey("correct horse")]).save("k", b"v")
    same = EncryptedFileStore(directory, key_sources=[PassphraseKey("correct horse")])
    assert same.load("k") == b"v"
    assert _mode(directory / "passphrase.salt") == 0o600
    other = EncryptedFileStore(directory, key_sources=[PassphraseKey("wrong horse")])
    assert other.load("k") is None
    assert "correct horse" not in repr(PassphraseKey("correct horse"))


def test_kernel_keyring_key_is_stable_for_a_user(tmp_path: Path) -> None:
    first = KernelKeyringKey().key_for("id", tmp_path)
    assert len(first) == 32
    assert KernelKeyringKey().key_for("id", tmp_path) == first
    store = EncryptedFileStore(tmp_path / "s", key_sources=[KernelKeyringKey()])
    store.save("k", b"v")
    assert EncryptedFileStore(tmp_path / "s", key_sources=[KernelKeyringKey()]).load("k") == b"v"
    assert store.key_source == "the Linux kernel keyring"


def test_two_stores_with_one_source_key_cannot_read_each_other(tmp_path: Path) -> None:
    EncryptedFileStore(tmp_path / "one", key_sources=[KEY_A]).save("k", b"v")
    os.replace(tmp_path / "one" / item_file_name("k"), tmp_path / "copy")
    two = EncryptedFileStore(tmp_path / "two", key_sources=[KEY_A])
    os.replace(tmp_path / "copy", two.directory / item_file_name("k"))
    assert two.load("k") is None  # each store derives its own key


def test_default_store_says_what_it_picked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"AZLOGIN_STORE_DIR": str(tmp_path / "default")}
    choice = default_store(env)
    assert isinstance(choice.store, EncryptedFileStore)
    assert str(tmp_path / "default") in choice.reason
    assert "key from" in choice.reason


def test_the_implicit_default_falls_back_quietly_an_explicit_one_raises(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import azlogin.persistence._default as default

    monkeypatch.setattr(default, "key_sources", lambda env: [_Unavailable("everything")])
    env = {"AZLOGIN_STORE_DIR": str(tmp_path / "d")}
    assert _open(None, env) is None  # this process only, with a log line
    with pytest.raises(azlogin.TokenStoreError, match="everything is not here"):
        _open("default", env)
    with pytest.raises(azlogin.TokenStoreError):
        _open(None, {**env, "AZLOGIN_TOKEN_STORE": "default"})


def _open(value: object, env: dict[str, str]) -> object:
    """The store get_credential's token_store= (or AZLOGIN_TOKEN_STORE) opens."""
    return StoreOpener(env).open(store_spec(value, env))[0]


@pytest.mark.parametrize(
    ("value", "expected"), [("memory", MemoryStore), ("none", type(None)), ("NONE ", type(None))]
)
def test_token_store_settings(value: str, expected: type, tmp_path: Path) -> None:
    assert isinstance(_open(value, {}), expected)
    assert isinstance(_open(None, {"AZLOGIN_TOKEN_STORE": value}), expected)


def test_bad_token_store_settings() -> None:
    with pytest.raises(azlogin.ConfigurationError, match="AZLOGIN_TOKEN_STORE"):
        _open(None, {"AZLOGIN_TOKEN_STORE": "disk"})
    with pytest.raises(TypeError, match="TokenStore"):
        _open(42, {})
