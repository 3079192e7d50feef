"""Where the encrypted file store's 256-bit key comes from.

In order of preference: the OS secret store (Secret Service, macOS Keychain, Windows Credential
Locker, through ``keyring``), the Linux kernel's user keyring (``keyctl``; what AzCopy's Go SDK
uses on Linux), a passphrase (scrypt). Each source either gives the key or says why it can't.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from .._errors import refuse_pickling
from ._files import StoreDirectory, open_directory
from ._keyring import usable_keyring
from ._locks import FileLock
from ._protocol import KeySource, KeyUnavailable

__all__ = [
    "KernelKeyringKey",
    "KeySource",
    "KeyUnavailable",
    "OsSecretStoreKey",
    "PassphraseKey",
    "StaticKey",
]

KEY_BYTES = 32
SALT_BYTES = 16
SALT_FILE = "passphrase.salt"
_SERVICE = "azlogin-token-store"
_ACCOUNT = "master-key"


class StaticKey:
    """A key the caller holds (tests, or a key from a vault of their own)."""

    name = "a key given by the caller"

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("the key must be 32 bytes (AES-256)")
        self._key = key

    def key_for(self, store_id: str, directory: Path) -> bytes:
        """The caller's key, whatever the store."""
        return self._key

    def __repr__(self) -> str:
        return "StaticKey(<hidden>)"

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


class OsSecretStoreKey:
    """The key, kept in the OS secret store through ``keyring``."""

    name = "the OS secret store"

    def key_for(self, store_id: str, directory: Path) -> bytes:
        """This user's key from the OS secret store, made there (32 random bytes) on first use.

        One key per user, whatever the store (``store_id`` and ``directory`` are not used).

        Raises:
            KeyUnavailable: No secret store is reachable, it failed, or it holds a malformed
                key.
        """
        backend = usable_keyring()
        try:
            stored = backend.get_password(_SERVICE, _ACCOUNT)
            if stored is None:
                stored = base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")
                backend.set_password(_SERVICE, _ACCOUNT, stored)
                stored = backend.get_password(_SERVICE, _ACCOUNT)
        except Exception as error:  # noqa: BLE001 - keyring backends raise many kinds
            raise KeyUnavailable(f"the OS secret store failed: {_reason(error)}") from None
        key = base64.b64decode(stored or "")
        if len(key) != KEY_BYTES:
            raise KeyUnavailable("the OS secret store holds a malformed azlogin key")
        return key


class KernelKeyringKey:
    """The key, kept in the Linux kernel's user keyring (lost at reboot: the store's items
    then read as misses, and a new key is made)."""

    name = "the Linux kernel keyring"

    # (add_key, keyctl) system call numbers.
    _SYSCALLS: ClassVar[dict[str, tuple[int, int]]] = {
        "x86_64": (248, 250),
        "aarch64": (217, 219),
        "arm64": (217, 219),
    }
    _KEY_SPEC_USER_KEYRING = -4
    _KEYCTL_SEARCH = 10
    _KEYCTL_READ = 11

    def key_for(self, store_id: str, directory: Path) -> bytes:
        """This user's key from the kernel's user keyring, made there on first use.

        The key (32 random bytes) is made again after a reboot empties the keyring. One key
        per user, whatever the store (``store_id`` and ``directory`` are not used).

        Raises:
            KeyUnavailable: Not Linux, a machine type keyctl is not wired up for, a keyring
                that refuses keys (containers often block ``keyctl``), or a malformed key.
        """
        import ctypes  # here, not at the top: only this key source calls into libc

        if not sys.platform.startswith("linux"):
            raise KeyUnavailable("the kernel keyring exists on Linux only")
        machine = os.uname().machine
        numbers = self._SYSCALLS.get(machine)
        if numbers is None:
            raise KeyUnavailable(f"keyctl is not wired up for {machine}")
        add_key, keyctl = numbers
        # The C library's syscall() among the interpreter's own symbols (dlopen(NULL)): no
        # library search (ctypes.util.find_library imports and runs far more than this).
        syscall = ctypes.CDLL(None, use_errno=True).syscall
        syscall.restype = ctypes.c_long
        description = b"azlogin:master-key"
        serial = syscall(
            keyctl, self._KEYCTL_SEARCH, self._KEY_SPEC_USER_KEYRING, b"user", description, 0
        )
        if serial < 0:
            payload = os.urandom(KEY_BYTES)
            serial = syscall(
                add_key, b"user", description, payload, len(payload), self._KEY_SPEC_USER_KEYRING
            )
            if serial < 0:
                error = ctypes.get_errno()
                raise KeyUnavailable(
                    f"the kernel keyring refused a key ({os.strerror(error)}; containers often "
                    "block keyctl)"
                )
        buffer = ctypes.create_string_buffer(KEY_BYTES)
        length = syscall(keyctl, self._KEYCTL_READ, serial, buffer, KEY_BYTES)
        if length != KEY_BYTES:
            raise KeyUnavailable("the kernel keyring holds a malformed azlogin key")
        return buffer.raw


