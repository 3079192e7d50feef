"""get_credential: from the environment mapping and keywords to a working credential."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from .async_token_cache import AsyncTokenCache
from .builders import BuildOptions
from .credential import AsyncCredential, Credential, options_of
from .errors import NotLoggedInError
from .login_types import LoginType, lookup_login_type, valid_names
from .persistence.default import StoreChoice, default_directory, default_store, store_from_setting
from .persistence.device import DeviceLoginState
from .persistence.tokens import AsyncPersistentFetch, PersistentFetch
from .recipe import Recipe
from .refresh import RefreshPolicy
from .saved_login import SavedLogin, load_saved_login
from .settings import Settings, blank_to_none, read_settings
from .token_cache import TokenCache
from .trust import TrustedSuffixes
from .variables import AUTO_LOGIN_TYPE, STORE_VARIABLES, VARIABLES

__all__ = [
    "ENGINE_KEYWORDS",
    "OPTION_KEYWORDS",
    "OVERRIDE_KEYWORDS",
    "get_async_credential",
    "get_credential",
    "resolve_settings",
]

_LOGGER = logging.getLogger("azlogin")

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
"""The library's own keywords for the credential: see :class:`azlogin.builders.BuildOptions`."""

ENGINE_KEYWORDS: tuple[str, ...] = ("token_timeout", "clock", "token_store", "pickle_secrets")
"""The library's own keywords for the token engine (see :mod:`azlogin.refresh`)."""


@dataclass(frozen=True)
class _Request:
    """get_credential's keywords, sorted by who uses them."""

    overrides: dict[str, str | None]
    options: BuildOptions
    suffixes: TrustedSuffixes
    token_timeout: float | _Unset | None
    clock: Callable[[], float]


class _Unset:
    pass


_UNSET = _Unset()


def get_credential(env: Mapping[str, str] | None = None, **keywords: Any) -> Credential:
    """Build the credential AzCopy would use for ``env`` (default ``os.environ``).

    ``AZCOPY_AUTO_LOGIN_TYPE`` picks the login type; the variables of that type (see
    ``azlogin env`` or the docs) configure it. Each override keyword beats its variable:
    ``login_type``, ``tenant_id``, ``aad_endpoint``, ``identity_client_id``,
    ``identity_object_id``, ``identity_resource_id``, ``application_id``, ``client_secret``,
    ``certificate_path``, ``certificate_password``, ``federated_token_file`` and
    ``trusted_microsoft_suffixes``. The library's own keywords:

    - ``prompt_callback(verification_uri, user_code, expires_on)``: shows the device code
      (default: a line on stderr);
    - ``connection_verify``: a CA bundle path, or ``False`` (never in production);
    - ``transport``: an azure-core ``HttpTransport`` for the credential's own requests;
    - ``process_timeout``: seconds to wait for ``az`` or ``pwsh`` (AZCLI, PSCRED);
    - ``token_timeout``: seconds a caller waits for a token before ClientAuthenticationError
      (default 120; 900 for DEVICE; None waits forever);
    - ``clock``: the time source of the token cache (tests pass a fake one);
    - ``pickle_secrets``: put the secrets in the credential's pickle too (default False: a
      pickled credential carries no secret and rebuilds itself from the receiving process's
      environment; see :mod:`azlogin.recipe`);
    - ``token_store``: where tokens are shared between this user's processes: a
      :class:`azlogin.persistence.TokenStore`, ``"default"`` (encrypted files, see
      :func:`azlogin.persistence.default_store`), ``"memory"`` or ``"none"``; default
      ``$AZLOGIN_TOKEN_STORE`` or ``"default"`` (which falls back to this process only, with
      a log line, when no encryption key can be had).

    Raises :class:`NotLoggedInError` when no login type is set and no login was saved,
    :class:`ConfigurationError` for a missing or malformed setting (naming the variable),
    and ``TypeError`` for an unknown keyword. No network I/O happens here.
    """
    return cast(Credential, _assemble(env, keywords, asynchronous=False))


def get_async_credential(env: Mapping[str, str] | None = None, **keywords: Any) -> AsyncCredential:
    """The asyncio twin of :func:`get_credential`: same settings, keywords and errors.

    Builds azure-identity's ``aio`` credentials (they need ``aiohttp``: ``pip install
    "azlogin[aio]"``); DEVICE, which has none, runs the sync credential in a worker thread.
    ``transport=`` takes an azure-core ``AsyncHttpTransport``.
    """
    return cast(AsyncCredential, _assemble(env, keywords, asynchronous=True))


