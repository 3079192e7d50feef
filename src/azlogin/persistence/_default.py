"""Which token store azlogin uses, opened at most once per call, and the saved login in it.

:class:`StoreOpener` is the shell the plan's store choice goes through: it opens the default
store (and so looks up its key, which with a passphrase costs a scrypt derivation) at most
once, whether the saved login, the token store or both need it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .._config.keywords import StoreSpec
from .._config.saved import LOGIN_ITEM, SavedLogin
from .._config.variables import STORE_DIR, STORE_PASSPHRASE, TOKEN_STORE
from .._errors import ConfigurationError, TokenStoreError, repr_without
from .._logs import Logger
from ._file_store import EncryptedFileStore
from ._keys import KernelKeyringKey, OsSecretStoreKey, PassphraseKey
from ._memory import MemoryStore
from ._protocol import KeySource, TokenStore

__all__ = ["StoreChoice", "StoreOpener", "default_directory", "default_store"]

_LOGGER = Logger("azlogin.persistence")


class StoreChoice(NamedTuple):
    """The store :func:`default_store` picked, and a sentence saying why."""

    store: TokenStore
    reason: str

    def __repr__(self) -> str:  # the store's own repr says nothing the reason does not
        return repr_without(self, "store")


_PATH_MAX = 4096
"""Linux's limit on a path, in bytes with its NUL: a longer one fails in every system call."""
_NAME_MAX = 255
"""The limit on one name in a path, in bytes, on Linux, macOS and Windows file systems."""


def path_problem(value: str) -> str | None:
    """Why ``value`` cannot name a directory on any file system, or None. Pure."""
    if "\x00" in value:
        return "contains a NUL byte"
    try:
        encoded = os.fsencode(value)
    except UnicodeEncodeError:
        return "is not valid text for a file name (it holds a lone surrogate)"
    if len(encoded) >= _PATH_MAX:
        return f"is {len(encoded):,} bytes long (the limit is {_PATH_MAX - 1:,})"
    if os.altsep:
        encoded = encoded.replace(os.fsencode(os.altsep), os.fsencode(os.sep))
    if any(len(name) > _NAME_MAX for name in encoded.split(os.fsencode(os.sep))):
        return f"has a name longer than {_NAME_MAX} bytes"
    return None


def default_directory(env: Mapping[str, str]) -> Path:
    """``$AZLOGIN_STORE_DIR``, else ``~/.azlogin``.

    ConfigurationError naming AZLOGIN_STORE_DIR when its value cannot name a directory (a NUL
    byte, a lone surrogate, too long, ``~user`` for no such user). TokenStoreError when it is
    unset and this user has no home directory (HOME unset and no passwd entry, as for an
    arbitrary uid in a container): no store can be had here, which the implicit default
    answers with this process only. Whether the directory is safe is checked when the store
    is opened (TokenStoreError)."""
    configured = (env.get(STORE_DIR.name) or "").strip()
    if not configured:
        return _home() / ".azlogin"
    problem = path_problem(configured)
    if problem:
        raise ConfigurationError(
            f"{STORE_DIR.name} {problem}; set it to the path of a private directory (yours, "
            "mode 0700, or one azlogin may create).",
            variable=STORE_DIR.name,
        )
    expanded = os.path.expanduser(configured)
    if expanded.startswith("~"):
        user = configured.split("/", 1)[0][:40]
        raise ConfigurationError(
            f"{STORE_DIR.name} starts with {user!r}, which names no user with a home "
            "directory here; set it to the full path of a private directory.",
            variable=STORE_DIR.name,
        )
    return Path(expanded)


def _home() -> Path:
    try:
        home: Path | None = Path.home()
    except (RuntimeError, KeyError, OSError):
        home = None
    if home is None or path_problem(str(home)):
        raise TokenStoreError(
            "The token store lives in ~/.azlogin, but this user has no usable home directory "
            "(HOME is unset or malformed, and no passwd entry gives one); set HOME, or "
            f"{STORE_DIR.name} to the path of a private directory."
        )
    return home


def key_sources(env: Mapping[str, str]) -> list[KeySource]:
    """The key sources to try, best first: OS secret store, kernel keyring, passphrase."""
    sources: list[KeySource] = [OsSecretStoreKey(), KernelKeyringKey()]
    passphrase = env.get(STORE_PASSPHRASE.name)
    if passphrase:
        sources.append(PassphraseKey(passphrase))
    return sources


def default_store(env: Mapping[str, str] | None = None) -> StoreChoice:
    """The encrypted file store in :func:`default_directory`, keyed by the first key source
    that works; TokenStoreError listing the options when none does."""
    env = os.environ if env is None else env
    store = EncryptedFileStore(default_directory(env), key_sources=key_sources(env))
    return StoreChoice(store, f"encrypted files in {store.directory}, key from {store.key_source}")


