"""Token persistence: pluggable stores, encrypted at rest, shared safely across processes.

- :class:`TokenStore`: the protocol (``load``, ``save``, ``delete`` bytes under a key, and
  ``shared``); implement it to keep tokens anywhere you like.
- :class:`MemoryStore`: this process only.
- :class:`EncryptedFileStore`: AES-256-GCM files in a private directory; its key comes from
  a :class:`KeySource`: the OS secret store, the Linux kernel keyring or a passphrase.
- :class:`KeyringStore`: items in the OS secret store itself.
- :class:`InsecurePlaintextFileStore`: unencrypted, only when you ask for it by name.
- :func:`default_store`: what azlogin uses when you pass nothing, and why.
"""

from __future__ import annotations

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
    "StaticKey",
    "StoreChoice",
    "TokenStore",
    "default_directory",
    "default_store",
]