def _assemble(
    env: Mapping[str, str] | None, keywords: Mapping[str, Any], *, asynchronous: bool
) -> Credential | AsyncCredential:
    request = _split_keywords(keywords, asynchronous=asynchronous)
    environ = os.environ if env is None else env
    # The saved login and the token store live in the same default store: open it (and look
    # up its key) at most once.
    open_default = functools.cache(functools.partial(default_store, environ))
    settings, login_type = resolve_settings(environ, request.overrides, open_default=open_default)
    policy = _policy(request, login_type)
    store = store_from_setting(keywords.get("token_store"), environ, open_default=open_default)
    shared = store if store is not None and store.shared else None
    identity = {"login_type": login_type.name, **settings.public()}
    device = None
    if shared is not None and login_type.name == "DEVICE":
        # A saved login never prompts: when its refresh token stops working, it says so.
        device = DeviceLoginState(shared, identity, interactive=settings.saved_login is None)
    inner = login_type.build(settings, replace(request.options, device_state=device))
    fetch = _fetch(inner, device, asynchronous=asynchronous)
    if shared is not None:
        directory = Path(getattr(shared, "directory", None) or default_directory(environ))
        persistent = AsyncPersistentFetch if asynchronous else PersistentFetch
        fetch = persistent(fetch, shared, identity, directory / "locks", policy, request.clock)

    engine, wrapper = (
        (AsyncTokenCache, AsyncCredential) if asynchronous else (TokenCache, Credential)
    )
    cache = engine(
        fetch, name=f"{login_type.name} login", policy=policy, clock=request.clock,
    )  # fmt: skip
    suffixes = request.suffixes
    if settings.saved_login is not None and keywords.get("trusted_microsoft_suffixes") is None:
        suffixes = TrustedSuffixes(extra=settings.saved_login.trusted_microsoft_suffixes)
    credential = wrapper(
        inner,
        cache,  # type: ignore[arg-type]
        login_type=login_type.name,
        details=settings.public(),
        trusted_suffixes=suffixes,
    )
    secrets = bool(keywords.get("pickle_secrets"))
    credential.recipe = Recipe.of(
        asynchronous=asynchronous,
        login_type=login_type.name,
        from_saved_login=settings.saved_login is not None,
        settings=settings.public() if not secrets or settings.saved_login else settings.values,
        extra_suffixes=suffixes.extra,
        keywords=keywords,
    )
    _LOGGER.info("azlogin: %r", credential)
    return credential


def _fetch(inner: Any, device: DeviceLoginState | None, *, asynchronous: bool) -> Any:
    """How the engine gets a token from the azure-identity credential: an AccessTokenInfo,
    or an awaitable of one under asyncio."""
    if device is not None:
        if asynchronous:  # the device credential is the sync one, run in a thread
            return lambda key: asyncio.to_thread(device.fetch, inner.inner, key)
        return lambda key: device.fetch(inner, key)
    return lambda key: inner.get_token_info(*key[0], options=options_of(key))


def _policy(request: _Request, login_type: LoginType) -> RefreshPolicy:
    timeout = request.token_timeout
    if isinstance(timeout, _Unset):
        return RefreshPolicy(timeout=login_type.token_timeout)
    return RefreshPolicy(timeout=timeout)


def resolve_settings(
    env: Mapping[str, str],
    overrides: Mapping[str, str | None],
    *,
    saved_login: SavedLogin | None = None,
    open_default: Callable[[], StoreChoice] | None = None,
) -> tuple[Settings, LoginType]:
    """Decide the login type and read its settings. Pure apart from the saved-login lookup
    (in the store ``open_default`` opens, the default store unless given)."""
    chosen = blank_to_none(overrides.get("login_type"))
    label = "the login_type= keyword" if chosen else AUTO_LOGIN_TYPE.name
    chosen = chosen or blank_to_none(env.get(AUTO_LOGIN_TYPE.name))
    if chosen is None:
        saved = (
            saved_login
            if saved_login is not None
            else load_saved_login(env, open_default=open_default)
        )
        if saved is None:
            raise NotLoggedInError(
                f"No login is configured: set {AUTO_LOGIN_TYPE.name} to one of {valid_names()} "
                "(with the variables that type needs; `azlogin env` lists them), "
                "pass login_type= to get_credential(), or run `azlogin login` once."
            )
        login_type = lookup_login_type(saved.login_type, "the saved login")
        settings = read_settings(login_type.name, login_type.variables, saved.variables, overrides)
        return replace(settings, saved_login=saved), login_type
    login_type = lookup_login_type(chosen, label)
    return read_settings(login_type.name, login_type.variables, env, overrides), login_type


def _split_keywords(keywords: Mapping[str, Any], *, asynchronous: bool) -> _Request:
    valid = OVERRIDE_KEYWORDS + OPTION_KEYWORDS + ENGINE_KEYWORDS
    unknown = sorted(set(keywords) - set(valid))
    if unknown:
        raise TypeError(
            f"get_credential() got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"valid keywords are {', '.join(valid)}."
        )
    overrides: dict[str, str | None] = {}
    for name in OVERRIDE_KEYWORDS:
        value = keywords.get(name)
        if name == "trusted_microsoft_suffixes" or value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name}= must be a string, not {type(value).__name__}.")
        overrides[name] = value
    suffixes = TrustedSuffixes(extra=keywords.get("trusted_microsoft_suffixes"))
    options = BuildOptions(
        **{name: keywords[name] for name in OPTION_KEYWORDS if name in keywords},
        asynchronous=asynchronous,
    )
    timeout = keywords.get("token_timeout", _UNSET)
    if not isinstance(timeout, (_Unset, int, float)) and timeout is not None:
        raise TypeError(f"token_timeout= must be a number of seconds or None, not {timeout!r}.")
    return _Request(overrides, options, suffixes, timeout, keywords.get("clock") or time.time)
