"""The seam where a login saved by ``azlogin login`` comes back.

When ``AZCOPY_AUTO_LOGIN_TYPE`` is unset, get_credential asks :func:`load_saved_login` for
a saved login. Until the CLI and its persistence exist, there is never one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["SavedLogin", "load_saved_login"]


@dataclass(frozen=True)
class SavedLogin:
    """A saved login: its type and the variables it was made with (secrets included)."""

    login_type: str
    variables: Mapping[str, str] = field(repr=False)


def load_saved_login(env: Mapping[str, str]) -> SavedLogin | None:
    """The login ``azlogin login`` saved for this user, or None if there is none."""
    del env  # the store's location will come from it
    return None
