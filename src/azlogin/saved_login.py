"""The login ``azlogin login`` saves, and get_credential uses when no login type is set.

It is kept in the default token store (encrypted; see :mod:`azlogin.persistence`) under one
item: the login type, its variables (a service principal's secret or certificate password
included) and the extra trusted suffixes. It is never written to an unencrypted store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import TokenStoreError

if TYPE_CHECKING:
    from .persistence.default import StoreChoice

__all__ = ["LOGIN_ITEM", "SavedLogin", "load_saved_login", "save_login"]

LOGIN_ITEM = "login:default"
_FORMAT = 1


@dataclass(frozen=True)
class SavedLogin:
    """A saved login: its type and the variables it was made with (secrets included)."""

    login_type: str
    variables: Mapping[str, str] = field(repr=False)
    trusted_microsoft_suffixes: str = ""
    saved_at: float = 0.0

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"v": _FORMAT, "login_type": self.login_type, "variables": dict(self.variables),
             "trusted_microsoft_suffixes": self.trusted_microsoft_suffixes,
             "saved_at": self.saved_at or time.time()},
        ).encode()  # fmt: skip

    @classmethod
    def from_bytes(cls, blob: bytes) -> SavedLogin | None:
        try:
            data = json.loads(blob)
            if data.get("v") != _FORMAT:
                return None
            variables = {str(k): str(v) for k, v in dict(data["variables"]).items()}
            return cls(
                str(data["login_type"]),
                variables,
                str(data.get("trusted_microsoft_suffixes") or ""),
                float(data.get("saved_at") or 0),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def load_saved_login(
    env: Mapping[str, str], *, open_default: Callable[[], StoreChoice] | None = None
) -> SavedLogin | None:
    """The login ``azlogin login`` saved for this user, or None if there is none (or no
    encrypted store can be opened here). ``open_default`` opens the default store
    (:func:`~azlogin.persistence.default_store` of ``env`` unless given)."""
    from .persistence.default import default_directory, default_store

    if not default_directory(env).is_dir():
        return None  # nothing was ever saved: no directory to create, no key to look up
    try:
        store = (open_default() if open_default is not None else default_store(env)).store
    except TokenStoreError:
        return None  # no encrypted store here, so nothing can have been saved in one
    blob = store.load(LOGIN_ITEM)
    return SavedLogin.from_bytes(blob) if blob is not None else None


def save_login(login: SavedLogin, env: Mapping[str, str]) -> str:
    """Save ``login`` in the default (encrypted) store; returns a description of the store."""
    from .persistence.default import default_store

    choice = default_store(env)
    choice.store.save(LOGIN_ITEM, login.to_bytes())
    return choice.reason
