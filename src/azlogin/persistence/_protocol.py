"""The protocols of the persistence layer: TokenStore (bytes under a key) and KeySource (a
32-byte key). Users can implement either themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["KeySource", "KeyUnavailable", "TokenStore"]


@runtime_checkable
class TokenStore(Protocol):
    """Where azlogin keeps tokens between processes.

    Keys are short ASCII strings chosen by azlogin (``"token:<fingerprint>"``); values are
    opaque bytes. A store must be safe to call from several threads. ``load`` returns None for
    a missing, unreadable or tampered item (and logs why) rather than raising; ``save`` and
    ``delete`` raise :class:`azlogin.TokenStoreError` when they cannot do their job.

    ``shared`` tells whether other processes see the same items (and so whether azlogin takes
    a cross-process lock around a fetch).

    Optional: a ``lock(item)`` method returning a context manager (with a lease) makes the
    engine take that lock around a fetch instead of this machine's file lock (RedisStore's
    spans machines); ``expiring = True`` with ``save(key, value, *, expires_at=None)`` lets
    the engine tell the store when a token item expires.
    """

    shared: bool

    def load(self, key: str) -> bytes | None:
        """The item's bytes, or None when it is missing, unreadable or tampered (logged)."""
        ...

    def save(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, replacing any item there (atomically)."""
        ...

    def delete(self, key: str) -> bool:
        """Remove the item; True if there was one."""
        ...


class KeyUnavailable(Exception):
    """This key source cannot be used here; the message says why."""


class KeySource(Protocol):
    """Where an encrypted store's 256-bit key comes from."""

    name: str

    def key_for(self, store_id: str, directory: Path) -> bytes:
        """A 32-byte key for the store, created on first use; KeyUnavailable if impossible.

        Sources backed by a secret store keep one key per user (``store_id`` is a hint); the
        file store derives its own key from it (HKDF with the store's identity)."""
        ...
