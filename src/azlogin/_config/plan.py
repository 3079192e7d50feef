"""The plan: every decision get_credential, the storage and fsspec helpers and the CLI make,
taken once, by one pure function, into one frozen value.

:func:`make_plan` turns (the environment mapping, the keywords, the saved login, the storage
URL when there is one) into a :class:`Plan`: the login type and its settings, the identity
and its fingerprint, the trust list (and the URL's checked host), the authority (the storage
host's national cloud when no endpoint is set), the token store to open, the refresh policy
and the pickling recipe. Nothing downstream decides any of these again. The shell that reads
the saved login and opens the store (at most once each) is
:func:`azlogin._build.resolve.resolve`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from .._errors import ConfigurationError, NotLoggedInError, repr_without
from .authority import Authority, parse_authority
from .clouds import DEFAULT_AUTHORITY, authority_for_storage_host
from .digest import sha256_hex
from .keywords import RETRY_KEYWORDS, Options, Request, StoreSpec, _Unset, store_spec
from .login_types import LoginType, lookup_login_type, valid_names
from .saved import SavedLogin
from .settings import Settings, blank_to_none, read_settings
from .timings import RefreshPolicy
from .trust import TrustedSuffixes
from .variables import AUTO_LOGIN_TYPE, AZURE_IDENTITY_EQUIVALENTS

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "PICKLED_OPTIONS",
    "Plan",
    "Recipe",
    "check_rebuilt",
    "fingerprint",
    "make_plan",
    "needs_saved_login",
]

PICKLED_OPTIONS = (
    "connection_verify",
    "process_timeout",
    "token_timeout",
    "token_store",
    "pickle_secrets",
    "additionally_allowed_tenants",
    "logging_enable",
    *RETRY_KEYWORDS,
)
"""Options that survive pickling: plain values and lists of them (tenant IDs, status codes);
callables, transports and clocks do not."""

_PLAIN = (str, int, float, bool)


def fingerprint(material: Mapping[str, Any]) -> str:
    """A stable digest of non-secret JSON-able material: the name of store items."""
    return sha256_hex(json.dumps(material, sort_keys=True).encode())


class Recipe(NamedTuple):
    """How a credential crosses a process boundary without its secrets (see
    :mod:`azlogin._build.pickling`): the login type (None: the receiving process's saved
    login), the non-secret settings, the extra trusted suffixes and the plain options."""

    asynchronous: bool
    login_type: Optional[str]  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    overrides: Mapping[str, str]
    """With ``pickle_secrets=True``, the secrets too: never in the repr."""
    trusted_microsoft_suffixes: tuple[str, ...]
    options: Mapping[str, Any]
    identity: Mapping[str, str]
    """Who the credential signs in as (login type and non-secret settings): the copy must
    be the same identity, or it refuses to build (:func:`check_rebuilt`)."""

    def __repr__(self) -> str:
        return repr_without(self, "overrides")


class Plan(NamedTuple):
    """Every decision behind one credential, taken once (see the module docstring)."""

    login_type: LoginType
    settings: Settings
    saved_login: Optional[SavedLogin]  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    trusted: TrustedSuffixes
    host: Optional[str]  # noqa: UP045
    """The storage URL's host, checked against ``trusted``; None when planned without a URL."""
    authority: Optional[Authority]  # noqa: UP045
    """The Microsoft Entra authority, for login types that choose one; else None."""
    store: StoreSpec
    policy: RefreshPolicy
    options: Options
    clock: Callable[[], float]
    recipe: Recipe
    token_store: Any = None
    """The opened store (a TokenStore, or None for this process only): set by the shell."""
    store_reason: str = ""
    lock_directory: Optional[Path] = None  # noqa: UP045
    """Where the cross-process fetch locks live: set by the shell."""

    def __repr__(self) -> str:  # the decisions; not the clock, recipe, store or lock folder
        return repr_without(self, "clock", "recipe", "token_store", "lock_directory")

    @property
    def identity(self) -> dict[str, str]:
        """Who the tokens belong to: the login type and its non-secret settings."""
        return {"login_type": self.login_type.name, **self.settings.public()}

    @property
    def fingerprint(self) -> str:
        """The identity's digest: every store item of this identity is named after it."""
        return fingerprint(self.identity)

    @property
    def shared_store(self) -> Any:
        """The opened store when other processes see it (so fetches lock across processes)."""
        store = self.token_store
        return store if store is not None and store.shared else None


def needs_saved_login(request: Request, env: Mapping[str, str]) -> bool:
    """Whether the login type is unset, so the saved login decides (and must be read)."""
    chosen = blank_to_none(request.overrides.get("login_type"))
    return (chosen or blank_to_none(env.get(AUTO_LOGIN_TYPE.name))) is None


