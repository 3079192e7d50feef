"""get_credential's keywords: which exist, what each is for, and their checks. Pure.

Three kinds: override keywords beat their environment variable (one per variable, plus
``trusted_microsoft_suffixes``); option keywords shape the azure-identity credential; engine
keywords shape the token engine and the store. An unknown keyword is a TypeError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, TypedDict, Union

from .._errors import ConfigurationError
from .variables import (
    ADDITIONALLY_ALLOWED_TENANTS,
    CA_BUNDLE_VARIABLES,
    OPTION_VARIABLES,
    STORE_VARIABLES,
    TOKEN_STORE,
    VARIABLES,
)

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "ALIASES",
    "ALL_KEYWORDS",
    "ENGINE_KEYWORDS",
    "OPTION_KEYWORDS",
    "OVERRIDE_KEYWORDS",
    "RETRY_KEYWORDS",
    "CredentialKeywords",
    "Options",
    "PromptCallback",
    "Request",
    "StoreSpec",
    "parse_keywords",
    "store_spec",
]

OVERRIDE_KEYWORDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            variable.setting
            for variable in VARIABLES
            if variable not in STORE_VARIABLES and variable not in OPTION_VARIABLES
        ]
        + ["trusted_microsoft_suffixes"]
    )
)
"""Keywords that beat their environment variable (DESIGN.md's override list)."""

RETRY_KEYWORDS: tuple[str, ...] = (
    "retry_total",
    "retry_connect",
    "retry_read",
    "retry_status",
    "retry_backoff_factor",
    "retry_backoff_max",
    "retry_mode",
    "retry_on_status_codes",
)
"""azure-core's RetryPolicy keywords, passed to every credential that makes HTTP requests."""

OPTION_KEYWORDS: tuple[str, ...] = (
    "prompt_callback",
    "connection_verify",
    "transport",
    "process_timeout",
    "additionally_allowed_tenants",
    "logging_enable",
    *RETRY_KEYWORDS,
)
"""The keywords for the azure-identity credential: see :class:`Options`."""

ENGINE_KEYWORDS: tuple[str, ...] = ("token_timeout", "clock", "token_store", "pickle_secrets")
"""The library's own keywords for the token engine and the store."""

ALIASES: Mapping[str, str] = {"authority": "aad_endpoint"}
"""azure-identity's name for a keyword -> azlogin's (both are accepted; not both at once)."""

ALL_KEYWORDS: tuple[str, ...] = (
    OVERRIDE_KEYWORDS + tuple(ALIASES) + OPTION_KEYWORDS + ENGINE_KEYWORDS
)

PromptCallback = Callable[[str, str, "datetime"], None]  # (datetime imported only for typing)
"""``(verification_uri, user_code, expires_on)``, as azure-identity's ``prompt_callback``."""

STORE_CHOICES = ("default", "memory", "none")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Options(NamedTuple):
    """The keywords for the azure-identity credential (not login settings).

    ``logging_enable`` is accepted for code written for azure-identity but never turns on
    azure-core's network trace for the identity provider's requests: that trace writes the
    request and response bodies (client secret, assertion, tokens) to the log. See
    docs/logging.md.
    """

    prompt_callback: Optional[PromptCallback] = None  # noqa: UP045 - evaluated on 3.9
    connection_verify: Union[bool, str, None] = None  # noqa: UP007
    transport: Any = None  # an azure-core HttpTransport, or AsyncHttpTransport when asynchronous
    process_timeout: Optional[int] = None  # noqa: UP045
    additionally_allowed_tenants: Optional[tuple[str, ...]] = None  # noqa: UP045
    logging_enable: bool = False
    retry: Mapping[str, Any] = MappingProxyType({})
    """The RETRY_KEYWORDS given, by name."""

    def pipeline_kwargs(self) -> dict[str, Any]:
        """Keywords every azure-identity credential that makes HTTP requests accepts."""
        kwargs: dict[str, Any] = dict(self.retry)
        if self.connection_verify is not None:
            kwargs["connection_verify"] = self.connection_verify
        if self.transport is not None:
            kwargs["transport"] = self.transport
        return kwargs

    def process_kwargs(self) -> dict[str, Any]:
        """Keywords of the credentials that run a command-line tool."""
        return {} if self.process_timeout is None else {"process_timeout": self.process_timeout}

    def tenant_kwargs(self) -> dict[str, Any]:
        """Keywords of the credentials that sign in to a tenant (all but managed identity)."""
        tenants = self.additionally_allowed_tenants
        return {} if tenants is None else {"additionally_allowed_tenants": list(tenants)}

    def from_environment(self, env: Mapping[str, str]) -> Options:
        """These options with the environment's defaults filled in: the first CA bundle of
        CA_BUNDLE_VARIABLES for ``connection_verify``, AZURE_ADDITIONALLY_ALLOWED_TENANTS."""
        verify = self.connection_verify
        if verify is None:
            verify = next((env[v.name] for v in CA_BUNDLE_VARIABLES if env.get(v.name)), None)
        tenants = self.additionally_allowed_tenants
        if tenants is None and (env.get(ADDITIONALLY_ALLOWED_TENANTS.name) or "").strip():
            tenants = split_tenants(env[ADDITIONALLY_ALLOWED_TENANTS.name])
        return self._replace(connection_verify=verify, additionally_allowed_tenants=tenants)


def split_tenants(value: str) -> tuple[str, ...]:
    """``a;b``, ``a,b`` or ``a b``: the tenant list of AZURE_ADDITIONALLY_ALLOWED_TENANTS."""
    return tuple(part for part in re.split(r"[;,\s]+", value) if part)


class StoreSpec(NamedTuple):
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
        value = (env.get(TOKEN_STORE.name) or "").strip() or "default"
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


class Request(NamedTuple):
    """get_credential's keywords, sorted by who uses them."""

    # Union and Optional: NamedTuple fields are evaluated on 3.9
    overrides: Mapping[str, str]
    """Override keywords given as strings (``trusted_microsoft_suffixes`` is apart)."""
    suffixes: Union[str, Iterable[str], None]  # noqa: UP007
    options: Options
    token_timeout: Union[float, _Unset, None]  # noqa: UP007
    clock: Callable[[], float]
    store: Any
    """``token_store=`` as given (None: the environment's choice)."""
    pickle_secrets: bool
    keywords: Mapping[str, Any]
    """Everything the caller passed, for the pickling recipe."""


_PLAIN_OPTIONS = ("prompt_callback", "connection_verify", "transport", "process_timeout")


def _check(name: str, value: Any, expected: tuple[type, ...], meaning: str) -> None:
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise TypeError(f"{name}= must be {meaning}, not {type(value).__name__}.")


def _tenants(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(
            'additionally_allowed_tenants= must be a list of tenant IDs (or ["*"] for any), '
            f"not {type(value).__name__}."
        )
    tenants = tuple(value)
    for tenant in tenants:
        _check("additionally_allowed_tenants", tenant, (str,), "a list of strings")
    return tenants


def _retry(keywords: Mapping[str, Any]) -> dict[str, Any]:
    retry = {name: keywords[name] for name in RETRY_KEYWORDS if keywords.get(name) is not None}
    for name, value in retry.items():
        if name in ("retry_backoff_factor", "retry_backoff_max"):
            _check(name, value, (int, float), "a number of seconds")
        elif name not in ("retry_mode", "retry_on_status_codes"):
            _check(name, value, (int,), "a number of retries")
        if isinstance(value, (int, float)) and value < 0:
            raise TypeError(f"{name}= must not be negative, not {value!r}.")
    return retry


def _unalias(keywords: Mapping[str, Any]) -> dict[str, Any]:
    """azure-identity's names (``authority``) as azlogin's (``aad_endpoint``); not both."""
    given = dict(keywords)
    for alias, name in ALIASES.items():
        if alias not in given:
            continue
        value = given.pop(alias)
        if given.get(name) is not None and value is not None and given[name] != value:
            raise TypeError(
                f"get_credential() got both {alias}= and {name}= (the same setting, "
                f"azure-identity's name and azlogin's); pass one."
            )
        if value is not None:
            given[name] = value
    return given


def parse_keywords(keywords: Mapping[str, Any]) -> Request:
    """Sort and type-check the keywords; TypeError for an unknown or mistyped one."""
    unknown = sorted(set(keywords) - set(ALL_KEYWORDS))
    if unknown:
        raise TypeError(
            f"get_credential() got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"valid keywords are {', '.join(ALL_KEYWORDS)}."
        )
    given = _unalias(keywords)
    overrides: dict[str, str] = {}
    for name in OVERRIDE_KEYWORDS:
        value = given.get(name)
        if name == "trusted_microsoft_suffixes" or value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name}= must be a string, not {type(value).__name__}.")
        overrides[name] = value
    timeout = given.get("token_timeout", UNSET)
    if not isinstance(timeout, (_Unset, int, float)) and timeout is not None:
        raise TypeError(f"token_timeout= must be a number of seconds or None, not {timeout!r}.")
    logging_enable = given.get("logging_enable", False)
    _check("logging_enable", logging_enable, (bool,), "True or False")
    options = Options(
        **{name: given[name] for name in _PLAIN_OPTIONS if name in given},
        additionally_allowed_tenants=_tenants(given.get("additionally_allowed_tenants")),
        logging_enable=logging_enable,
        retry=_retry(given),
    )
    return Request(
        overrides=overrides,
        suffixes=given.get("trusted_microsoft_suffixes"),
        options=options,
        token_timeout=timeout,
        clock=given.get("clock") or time.time,
        store=given.get("token_store"),
        pickle_secrets=bool(given.get("pickle_secrets")),
        keywords=dict(keywords),
    )


class CredentialKeywords(TypedDict, total=False):
    """Every keyword of :func:`azlogin.get_credential`, typed, for type checkers
    (``**keywords: Unpack[CredentialKeywords]``): a misspelt or mistyped keyword fails
    ``mypy --strict``. The runtime check is :func:`parse_keywords`; a test keeps the two equal.
    """

    login_type: str | None
    tenant_id: str | None
    aad_endpoint: str | None
    authority: str | None
    identity_client_id: str | None
    identity_object_id: str | None
    identity_resource_id: str | None
    application_id: str | None
    client_secret: str | None
    certificate_path: str | None
    certificate_password: str | None
    federated_token_file: str | None
    trusted_microsoft_suffixes: str | Iterable[str] | None
    prompt_callback: PromptCallback | None
    connection_verify: bool | str | None
    transport: Any
    process_timeout: int | None
    additionally_allowed_tenants: Iterable[str] | None
    logging_enable: bool
    retry_total: int
    retry_connect: int
    retry_read: int
    retry_status: int
    retry_backoff_factor: float
    retry_backoff_max: float
    retry_mode: Any
    retry_on_status_codes: Iterable[int]
    token_timeout: float | None
    clock: Callable[[], float]
    token_store: Any
    pickle_secrets: bool
