"""The exceptions azlogin raises. The bottom layer: imports nothing from the package.

Token acquisition failures are not here: they surface as azure-core's
``ClientAuthenticationError`` so that Azure SDK code handles them as usual.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AzLoginError",
    "ConfigurationError",
    "NotLoggedInError",
    "TokenStoreError",
    "UntrustedDestinationError",
    "refuse_pickling",
    "repr_without",
]


class AzLoginError(Exception):
    """Base class of every error azlogin raises itself."""


class ConfigurationError(AzLoginError, ValueError):
    """A setting is missing, malformed or contradicts another.

    The message names the environment variable (or keyword) at fault and how to fix it; it
    never contains the value of a secret. ``variable`` is the environment variable at fault
    and ``keyword`` the override keyword of :func:`azlogin.get_credential` that sets the same
    thing (either may be None when the error is about something else), so callers can branch
    on them instead of matching text.
    """

    def __init__(
        self, message: str, *, variable: str | None = None, keyword: str | None = None
    ) -> None:
        super().__init__(message)
        self.variable = variable
        self.keyword = keyword


class NotLoggedInError(AzLoginError):
    """No login type is configured and no saved login exists."""


class UntrustedDestinationError(AzLoginError):
    """A token would have been sent to a host outside the trusted suffixes."""


class TokenStoreError(AzLoginError):
    """A token store cannot be used safely: no encryption key, an unsafe directory, a locked
    secret store. The message says what was tried and how to fix it."""


def repr_without(record: Any, *hidden: str) -> str:
    """A NamedTuple's repr without the fields ``hidden``: secrets, or objects (a clock, an
    opened store) whose own repr says nothing the record's other fields do not."""
    shown = (f"{name}={getattr(record, name)!r}" for name in record._fields if name not in hidden)
    return f"{type(record).__name__}({', '.join(shown)})"


def refuse_pickling(holder: object) -> TypeError:
    """The error for pickling a record that holds a secret: its class, never its contents."""
    return TypeError(
        f"{type(holder).__name__} holds a secret and is never pickled; pickle the credential "
        "instead (it travels as a recipe without secrets)."
    )