class StoreOpener:
    """Opens the stores of one call: the default store at most once (its outcome, a store or
    a TokenStoreError, is remembered), the saved login read at most once."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self._default: StoreChoice | TokenStoreError | None = None
        self._saved: tuple[SavedLogin | None] | None = None

    def default(self) -> StoreChoice:
        """The default store; TokenStoreError when none can be had here."""
        if self._default is None:
            try:
                self._default = default_store(self.env)
            except TokenStoreError as error:
                self._default = error
        if isinstance(self._default, TokenStoreError):
            raise self._default
        return self._default

    def saved_login(self) -> SavedLogin | None:
        """The login ``azlogin login`` saved, or None if there is none (or no encrypted store
        can be opened here, so nothing can have been saved in one)."""
        if self._saved is None:
            self._saved = (self._read_saved_login(),)
        return self._saved[0]

    def _read_saved_login(self) -> SavedLogin | None:
        try:
            if not default_directory(self.env).is_dir():
                return None  # nothing was ever saved: no directory to create, no key to look up
        except TokenStoreError:  # no home directory: nothing can have been saved
            return None
        except OSError:
            pass  # cannot even look: let opening the store say why (below)
        try:
            store = self.default().store
        except TokenStoreError:
            return None
        blob = store.load(LOGIN_ITEM)
        return SavedLogin.from_bytes(blob) if blob is not None else None

    def save_login(self, login: SavedLogin) -> str:
        """Save ``login`` in the default (encrypted) store; returns a description of it."""
        choice = self.default()
        choice.store.save(LOGIN_ITEM, login.to_bytes())
        self._saved = (login,)
        return choice.reason

    def open(self, spec: StoreSpec) -> tuple[TokenStore | None, str]:
        """The store the plan chose (None: this process only) and a sentence saying which.

        The implicit default falls back to this process only, with a log line, when no key
        source works; an explicit 'default' raises instead."""
        if spec.choice == "given":
            if not isinstance(spec.given, TokenStore):
                raise TypeError(
                    "token_store= must be a TokenStore (load, save, delete, shared) or one of "
                    f"'default', 'memory', 'none', not {type(spec.given).__name__}."
                )
            return spec.given, repr(spec.given)
        if spec.choice == "none":
            return None, "none (tokens are cached in this process only)"
        if spec.choice == "memory":
            return MemoryStore(), "memory (this process only)"
        if spec.choice == "redis":
            redis, reason = _redis_store(str(spec.given), self.env)
            try:
                local: TokenStore | None = self.default().store
            except TokenStoreError:
                local = None  # no key here: while Redis is away, this process only
            return FallbackStore(redis, local), reason
        try:
            picked = self.default()
        except TokenStoreError as error:
            if spec.explicit:
                raise
            _LOGGER.info("No shared token store: %s Tokens are cached in this process only.", error)
            return None, f"none available ({error})"
        _LOGGER.debug("Token store: %s", picked.reason)
        return picked.store, picked.reason


def _redis_store(url: str, env: Mapping[str, str]) -> tuple[TokenStore, str]:
    """The Redis store a ``redis://`` setting names (redis-py is an optional dependency)."""
    try:
        from ._redis import RedisStore
    except ImportError:
        raise ConfigurationError(
            f"{TOKEN_STORE.name} (or token_store=) names a Redis store: install redis-py with "
            'pip install "azlogin[redis]".',
            variable=TOKEN_STORE.name,
            keyword="token_store",
        ) from None
    store = RedisStore(url, env=env)
    return store, f"Redis at {store.url}, shared across machines, key from {store.key_source}"


class FallbackStore:
    """A store shared across machines (Redis) with this machine's store behind it: while the
    shared one cannot be used, items are saved and found locally (one warning), so the
    machine's processes still share a token; the shared one is used again as soon as it
    answers. Its lock is the shared store's (the engine takes the machine's file lock when
    that fails)."""

    shared = True
    across_machines = True
    expiring = True

    def __init__(self, primary: Any, local: TokenStore | None) -> None:
        self.primary = primary
        self.local = local
        self.url = primary.url
        self._warned = False

    def load(self, key: str) -> bytes | None:
        value = self.primary.load(key)
        if value is None and self.local is not None:
            value = self.local.load(key)
        return value  # type: ignore[no-any-return]

    def save(self, key: str, value: bytes, *, expires_at: float | None = None) -> None:
        try:
            self.primary.save(key, value, expires_at=expires_at)
        except TokenStoreError as error:
            if self.local is None:
                raise
            if not self._warned:
                self._warned = True
                _LOGGER.warning(
                    "The shared token store cannot be used (%s); keeping tokens in this "
                    "machine's store until it answers again.",
                    error,
                )
            self.local.save(key, value)
        else:
            self._warned = False

    def delete(self, key: str) -> bool:
        removed = False
        for store in (self.primary, self.local):
            if store is not None:
                with contextlib.suppress(TokenStoreError):
                    removed = store.delete(key) or removed
        return removed

    def lock(self, item: str) -> Any:
        return self.primary.lock(item)

    def __repr__(self) -> str:
        return f"FallbackStore({self.primary!r}, local={self.local!r})"
