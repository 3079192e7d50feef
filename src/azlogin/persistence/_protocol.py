"""The TokenStore protocol: bytes under a key. Users can implement it themselves."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["TokenStore"]


@runtime_checkable
class TokenStore(Protocol):
    """Where azlogin keeps tokens between processes.

    Keys are short ASCII strings chosen by azlogin (``"token:<fingerprint>"``); values are
    opaque bytes. A store must be safe to call from several threads. ``load`` returns None for
    a missing, unreadable or tampered item (and logs why) rather than raising; ``save`` and
    ``delete`` raise :class:`azlogin.TokenStoreError` when they cannot do their job.

    ``shared`` tells whether other processes see the same items (and so whether azlogin takes
    a cross-process lock around a fetch).
    """

    shared: bool

    def load(self, key: str) -> bytes | None: ...

    def save(self, key: str, value: bytes) -> None: ...

    def delete(self, key: str) -> bool:
        """Remove the item; True if there was one."""
        ...
