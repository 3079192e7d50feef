"""Private directories and atomic, durable writes: the file-system shell of the file stores."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from .._errors import TokenStoreError

__all__ = ["atomic_write", "check_private_file", "private_directory", "remove_file"]

_LOGGER = logging.getLogger("azlogin.persistence")


def private_directory(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (mode 0700) or check it: owned by this user, not a symlink, writable.

    Group or other permission bits on it are removed, with a warning that says so.
    """
    directory = Path(path).expanduser()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(directory)
    except OSError as error:
        raise TokenStoreError(
            f"Token store directory {str(directory)!r} cannot be created ({error.strerror}); "
            "choose another with AZLOGIN_STORE_DIR or the store's path."
        ) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise TokenStoreError(
            f"Token store path {str(directory)!r} is not a plain directory (a symlink or a "
            "file); refusing to use it. Remove it or choose another with AZLOGIN_STORE_DIR."
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise TokenStoreError(
            f"Token store directory {str(directory)!r} belongs to another user (uid "
            f"{info.st_uid}); refusing to use it. Choose one of your own with AZLOGIN_STORE_DIR."
        )
    _repair("directory", directory, info.st_mode, lambda: os.chmod(directory, 0o700))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TokenStoreError(
            f"Token store directory {str(directory)!r} is not writable; fix its permissions or "
            "choose another with AZLOGIN_STORE_DIR."
        )
    return directory


def _repair(what: str, path: Path, mode: int, make_private: Callable[[], None]) -> None:
    """Take group and other permission bits off a store path, with a warning that says so."""
    if stat.S_IMODE(mode) & 0o077:
        _LOGGER.warning(
            "Token store %s %s was accessible to other users (mode %o); made private.",
            what,
            path,
            stat.S_IMODE(mode),
        )
        make_private()


def check_private_file(path: Path, descriptor: int) -> bool:
    """Whether an open item file is ours; a file other users could read is repaired to 0600."""
    info = os.fstat(descriptor)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        _LOGGER.warning("Ignoring token store item %s: it belongs to another user.", path)
        return False
    _repair("item", path, info.st_mode, lambda: os.fchmod(descriptor, 0o600))
    return True


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file (0600) in the same directory, fsync, rename,
    fsync of the directory. A reader sees the old bytes or the new, never a mix."""
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def read_private(path: Path) -> bytes | None:
    """The bytes of an item file, None if missing or not ours (logged)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        _LOGGER.warning("Token store item %s cannot be read (%s); ignoring it.", path, error)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if not check_private_file(path, handle.fileno()):
            return None
        return handle.read()


def remove_file(path: Path) -> bool:
    """Remove an item file; False when there was none (a store's ``delete``)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
