"""MemoryStore: a TokenStore for one process."""

from __future__ import annotations

import threading

__all__ = ["MemoryStore"]


class MemoryStore:
    """Items in this process's memory: nothing shared, nothing written anywhere."""

    shared = False

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> bytes | None:
        """The item's bytes, or None when there is none."""
        with self._lock:
            return self._items.get(key)

    def save(self, key: str, value: bytes) -> None:
        """Keep a copy of ``value`` under ``key``, replacing any item there."""
        with self._lock:
            self._items[key] = bytes(value)

    def delete(self, key: str) -> bool:
        """Forget the item; True if there was one."""
        with self._lock:
            return self._items.pop(key, None) is not None

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._items)} items)"
