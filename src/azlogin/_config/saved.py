"""The login ``azlogin login`` saves, and get_credential uses when no login type is set: the
record and its encoding (pure). Loading and saving it is the persistence layer's
(:class:`azlogin.persistence._default.StoreOpener`).

It is kept in the default token store (encrypted; see :mod:`azlogin.persistence`) under one
item: the login type, its variables (a service principal's secret or certificate password
included) and the extra trusted suffixes. It is never written to an unencrypted store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from .._errors import refuse_pickling, repr_without

__all__ = ["LOGIN_ITEM", "SavedLogin"]

LOGIN_ITEM = "login:default"
_FORMAT = 1


class SavedLogin(NamedTuple):
    """A saved login: its type and the variables it was made with (secrets included, never
    shown: its ``repr`` leaves them out)."""

    login_type: str
    variables: Mapping[str, str]
    trusted_microsoft_suffixes: str = ""
    saved_at: float = 0.0

    def __repr__(self) -> str:
        return repr_without(self, "variables")

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)

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
