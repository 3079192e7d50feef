"""A per-key lock between processes: an OS file lock, released by the kernel when its holder
exits or is killed (SIGKILL included), so a crash never leaves a stale lock behind."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock", "lock_for"]

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(descriptor: int) -> None:
        msvcrt.locking(descriptor, msvcrt.LK_LOCK, 1)

    def _unlock(descriptor: int) -> None:
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


class FileLock:
    """Exclusive lock on ``path`` (created 0600, never deleted: deleting lock files races)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None

    def __enter__(self) -> FileLock:
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(descriptor)
        except BaseException:
            os.close(descriptor)
            raise
        self._descriptor = descriptor
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            try:
                _unlock(descriptor)
            finally:
                os.close(descriptor)


def lock_for(directory: Path, key: str) -> FileLock:
    """The lock of one store item, in ``directory`` (a private one, see ``private_directory``)."""
    return FileLock(directory / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".lock"))
