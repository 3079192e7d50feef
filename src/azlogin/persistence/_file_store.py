"""EncryptedFileStore: one AES-256-GCM file per item in a private directory.

File format (version 1): ``b"AZLS" | version (1 byte) | nonce (12 bytes) | ciphertext+tag``.
The associated data binds the format version and the item's key, so a file copied over
another item's name does not decrypt. Anything that does not decrypt (tampered, truncated,
another key, another version) is a miss, logged, never served and never a crash.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .._errors import TokenStoreError
from ._files import atomic_write, private_directory, read_private, remove_file
from ._protocol import KeySource, KeyUnavailable

__all__ = ["EncryptedFileStore", "InsecurePlaintextFileStore", "item_file_name"]

_LOGGER = logging.getLogger("azlogin.persistence")
MAGIC = b"AZLS"
VERSION = 1
_HEADER = len(MAGIC) + 1 + 12


def item_file_name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest() + ".item"


def store_id(directory: Path) -> str:
    """A name for the store's key in a key source: stable for one directory."""
    return hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:32]


class EncryptedFileStore:
    """A TokenStore shared by this user's processes, encrypted at rest.

    ``key_sources`` are tried in order until one gives a key (see :mod:`.keys`); when none
    does, TokenStoreError lists what each said. ``key_source`` tells which one is in use.
    """

    shared = True

    def __init__(self, path: str | os.PathLike[str], *, key_sources: Sequence[KeySource]) -> None:
        self.directory = private_directory(path)
        reasons = []
        for source in key_sources:
            try:
                key = source.key_for(store_id(self.directory), self.directory)
            except (KeyUnavailable, OSError) as error:
                reasons.append(f"{source.name}: {error}")
                continue
            self.key_source = source.name
            self._aead = AESGCM(_derive(key, store_id(self.directory)))
            return
        tried = "; ".join(reasons) or "no key source was given"
        raise TokenStoreError(
            f"No encryption key for the token store in {str(self.directory)!r} ({tried}). "
            "Options: run an OS secret store (a Secret Service such as gnome-keyring on "
            "Linux), allow keyctl, set AZLOGIN_STORE_PASSPHRASE, use token_store='memory' "
            "(this process only), or opt into InsecurePlaintextFileStore."
        )

    def _path(self, key: str) -> Path:
        return self.directory / item_file_name(key)

    def load(self, key: str) -> bytes | None:
        path = self._path(key)
        blob = read_private(path)
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
        try:
            return self._aead.decrypt(nonce, blob[_HEADER:], _associated(key))
        except InvalidTag:
            _LOGGER.warning(
                "Ignoring token store item %s: it does not decrypt (tampered, truncated, or "
                "written with another key).",
                path,
            )
            return None

    def save(self, key: str, value: bytes) -> None:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value, _associated(key))
        try:
            atomic_write(self._path(key), MAGIC + bytes([VERSION]) + nonce + sealed)
        except OSError as error:
            raise TokenStoreError(
                f"The token store in {str(self.directory)!r} cannot be written ({error.strerror})."
            ) from None

    def delete(self, key: str) -> bool:
        return remove_file(self._path(key))

    def __repr__(self) -> str:
        return f"EncryptedFileStore({str(self.directory)!r}, key from {self.key_source})"


def _derive(master: bytes, identity: str) -> bytes:
    """This store's own key: HKDF-SHA256 of the source's key with the store's identity."""
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
        self.directory = private_directory(path)
        _LOGGER.warning(
            "Tokens will be stored UNENCRYPTED in %s (InsecurePlaintextFileStore).", self.directory
        )

    def _path(self, key: str) -> Path:
        return self.directory / (item_file_name(key) + ".plain")

    def load(self, key: str) -> bytes | None:
        return read_private(self._path(key))

    def save(self, key: str, value: bytes) -> None:
        atomic_write(self._path(key), value)

    def delete(self, key: str) -> bool:
        return remove_file(self._path(key))

    def __repr__(self) -> str:
        return f"InsecurePlaintextFileStore({str(self.directory)!r})"
