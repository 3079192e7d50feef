"""Sealing values for a store outside this machine (Redis): AES-256-GCM, bound to the item.

Sealed format (version 1): ``b"AZLR" | version (1 byte) | key id (8 bytes) | nonce (12 bytes)
| ciphertext+tag``. The associated data binds the format version and the item's name, so a
value copied over another item's name does not open. The key id (an HKDF output of the key,
not the key) tells a reader that an item was sealed with another key without trying it: a
passphrase store then re-reads its salt (see :mod:`._redis`).

The store's own key is derived from the caller's 32-byte key with HKDF-SHA256 and the store's
namespace, so one secret can serve several namespaces without their items opening in each
other's.
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .._errors import refuse_pickling

__all__ = ["Sealer"]

MAGIC = b"AZLR"
VERSION = 1
KEY_ID_BYTES = 8
_NONCE = 12
_HEADER = len(MAGIC) + 1 + KEY_ID_BYTES + _NONCE
_TAG = 16


def _hkdf(master: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)


class Sealer:
    """AES-256-GCM with a key derived for one namespace; ``open`` returns None for anything
    that does not open (another key, tampered, truncated, another format)."""

    def __init__(self, master: bytes, namespace: str) -> None:
        if len(master) != 32:
            raise ValueError("the key must be 32 bytes (AES-256)")
        scope = namespace.encode("utf-8", "surrogatepass")
        self._aead = AESGCM(_hkdf(master, b"azlogin shared store v1 key " + scope, 32))
        self.key_id = _hkdf(master, b"azlogin shared store v1 key id " + scope, KEY_ID_BYTES)

    def seal(self, item: str, value: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, value, _associated(item))
        return MAGIC + bytes([VERSION]) + self.key_id + nonce + sealed

    def sealed_with(self, blob: bytes) -> bytes | None:
        """The key id a sealed value names, or None when it is not a sealed value at all."""
        if len(blob) < _HEADER + _TAG or blob[: len(MAGIC)] != MAGIC or blob[4] != VERSION:
            return None
        return blob[5 : 5 + KEY_ID_BYTES]

    def open(self, item: str, blob: bytes) -> bytes | None:
        if self.sealed_with(blob) != self.key_id:
            return None
        nonce = blob[5 + KEY_ID_BYTES : _HEADER]
        try:
            return self._aead.decrypt(nonce, blob[_HEADER:], _associated(item))
        except InvalidTag:
            return None

    def __repr__(self) -> str:
        return f"Sealer(key id {self.key_id.hex()})"

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


def _associated(item: str) -> bytes:
    return MAGIC + bytes([VERSION]) + item.encode("utf-8", "surrogatepass")
