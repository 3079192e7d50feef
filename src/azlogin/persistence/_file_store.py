"""EncryptedFileStore: one AES-256-GCM file per item in a private directory.

File format (version 1): ``b"AZLS" | version (1 byte) | nonce (12 bytes) | ciphertext+tag``.
The associated data binds the format version and the item's key, so a file copied over
another item's name does not decrypt. Anything that does not decrypt (tampered, truncated,
another key, another version) is a miss, logged, never served and never a crash; so is a
symlink, FIFO, device or directory where an item should be (never followed, never read).

The directory is opened and checked once, when the store is made (see
:mod:`azlogin.persistence._files`), and every item is read, written and removed relative to
that open directory; temp files left by writers killed mid-write are removed then too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._config.digest import sha256_hex
from .._errors import TokenStoreError, refuse_pickling
from .._logs import Logger
from ._files import StoreDirectory, open_directory, shown
from ._protocol import KeySource, KeyUnavailable

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["EncryptedFileStore", "InsecurePlaintextFileStore", "item_file_name"]

_LOGGER = Logger("azlogin.persistence")
MAGIC = b"AZLS"
VERSION = 1
_HEADER = len(MAGIC) + 1 + 12


def item_file_name(key: str) -> str:
    return sha256_hex(key.encode("utf-8")) + ".item"


def store_id(directory: Path) -> str:
    """A name for the store's key in a key source: stable for one directory (digest of its
    path's bytes, so a name with undecodable bytes, a ``\\udcXX`` in Python, works too)."""
    return sha256_hex(os.fsencode(directory.resolve()))[:32]


class EncryptedFileStore:
    """A TokenStore shared by this user's processes, encrypted at rest.

    ``key_sources`` are tried in order until one gives a key (a :class:`KeySource` such as
    :class:`OsSecretStoreKey`); when none does, :class:`azlogin.TokenStoreError` lists what each
    said. ``key_source`` tells which one is in use.
    """

    shared = True

    def __init__(self, path: str | os.PathLike[str], *, key_sources: Sequence[KeySource]) -> None:
        self._folder = _open_store_directory(path)
        self.directory = self._folder.path
        reasons = []
        for source in key_sources:
            try:
                key = source.key_for(store_id(self.directory), self.directory)
            except (KeyUnavailable, OSError) as error:
                reasons.append(f"{source.name}: {error}")
                continue
            self.key_source = source.name
            self._cipher = _Cipher(key, store_id(self.directory))
            return
        tried = "; ".join(reasons) or "no key source was given"
        raise TokenStoreError(
            f"No encryption key for the token store in {shown(self.directory)} ({tried}). "
            "Options: run an OS secret store (a Secret Service such as gnome-keyring on "
            "Linux), allow keyctl, set AZLOGIN_STORE_PASSPHRASE, use token_store='memory' "
            "(this process only), or opt into InsecurePlaintextFileStore."
        )

    def _path(self, key: str) -> Path:
        return self.directory / item_file_name(key)

    def load(self, key: str) -> bytes | None:
        """The item's decrypted bytes, or None.

        None when there is no item; with a warning naming the file, when it is not a regular
        file of this user's (never followed), is not an azlogin store file, has another format
        version or does not decrypt (tampered, truncated, or written with another key).
        """
        path = self._path(key)
        blob = self._folder.read(path.name)
        if blob is None:
            return None
        if len(blob) < _HEADER + 16 or blob[: len(MAGIC)] != MAGIC:
            _LOGGER.warning("Ignoring token store item %s: not an azlogin store file.", path)
            return None
        if blob[len(MAGIC)] != VERSION:
            _LOGGER.warning(
                "Ignoring token store item %s: format version %d, this azlogin reads %d.",
                path,
                blob[len(MAGIC)],
                VERSION,
            )
            return None
        nonce = blob[len(MAGIC) + 1 : _HEADER]
        from cryptography.exceptions import InvalidTag

        try:
            return self._cipher.aead().decrypt(nonce, blob[_HEADER:], _associated(key))
        except InvalidTag:
            _LOGGER.warning(
                "Ignoring token store item %s: it does not decrypt (tampered, truncated, or "
                "written with another key).",
                path,
            )
            return None

    def save(self, key: str, value: bytes) -> None:
        """Encrypt ``value`` and write it under ``key``, replacing any item there.

        The write is atomic: a complete temp file is renamed over the item's file.

        Raises:
            azlogin.TokenStoreError: The file cannot be written (a full or read-only disk).
        """
        nonce = os.urandom(12)
        sealed = self._cipher.aead().encrypt(nonce, value, _associated(key))
        _write(self._folder, item_file_name(key), MAGIC + bytes([VERSION]) + nonce + sealed)

    def delete(self, key: str) -> bool:
        """Remove the item's file; True if there was one.

        Raises:
            azlogin.TokenStoreError: The file is there but cannot be removed.
        """
        return _remove(self._folder, item_file_name(key))

    def __repr__(self) -> str:
        return f"EncryptedFileStore({str(self.directory)!r}, key from {self.key_source})"


