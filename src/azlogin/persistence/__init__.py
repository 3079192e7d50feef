"""Token persistence: pluggable stores, encrypted at rest, shared safely across processes.

- :class:`TokenStore`: the protocol (``load``, ``save``, ``delete`` bytes under a key, and
  ``shared``); implement it to keep tokens anywhere you like.
- :class:`MemoryStore`: this process only.
- :class:`EncryptedFileStore`: AES-256-GCM files in a private directory; its key comes from
  a :class:`KeySource`: the OS secret store, the Linux kernel keyring or a passphrase.
- :class:`KeyringStore`: items in the OS secret store itself.
- :class:`InsecurePlaintextFileStore`: unencrypted, only when you ask for it by name.
- :class:`RedisStore`: items sealed with AES-256-GCM in Redis, shared by every machine that
  has the key, with a per-item lock (a lease and a fencing number); needs ``pip install
  "azlogin[redis]"``. ``token_store="redis://..."`` (or ``AZLOGIN_TOKEN_STORE``) chooses it,
  with this machine's default store behind it while Redis does not answer; pass a
  ``RedisStore`` object for options the URL does not carry (a key source, a prefix).
- :func:`default_store`: what azlogin uses when you pass nothing, and why.
"""

from __future__ import annotations

from typing import Any

from ._default import StoreChoice, default_directory, default_store
from ._file_store import EncryptedFileStore, InsecurePlaintextFileStore
from ._keyring import KeyringStore
from ._keys import KernelKeyringKey, OsSecretStoreKey, PassphraseKey, StaticKey
from ._memory import MemoryStore
from ._protocol import KeySource, TokenStore

__all__ = [
    "EncryptedFileStore",
    "InsecurePlaintextFileStore",
    "KernelKeyringKey",
    "KeySource",
    "KeyringStore",
    "MemoryStore",
    "OsSecretStoreKey",
    "PassphraseKey",
    "RedisStore",
    "StaticKey",
    "StoreChoice",
    "TokenStore",
    "default_directory",
    "default_store",
]


def __getattr__(name: str) -> Any:
    # RedisStore needs redis-py, an optional dependency: imported on first use.
    if name == "RedisStore":
        from ._redis import RedisStore

        return RedisStore
    raise AttributeError(name)
