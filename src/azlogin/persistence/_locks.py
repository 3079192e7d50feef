"""A per-key lock between processes: an OS file lock, released by the kernel when its holder
exits or is killed (SIGKILL included), so a crash never leaves a stale lock behind.

The lock file is opened relative to a descriptor of its directory, checked like a store
directory (ours, not writable by others), with ``O_NOFOLLOW``: a symlink planted where a
lock file should be (dangling, so following it would create a file with this user's rights)
is logged and replaced by a lock file, never followed.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from types import TracebackType

from .._config.digest import sha256_hex
from .._errors import TokenStoreError
from .._logs import Logger
from ._files import StoreDirectory, open_directory, shown

__all__ = ["FileLock", "lock_for"]

_LOGGER = Logger("azlogin.persistence")
_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted there never blocks the open
    | getattr(os, "O_CLOEXEC", 0)
)

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
        directory = open_directory(self.path.parent, create=False)
        try:
            descriptor = _open_lock_file(directory, self.path.name)
        finally:
            directory.close()
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


def _open_lock_file(directory: StoreDirectory, name: str) -> int:
    """An open lock file ``name`` in ``directory``, a regular file of ours (created 0600).
    Anything else there (a symlink, a FIFO, another user's file) is logged and replaced once:
    nobody holds a lock on it, since azlogin never opens one."""
    for attempt in (1, 2):
        try:
            descriptor = directory.open(name, _FLAGS, 0o600)
        except OSError as error:
            if error.errno not in (errno.ELOOP, errno.EMLINK):
                raise
            what = "a symlink (never followed)"
        else:
            if _ours(os.fstat(descriptor)):
                return descriptor
            os.close(descriptor)
            what = "not a regular file of yours"
        if attempt == 2:
            break
        _LOGGER.warning(
            "Token store lock file %s was %s; replacing it.", directory.path / name, what
        )
        try:
            directory.remove(name)
        except OSError:
            break
    raise TokenStoreError(
        f"Token store lock file {shown(directory.path / name)} is not a regular file of yours "
        "and cannot be replaced; remove it, or choose another directory with AZLOGIN_STORE_DIR."
    )


def _ours(info: os.stat_result) -> bool:
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISREG(info.st_mode) and mine


def lock_for(directory: Path, key: str) -> FileLock:
    """The lock of one store item, in ``directory`` (a private one, see ``private_directory``)."""
    return FileLock(directory / (sha256_hex(key.encode())[:40] + ".lock"))
