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
        with self._lock:
            return self._items.get(key)

    def save(self, key: str, value: bytes) -> None:
        with self._lock:
            self._items[key] = bytes(value)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._items.pop(key, None) is not None

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._items)} items)"
