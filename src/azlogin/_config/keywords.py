"""get_credential's keywords: which exist, what each is for, and their checks. Pure.

Three kinds: override keywords beat their environment variable (one per variable, plus
``trusted_microsoft_suffixes``); option keywords shape the azure-identity credential; engine
keywords shape the token engine and the store. An unknown keyword is a TypeError.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._errors import ConfigurationError
from .variables import STORE_VARIABLES, TOKEN_STORE, VARIABLES

__all__ = [
    "ALL_KEYWORDS",
    "ENGINE_KEYWORDS",
    "OPTION_KEYWORDS",
    "OVERRIDE_KEYWORDS",
    "Options",
    "PromptCallback",
    "Request",
    "StoreSpec",
    "parse_keywords",
    "store_spec",
]

OVERRIDE_KEYWORDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [variable.setting for variable in VARIABLES if variable not in STORE_VARIABLES]
        + ["trusted_microsoft_suffixes"]
    )
)
"""Keywords that beat their environment variable (DESIGN.md's override list)."""

OPTION_KEYWORDS: tuple[str, ...] = (
    "prompt_callback",
    "connection_verify",
    "transport",
    "process_timeout",
)
"""The library's own keywords for the credential: see :class:`Options`."""

ENGINE_KEYWORDS: tuple[str, ...] = ("token_timeout", "clock", "token_store", "pickle_secrets")
"""The library's own keywords for the token engine and the store."""

ALL_KEYWORDS: tuple[str, ...] = OVERRIDE_KEYWORDS + OPTION_KEYWORDS + ENGINE_KEYWORDS

PromptCallback = Callable[[str, str, datetime], None]
"""``(verification_uri, user_code, expires_on)``, as azure-identity's ``prompt_callback``."""

STORE_CHOICES = ("default", "memory", "none")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class Options:
    """The library's own keywords for the azure-identity credential (not login settings)."""

    prompt_callback: PromptCallback | None = None
    connection_verify: bool | str | None = None
    transport: Any = None  # an azure-core HttpTransport, or AsyncHttpTransport when asynchronous
    process_timeout: int | None = None

    def pipeline_kwargs(self) -> dict[str, Any]:
        """Keywords every azure-identity credential that makes HTTP requests accepts."""
        kwargs: dict[str, Any] = {}
        if self.connection_verify is not None:
            kwargs["connection_verify"] = self.connection_verify
        if self.transport is not None:
            kwargs["transport"] = self.transport
        return kwargs

    def process_kwargs(self) -> dict[str, Any]:
        """Keywords of the credentials that run a command-line tool."""
        return {} if self.process_timeout is None else {"process_timeout": self.process_timeout}


@dataclass(frozen=True)
class StoreSpec:
    """Which token store to use: ``"default"``, ``"memory"``, ``"none"``, ``"redis"`` (``given``
    is its URL), or ``given`` (a caller's object, checked against the TokenStore protocol
    when opened). ``explicit``: the
    caller asked for it (so an unavailable default store raises instead of falling back)."""

    choice: str
    explicit: bool
    given: Any = None


def store_spec(value: Any, env: Mapping[str, str]) -> StoreSpec:
    """``token_store=`` (or AZLOGIN_TOKEN_STORE when it is None), checked."""
    explicit = value is not None
    if value is None:
        value = (env.get(TOKEN_STORE.name) or "").strip().lower() or "default"
        explicit = TOKEN_STORE.name in env
    if not isinstance(value, str):
        return StoreSpec("given", True, value)
    choice = value.strip().lower()
    if choice.startswith(REDIS_SCHEMES):
        return StoreSpec("redis", explicit, value.strip())
    if choice not in STORE_CHOICES:
        raise ConfigurationError(
            f"{TOKEN_STORE.name} (or token_store=) must be 'default', 'memory', 'none' or a "
            "redis://host:port/db URL.",
            variable=TOKEN_STORE.name,
            keyword="token_store",
        )
    return StoreSpec(choice, explicit)


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Request:
    """get_credential's keywords, sorted by who uses them."""

    overrides: Mapping[str, str]
    """Override keywords given as strings (``trusted_microsoft_suffixes`` is apart)."""
    suffixes: str | Iterable[str] | None
    options: Options
    token_timeout: float | _Unset | None
    clock: Callable[[], float]
    store: Any
    """``token_store=`` as given (None: the environment's choice)."""
    pickle_secrets: bool
    keywords: Mapping[str, Any]
    """Everything the caller passed, for the pickling recipe."""


def parse_keywords(keywords: Mapping[str, Any]) -> Request:
    """Sort and type-check the keywords; TypeError for an unknown or mistyped one."""
    unknown = sorted(set(keywords) - set(ALL_KEYWORDS))
    if unknown:
        raise TypeError(
            f"get_credential() got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"valid keywords are {', '.join(ALL_KEYWORDS)}."
        )
    overrides: dict[str, str] = {}
    for name in OVERRIDE_KEYWORDS:
        value = keywords.get(name)
        if name == "trusted_microsoft_suffixes" or value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name}= must be a string, not {type(value).__name__}.")
        overrides[name] = value
    timeout = keywords.get("token_timeout", UNSET)
    if not isinstance(timeout, (_Unset, int, float)) and timeout is not None:
        raise TypeError(f"token_timeout= must be a number of seconds or None, not {timeout!r}.")
    options = Options(**{name: keywords[name] for name in OPTION_KEYWORDS if name in keywords})
    return Request(
        overrides=overrides,
        suffixes=keywords.get("trusted_microsoft_suffixes"),
        options=options,
        token_timeout=timeout,
        clock=keywords.get("clock") or time.time,
        store=keywords.get("token_store"),
        pickle_secrets=bool(keywords.get("pickle_secrets")),
        keywords=dict(keywords),
    )
