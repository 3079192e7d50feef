"""Which token store azlogin uses, opened at most once per call, and the saved login in it.

:class:`StoreOpener` is the shell the plan's store choice goes through: it opens the default
store (and so looks up its key, which with a passphrase costs a scrypt derivation) at most
once, whether the saved login, the token store or both need it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._config.keywords import StoreSpec
from .._config.saved import LOGIN_ITEM, SavedLogin
from .._config.variables import STORE_DIR, STORE_PASSPHRASE
from .._errors import TokenStoreError
from ._file_store import EncryptedFileStore
from ._keys import KernelKeyringKey, OsSecretStoreKey, PassphraseKey
from ._memory import MemoryStore
from ._protocol import KeySource, TokenStore

__all__ = ["StoreChoice", "StoreOpener", "default_directory", "default_store"]

_LOGGER = logging.getLogger("azlogin.persistence")


@dataclass(frozen=True)
class StoreChoice:
    """The store :func:`default_store` picked, and a sentence saying why."""

    store: TokenStore = field(repr=False)
    reason: str


def default_directory(env: Mapping[str, str]) -> Path:
    """``$AZLOGIN_STORE_DIR``, else ``~/.azlogin``."""
    configured = (env.get(STORE_DIR.name) or "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".azlogin"


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
        if not default_directory(self.env).is_dir():
            return None  # nothing was ever saved: no directory to create, no key to look up
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
        try:
            picked = self.default()
        except TokenStoreError as error:
            if spec.explicit:
                raise
            _LOGGER.info("No shared token store: %s Tokens are cached in this process only.", error)
            return None, f"none available ({error})"
        _LOGGER.debug("Token store: %s", picked.reason)
        return picked.store, picked.reason