class PassphraseKey:
    """The key, derived with scrypt from a passphrase and a random salt kept in the store.

    Every process derives the same key: the salt file is created once, atomically (see
    :func:`shared_salt`). The passphrase is encoded as UTF-8 with lone surrogates passed
    through ("surrogatepass"), so any ``str`` works and no encoding error carries it.
    """

    name = "a passphrase"

    def __init__(self, passphrase: str) -> None:
        if not passphrase:
            raise ValueError("the passphrase is empty")
        self._passphrase = passphrase

    def key_for(self, store_id: str, directory: Path) -> bytes:
        """scrypt of the passphrase with the salt kept in the store's ``directory``.

        The first process that needs the salt creates it; the others read it (see
        :func:`shared_salt`).

        Raises:
            KeyUnavailable: The salt cannot be kept.
            azlogin.TokenStoreError: ``directory`` is unsafe or cannot be opened.
        """
        folder = open_directory(directory, create=False)
        try:
            salt = shared_salt(folder)
        finally:
            folder.close()
        return self.derive(salt)

    def derive(self, salt: bytes) -> bytes:
        """The key for ``salt`` (scrypt); for stores that keep the salt elsewhere (Redis)."""
        import hashlib  # here: only a passphrase needs OpenSSL's scrypt

        return hashlib.scrypt(
            self._passphrase.encode("utf-8", "surrogatepass"), salt=salt, n=2**15, r=8, p=1,
            maxmem=64 * 2**20, dklen=KEY_BYTES,
        )  # fmt: skip

    def __repr__(self) -> str:
        return "PassphraseKey(<hidden>)"

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


def shared_salt(folder: StoreDirectory) -> bytes:
    """The store's passphrase salt, the same for every process.

    A missing salt is created with a hard link of a complete temp file, which fails when the
    name exists: of processes racing on first use one wins, and the others read its salt. A
    damaged one (wrong size, a symlink, not a regular file), or a missing one on a file
    system without hard links, is written under a lock and read again, so racing processes
    also agree then.
    """
    salt = _usable(folder.read(SALT_FILE))
    if salt is None:
        with contextlib.suppress(OSError):  # no hard links here: the lock below decides
            folder.create(SALT_FILE, os.urandom(SALT_BYTES))  # False: another was first
        salt = _usable(folder.read(SALT_FILE))
    if salt is None:
        with FileLock(folder.path / (SALT_FILE + ".lock")):
            salt = _usable(folder.read(SALT_FILE))
            if salt is None:
                folder.write(SALT_FILE, os.urandom(SALT_BYTES))
                salt = _usable(folder.read(SALT_FILE))
    if salt is None:
        raise KeyUnavailable(f"the passphrase salt in {folder.path} cannot be kept")
    return salt


def _usable(salt: bytes | None) -> bytes | None:
    return salt if salt is not None and len(salt) == SALT_BYTES else None


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
