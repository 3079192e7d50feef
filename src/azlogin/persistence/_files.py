"""Private directories and atomic, durable writes: the file-system shell of the file stores.

A store directory is opened once (``O_DIRECTORY | O_NOFOLLOW``) and checked through its
descriptor (owner, mode); every file in it (items, the salt, temp files) is then opened,
replaced and removed relative to that descriptor, with ``O_NOFOLLOW``. So swapping the path
for a symlink after the check changes nothing, and a symlink, FIFO or device where a file
should be is never followed or read: it is logged and treated as a damaged item.

azlogin never changes the mode of a directory it did not create (see
:func:`directory_problem` for what it accepts). Directories it creates, missing parents
included, are made 0700 whatever the umask; files it writes are 0600, and an item file of
this user's found with looser bits is repaired to 0600 (it is ours).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._errors import TokenStoreError
from .._logs import Logger

__all__ = [
    "STALE_TEMPORARY_SECONDS",
    "StoreDirectory",
    "directory_problem",
    "open_directory",
    "private_directory",
    "shown",
    "stale_temporaries",
]

_LOGGER = Logger("azlogin.persistence")

STALE_TEMPORARY_SECONDS = 600
"""A temp file older than this (by its mtime) was left by a writer killed mid-write, and is
removed when a store is opened. A write takes milliseconds; ten minutes leaves a wide margin
for a slow or network disk, or a writer stopped (SIGSTOP, a suspended laptop) between its
write and its rename, whose rename then fails and is reported, never corrupts an item."""

TEMPORARY_PREFIX = ".tmp-"

_POSIX = hasattr(os, "getuid")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
# os.replace takes the same dir_fd arguments as os.rename (the set lists rename only).
_AT_DIRECTORY = {os.open, os.stat, os.unlink, os.rename, os.link} <= os.supports_dir_fd
_SYMLINK_ERRNOS = {errno.ELOOP, errno.EMLINK}  # O_NOFOLLOW on a symlink: Linux/macOS, BSD
_SHOWN_CHARACTERS = 120
_WARNED_READABLE: set[tuple[int, int]] = set()
"""Directories (device, inode) already reported readable by others: one warning each."""


def shown(path: str | os.PathLike[str]) -> str:
    """A path for a message: its repr (NUL bytes and surrogates escaped), cut to one line."""
    text = repr(os.fspath(path))
    if len(text) > _SHOWN_CHARACTERS:
        text = text[: _SHOWN_CHARACTERS // 2 - 2] + "..." + text[-_SHOWN_CHARACTERS // 2 + 1 :]
    return text


def _uid() -> int | None:
    return os.getuid() if _POSIX else None


# --- decisions ---------------------------------------------------------------------------------


def directory_problem(mode: int, owner: int, uid: int | None) -> str | None:
    """Why an existing directory (``lstat``'s mode and owner) cannot hold this user's token
    store, or None when it can. ``uid`` is this user's (None where there are none: Windows).

    Refused: a symlink or non-directory; one owned by another user; one with the sticky bit
    (a shared place such as /tmp); one writable by group or others (they could swap files);
    one this user cannot write to. A directory readable (not writable) by others is ACCEPTED:
    items are 0600 and encrypted, so others see only their names and times; the store logs
    a warning that says how to close it (chmod 700) and never changes the mode itself.
    """
    if stat.S_ISLNK(mode):
        return "is a symlink"
    if not stat.S_ISDIR(mode):
        return "is not a directory"
    if uid is None:
        return None
    if owner != uid:
        return f"belongs to another user (uid {owner})"
    if mode & stat.S_ISVTX:
        return "is a shared directory (sticky bit, like /tmp)"
    if mode & 0o022:
        return f"is writable by other users (mode {stat.S_IMODE(mode):o})"
    if mode & 0o300 != 0o300:
        return f"is not writable by you (mode {stat.S_IMODE(mode):o})"
    return None


def readable_by_others(mode: int) -> bool:
    """Whether group or others may list or enter a directory (accepted, with a warning)."""
    return bool(mode & 0o055)


def stale_temporaries(entries: Iterable[tuple[str, float]], now: float) -> list[str]:
    """The names, among (name, mtime) entries of a store directory, of temp files left by
    writers killed mid-write: named like ours and older than STALE_TEMPORARY_SECONDS."""
    return [
        name
        for name, mtime in entries
        if name.startswith(TEMPORARY_PREFIX) and now - mtime > STALE_TEMPORARY_SECONDS
    ]


# --- the directory -----------------------------------------------------------------------------


def _refused(path: Path, problem: str) -> TokenStoreError:
    return TokenStoreError(
        f"Token store directory {shown(path)} {problem}; refusing to use it (azlogin does not "
        "change directories it did not create). Choose a private directory (yours, mode 0700, "
        "or one that does not exist yet) with AZLOGIN_STORE_DIR or the store's path."
    )


def _unusable(path: Path, reason: str) -> TokenStoreError:
    return TokenStoreError(
        f"Token store directory {shown(path)} cannot be created or opened ({reason}); choose "
        "another with AZLOGIN_STORE_DIR or the store's path."
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, UnicodeError):
        return "the path is not valid text for a file name"
    if isinstance(error, ValueError):
        return "the path contains a NUL byte" if "null" in str(error) else "a malformed path"
    return type(error).__name__


def _create_missing(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each 0700 whatever the umask."""
    missing = []
    level = directory
    while not os.path.lexists(level) and level.parent != level:
        missing.append(level)
        level = level.parent
    for level in reversed(missing):
        try:
            os.mkdir(level, 0o700)
        except FileExistsError:
            continue  # made at the same time by another process: checked as an existing one
        if _POSIX:
            _chmod_created(level)


def _chmod_created(level: Path) -> None:
    """0700 on a directory this call just made (the umask may have taken bits off)."""
    try:
        descriptor = os.open(level, _DIRECTORY_FLAGS)
    except PermissionError:  # a umask that left no read bit on our own new directory
        os.chmod(level, 0o700)
        return
    try:
        os.fchmod(descriptor, 0o700)
    finally:
        os.close(descriptor)


def open_directory(path: str | os.PathLike[str], *, create: bool = True) -> StoreDirectory:
    """The store directory at ``path``, open and checked: created 0700 (with its missing
    parents) if absent and ``create``; TokenStoreError when it is unsafe (see
    :func:`directory_problem`) or cannot be made or opened."""
    directory = Path(path)
    try:
        directory = directory.expanduser()
        if create:
            _create_missing(directory)
        descriptor = _open_checked(directory)
    except TokenStoreError:
        raise
    except (OSError, ValueError, RuntimeError) as error:
        raise _unusable(directory, _reason(error)) from None
    return StoreDirectory(directory, descriptor)


def _open_checked(directory: Path) -> int | None:
    """A descriptor of ``directory`` (None where ``dir_fd`` is not supported), checked."""
    if not _AT_DIRECTORY:
        info = os.lstat(directory)
        problem = directory_problem(info.st_mode, info.st_uid, _uid())
        if problem:
            raise _refused(directory, problem)
        return None
    try:
        descriptor = os.open(directory, _DIRECTORY_FLAGS)
    except OSError:
        info = os.lstat(directory)  # a symlink, a file, another user's: say which
        problem = directory_problem(info.st_mode, info.st_uid, _uid())
        if problem:
            raise _refused(directory, problem) from None
        raise
    try:
        info = os.fstat(descriptor)
        problem = directory_problem(info.st_mode, info.st_uid, _uid())
        if problem:
            raise _refused(directory, problem)
    except BaseException:
        os.close(descriptor)
        raise
    if readable_by_others(info.st_mode) and (info.st_dev, info.st_ino) not in _WARNED_READABLE:
        _WARNED_READABLE.add((info.st_dev, info.st_ino))
        _LOGGER.warning(
            "Token store directory %s is readable by other users (mode %o): they can see its "
            "file names and times, not the tokens. azlogin leaves it as it is; run chmod 700 "
            "on it to close it.",
            directory,
            stat.S_IMODE(info.st_mode),
        )
    return descriptor


def private_directory(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (0700, missing parents too) or check it is safe (never chmod-ed);
    TokenStoreError when it is not. See :func:`open_directory`."""
    directory = open_directory(path)
    directory.close()
    return directory.path


class StoreDirectory:
    """A checked store directory, held open: every file in it is opened, replaced and removed
    relative to its descriptor, never through a symlink (on Windows, which has no ``dir_fd``,
    through its path)."""

    def __init__(self, path: Path, descriptor: int | None) -> None:
        self.path = path
        self._descriptor = descriptor
        self._finalizer = (
            weakref.finalize(self, os.close, descriptor) if descriptor is not None else None
        )

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()

    def __reduce__(self) -> Any:
        return open_directory, (self.path,)  # a descriptor means nothing in another process

    def _at(self, name: str) -> tuple[str, dict[str, Any]]:
        if self._descriptor is None:
            return str(self.path / name), {}
        return name, {"dir_fd": self._descriptor}

    def _replace(self, source: str, target: str) -> None:
        if self._descriptor is None:
            os.replace(self.path / source, self.path / target)
        else:
            os.replace(source, target, src_dir_fd=self._descriptor, dst_dir_fd=self._descriptor)

    def _sync(self) -> None:
        if self._descriptor is not None:
            os.fsync(self._descriptor)

    def open(self, name: str, flags: int, mode: int = 0o600) -> int:
        """``os.open`` of ``name`` in this directory (pass O_NOFOLLOW in ``flags``)."""
        where, at = self._at(name)
        return os.open(where, flags, mode, **at)

    def read(self, name: str) -> bytes | None:
        """The bytes of the regular file ``name`` of this user's; None when it is missing, or
        a symlink, FIFO, device or directory, or another user's (each logged: damaged)."""
        try:
            descriptor = self.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno in _SYMLINK_ERRNOS:
                _LOGGER.warning(
                    "Ignoring token store item %s: it is a symlink (never followed).",
                    self.path / name,
                )
            else:
                _LOGGER.warning(
                    "Ignoring token store item %s: it cannot be read (%s).",
                    self.path / name,
                    error.strerror,
                )
            return None
        try:
            if not self._ours(name, descriptor):
                return None
            chunks = []
            while chunk := os.read(descriptor, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as error:
            _LOGGER.warning(
                "Ignoring token store item %s: it cannot be read (%s).",
                self.path / name,
                error.strerror,
            )
            return None
        finally:
            os.close(descriptor)

    def _ours(self, name: str, descriptor: int) -> bool:
        """Whether an open file is a regular file of this user's; its mode is repaired to 0600
        (it is ours: azlogin wrote it)."""
        info = os.fstat(descriptor)
        path = self.path / name
        if not stat.S_ISREG(info.st_mode):
            _LOGGER.warning(
                "Ignoring token store item %s: it is not a regular file (a FIFO, device or "
                "directory).",
                path,
            )
            return False
        if _POSIX and info.st_uid != os.getuid():
            _LOGGER.warning("Ignoring token store item %s: it belongs to another user.", path)
            return False
        if _POSIX and stat.S_IMODE(info.st_mode) & 0o077:
            _LOGGER.warning(
                "Token store item %s was accessible to other users (mode %o); made private.",
                path,
                stat.S_IMODE(info.st_mode),
            )
            os.fchmod(descriptor, 0o600)
        return True

    def _temporary(self, data: bytes) -> str:
        """A new temp file (0600) holding ``data``, on disk (fsync); returns its name."""
        name = TEMPORARY_PREFIX + os.urandom(8).hex()  # as secrets.token_hex, without hmac
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
        descriptor = self.open(name, flags, 0o600)
        try:
            if _POSIX:
                os.fchmod(descriptor, 0o600)  # whatever the umask
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            self._discard(name)
            raise
        return name

    def _discard(self, name: str) -> None:
        where, at = self._at(name)
        with contextlib.suppress(OSError):
            os.unlink(where, **at)

    def write(self, name: str, data: bytes) -> None:
        """Replace ``name`` with ``data``: temp file (0600), fsync, rename over it (a symlink
        or FIFO there is replaced, never followed), fsync of the directory. A reader sees the
        old bytes or the new, never a mix."""
        temporary = self._temporary(data)
        try:
            self._replace(temporary, name)
        except BaseException:
            self._discard(temporary)
            raise
        self._sync()

    def create(self, name: str, data: bytes) -> bool:
        """Create ``name`` holding ``data`` only if nothing is there (a hard link of a complete
        temp file: never seen half-written, never replacing another's); False if it exists."""
        temporary = self._temporary(data)
        try:
            if self._descriptor is None:
                os.link(self.path / temporary, self.path / name)
            else:
                os.link(
                    temporary,
                    name,
                    src_dir_fd=self._descriptor,
                    dst_dir_fd=self._descriptor,
                    follow_symlinks=False,
                )
        except FileExistsError:
            return False
        finally:
            self._discard(temporary)
        self._sync()
        return True

    def remove(self, name: str) -> bool:
        """Remove ``name`` (a symlink itself, never its target); False when there was none."""
        where, at = self._at(name)
        try:
            os.unlink(where, **at)
        except FileNotFoundError:
            return False
        return True

    def remove_stale_temporaries(self, now: float | None = None) -> int:
        """Remove the temp files writers killed mid-write left (see STALE_TEMPORARY_SECONDS);
        how many. Never raises: cleaning up is a courtesy, not a condition of use."""
        now = time.time() if now is None else now
        try:
            entries = self._temporaries()
        except OSError as error:
            _LOGGER.debug("Token store %s: temp files not checked (%s).", self.path, error)
            return 0
        removed = 0
        for name in stale_temporaries(entries, now):
            removed += self.remove_quietly(name)
        if removed:
            _LOGGER.info(
                "Token store %s: removed %d temp file(s) left by writers stopped mid-write.",
                self.path,
                removed,
            )
        return removed

    def _temporaries(self) -> list[tuple[str, float]]:
        """(name, mtime) of the entries named like temp files, directories aside."""
        if self._descriptor is None:
            listing = os.scandir(self.path)
        else:
            listing = os.scandir(self._descriptor)
        with listing as entries:
            return [
                (entry.name, entry.stat(follow_symlinks=False).st_mtime)
                for entry in entries
                if entry.name.startswith(TEMPORARY_PREFIX)
                and not entry.is_dir(follow_symlinks=False)
            ]

    def remove_quietly(self, name: str) -> bool:
        try:
            return self.remove(name)
        except OSError:
            return False