def _open_store_directory(path: str | os.PathLike[str]) -> StoreDirectory:
    """The store's directory, created or checked, open; stale temp files removed."""
    folder = open_directory(path)
    folder.remove_stale_temporaries()
    return folder


def _write(folder: StoreDirectory, name: str, data: bytes) -> None:
    try:
        folder.write(name, data)
    except OSError as error:
        raise TokenStoreError(
            f"The token store in {shown(folder.path)} cannot be written ({error.strerror})."
        ) from None


def _remove(folder: StoreDirectory, name: str) -> bool:
    try:
        return folder.remove(name)
    except OSError as error:
        raise TokenStoreError(
            f"An item of the token store in {shown(folder.path)} cannot be removed "
            f"({error.strerror}); remove {name} yourself."
        ) from None


class _Cipher:
    """The store's AES-256-GCM, made when the first item is sealed or opened: opening a store
    (a credential built, nothing read yet) imports no cryptography. Never pickled."""

    def __init__(self, master: bytes, identity: str) -> None:
        self._master = master
        self._identity = identity
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    def aead(self) -> AESGCM:
        aead = self._aead
        if aead is None:
            with self._lock:
                if self._aead is None:
                    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

                    self._aead = AESGCM(_derive(self._master, self._identity))
                aead = self._aead
        return aead

    def __repr__(self) -> str:
        return "_Cipher(<hidden>)"

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


def _derive(master: bytes, identity: str) -> bytes:
    """This store's own key: HKDF-SHA256 of the source's key with the store's identity."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    info = b"azlogin encrypted file store v1 " + identity.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _associated(key: str) -> bytes:
    return MAGIC + bytes([VERSION]) + key.encode("utf-8")


class InsecurePlaintextFileStore:
    """Items written UNENCRYPTED (files 0600 in a 0700 directory). Anyone who can read your
    files, or your backups, can use the tokens. Only for throw-away machines where no key
    source exists and sharing tokens between processes matters more; never chosen for you."""

    shared = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._folder = _open_store_directory(path)
        self.directory = self._folder.path
        _LOGGER.warning(
            "Tokens will be stored UNENCRYPTED in %s (InsecurePlaintextFileStore).", self.directory
        )

    def _name(self, key: str) -> str:
        return item_file_name(key) + ".plain"

    def load(self, key: str) -> bytes | None:
        """The item's bytes as written, or None.

        None when there is no item, and (with a warning) when it is not a regular file of this
        user's (never followed).
        """
        return self._folder.read(self._name(key))

    def save(self, key: str, value: bytes) -> None:
        """Write ``value``, unencrypted, under ``key`` atomically, replacing any item there.

        Raises:
            azlogin.TokenStoreError: The file cannot be written (a full or read-only disk).
        """
        _write(self._folder, self._name(key), value)

    def delete(self, key: str) -> bool:
        """Remove the item's file; True if there was one.

        Raises:
            azlogin.TokenStoreError: The file is there but cannot be removed.
        """
        return _remove(self._folder, self._name(key))

    def __repr__(self) -> str:
        return f"InsecurePlaintextFileStore({str(self.directory)!r})"