def make_plan(
    request: Request,
    env: Mapping[str, str],
    saved_login: SavedLogin | None,
    *,
    url: str | None = None,
    asynchronous: bool = False,
) -> Plan:
    """The plan for ``request`` in ``env``. Pure: ``saved_login`` is what the shell read (None
    when there is none, or when :func:`needs_saved_login` said it was not needed).

    Raises UntrustedDestinationError when ``url``'s host is not trusted (checked first, with
    the saved login's trust list when it decides), NotLoggedInError, ConfigurationError."""
    if request.suffixes is not None or saved_login is None:
        trusted = TrustedSuffixes(extra=request.suffixes)
    else:
        trusted = TrustedSuffixes(extra=saved_login.trusted_microsoft_suffixes)
    host = trusted.check(url) if url is not None else None  # before anything else can fail
    login_type, settings, saved = _login(request, env, saved_login)
    authority = None
    if login_type.reads_authority:
        if settings.get("aad_endpoint") is None and host is not None:
            cloud_authority = authority_for_storage_host(host)
            if cloud_authority != DEFAULT_AUTHORITY:
                settings = settings.with_value("aad_endpoint", cloud_authority)
        authority = parse_authority(
            settings.get("aad_endpoint"),
            settings.label("aad_endpoint"),
            **settings.where("aad_endpoint"),
        )
    timeout = request.token_timeout
    policy = RefreshPolicy(
        timeout=login_type.token_timeout if isinstance(timeout, _Unset) else timeout
    )
    recipe = _recipe(request, login_type, settings, saved, trusted, asynchronous)
    return Plan(
        login_type=login_type,
        settings=settings,
        saved_login=saved,
        trusted=trusted,
        host=host,
        authority=authority,
        store=store_spec(request.store, env),
        policy=policy,
        options=request.options.from_environment(env),
        clock=request.clock,
        recipe=recipe,
    )


def _login(
    request: Request, env: Mapping[str, str], saved_login: SavedLogin | None
) -> tuple[LoginType, Settings, SavedLogin | None]:
    """The login type and its settings: from the keywords, the environment, or the saved login."""
    keyword = blank_to_none(request.overrides.get("login_type"))
    chosen = keyword or blank_to_none(env.get(AUTO_LOGIN_TYPE.name))
    if chosen is None:
        if saved_login is None:
            raise NotLoggedInError(
                f"No login is configured: set {AUTO_LOGIN_TYPE.name} to one of {valid_names()} "
                "(with the variables that type needs; `azlogin env` lists them), "
                "pass login_type= to get_credential(), or run `azlogin login` once."
                + _azure_identity_hint(env)
            )
        login_type = lookup_login_type(saved_login.login_type, "the saved login")
        variables = saved_login.variables
        return login_type, _read(login_type, variables, request), saved_login
    label = "the login_type= keyword" if keyword else AUTO_LOGIN_TYPE.name
    login_type = lookup_login_type(
        chosen, label, variable=AUTO_LOGIN_TYPE.name, keyword="login_type"
    )
    return login_type, _read(login_type, env, request), None


def _azure_identity_hint(env: Mapping[str, str]) -> str:
    """For azure-identity's EnvironmentCredential variables in ``env``: their AZCOPY names."""
    found = [(name, variable) for name, variable in AZURE_IDENTITY_EQUIVALENTS if env.get(name)]
    if not found:
        return ""
    mapped = ", ".join(f"{variable.name} (from {name})" for name, variable in found)
    names = ", ".join(name for name, _ in found)
    return (
        f" {names} {'is' if len(found) == 1 else 'are'} set (azure-identity's "
        f"EnvironmentCredential variables): for that service principal set "
        f'{AUTO_LOGIN_TYPE.name}=SPN and {mapped}, or pass login_type="SPN" with the '
        "matching keywords."
    )


def _read(login_type: LoginType, source: Mapping[str, str], request: Request) -> Settings:
    return read_settings(login_type.name, login_type.variables, source, request.overrides)


def _plain(value: Any) -> Any:
    """``value`` if it is a plain value, or a tuple of its items if they all are; else None."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(
        isinstance(item, _PLAIN) for item in value
    ):
        return tuple(value)
    return None


def _recipe(
    request: Request,
    login_type: LoginType,
    settings: Settings,
    saved: SavedLogin | None,
    trusted: TrustedSuffixes,
    asynchronous: bool,
) -> Recipe:
    secrets = request.pickle_secrets and saved is None
    keywords = request.keywords
    options = {
        name: value for name in PICKLED_OPTIONS if (value := _plain(keywords.get(name))) is not None
    }
    overrides = settings.values if secrets else settings.public()
    if saved is not None:  # the worker's own saved login supplies the rest, checked by identity
        overrides = {k: v for k, v in overrides.items() if k in settings.from_keyword}
    return Recipe(
        asynchronous,
        None if saved is not None else login_type.name,
        dict(overrides),
        trusted.extra,
        options,
        {"login_type": login_type.name, **settings.public()},
    )


def check_rebuilt(plan: Plan, recipe: Recipe) -> None:
    """Refuse a copy that would sign in as another identity than the pickled credential (a
    worker whose saved login or AZCOPY_AUTO_LOGIN_TYPE differs): never a silent switch."""
    if plan.identity == dict(recipe.identity):
        return
    origin = "a saved login" if recipe.login_type is None else "its settings"
    wanted = ", ".join(f"{key}={value}" for key, value in sorted(recipe.identity.items()))
    found = ", ".join(f"{key}={value}" for key, value in sorted(plan.identity.items()))
    raise ConfigurationError(
        f"A credential made from {origin} ({wanted}) was unpickled in a process that would "
        f"sign in as another identity ({found}); give this process the same login (the same "
        f"saved login, or unset {AUTO_LOGIN_TYPE.name} here), or build a credential here.",
        variable=AUTO_LOGIN_TYPE.name,
        keyword="login_type",
    )
