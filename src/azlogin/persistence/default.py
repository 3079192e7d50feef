"""Which token store azlogin uses when you don't pass one, and why."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, TokenStoreError
from ..variables import STORE_DIR, STORE_PASSPHRASE, TOKEN_STORE
from ._protocol import TokenStore
from .file_store import EncryptedFileStore
from .keys import KernelKeyringKey, KeySource, OsSecretStoreKey, PassphraseKey
from .memory import MemoryStore

__all__ = ["StoreChoice", "default_directory", "default_store", "store_from_setting"]

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


def store_from_setting(
    value: Any,
    env: Mapping[str, str],
    *,
    open_default: Callable[[], StoreChoice] | None = None,
) -> TokenStore | None:
    """get_credential's ``token_store=`` (or AZLOGIN_TOKEN_STORE): a store, 'default',
    'memory' or 'none'. The implicit default falls back to no shared store, with a log line,
    when no key source works; an explicit 'default' raises instead. ``open_default`` opens
    the default store (:func:`default_store` of ``env`` unless given)."""
    explicit = value is not None
    if value is None:
        value = (env.get(TOKEN_STORE.name) or "").strip().lower() or "default"
        explicit = TOKEN_STORE.name in env
    if not isinstance(value, str):
        if not isinstance(value, TokenStore):
            raise TypeError(
                "token_store= must be a TokenStore (load, save, delete, shared) or one of "
                f"'default', 'memory', 'none', not {type(value).__name__}."
            )
        return value
    choice = value.strip().lower()
    if choice == "none":
        return None
    if choice == "memory":
        return MemoryStore()
    if choice != "default":
        raise ConfigurationError(
            f"{TOKEN_STORE.name} (or token_store=) must be 'default', 'memory' or 'none'."
        )
    try:
        picked = open_default() if open_default is not None else default_store(env)
    except TokenStoreError as error:
        if explicit:
            raise
        _LOGGER.info("No shared token store: %s Tokens are cached in this process only.", error)
        return None
    _LOGGER.debug("Token store: %s", picked.reason)
    return picked.store
