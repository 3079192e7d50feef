"""``env``, ``token`` and ``logout``, and what ``login`` and ``login status`` share. Output
goes through :mod:`._output`; secrets never reach it.

Each command imports what it needs when it runs (the store, azure-identity), so that
``--version``, ``--help`` and ``env`` import none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, TextIO

from .._config.login_types import LoginType, lookup_login_type
from .._config.settings import blank_to_none
from .._config.variables import AUTO_LOGIN_TYPE
from .._errors import ConfigurationError
from ._output import az_time, claims, emit, emit_env

__all__ = [
    "DEFAULT_STORE",
    "environment_login",
    "environment_note",
    "environment_type",
    "run_env",
    "run_logout",
    "run_token",
    "store_variables",
]

DEFAULT_STORE = {"token_store": "default"}


def store_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """Only the token store's variables: so a set AZCOPY_AUTO_LOGIN_TYPE cannot hide the
    saved login from ``login``, ``status`` and ``logout``."""
    return {name: value for name, value in environ.items() if name.startswith("AZLOGIN_")}


def environment_login(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The login ``AZCOPY_AUTO_LOGIN_TYPE`` makes get_credential() use here instead of the
    saved one: its type, method and non-secret settings, or the error get_credential() would
    raise; None when the variable is unset (the saved login decides)."""
    value = blank_to_none(environ.get(AUTO_LOGIN_TYPE.name))
    if value is None:
        return None
    from .._build.resolve import resolve

    found: dict[str, Any] = {"login_type": None, "method": None, "settings": {}, "error": None}
    try:
        plan = resolve(environ, {"token_store": "none"})
    except ConfigurationError as error:
        found["error"] = str(error)
        return found
    settings = plan.settings.public()
    return {**found, "login_type": plan.login_type.name, "method": plan.login_type.method,
            "settings": settings}  # fmt: skip


def environment_note(found: dict[str, Any] | None, saved: bool) -> list[str]:
    """What the text output says about :func:`environment_login`."""
    if found is None:
        return []
    name = AUTO_LOGIN_TYPE.name
    if found["error"]:
        how = "so get_credential() ignores the saved login and" if saved else "and get_credential()"
        return [f"Note: {name} is set here, {how} fails: {found['error']}"]
    shown = "".join(f", {key}={value}" for key, value in sorted(found["settings"].items()))
    uses = (f"Note: {name} is {found['login_type']} here, so get_credential() uses that login "
            f"from the environment ({found['method']}{shown})")  # fmt: skip
    return [f"{uses} instead of the saved one; unset {name} to use the saved login."
            if saved else f"{uses}."]  # fmt: skip


def environment_type(environ: Mapping[str, str]) -> LoginType | None:
    """The login type ``AZCOPY_AUTO_LOGIN_TYPE`` names, or None (unset or not a login type)."""
    value = blank_to_none(environ.get(AUTO_LOGIN_TYPE.name))
    if value is None:
        return None
    try:
        return lookup_login_type(value, AUTO_LOGIN_TYPE.name)
    except ConfigurationError:
        return None


def run_env(arguments: SimpleNamespace, environ: Mapping[str, str], out: TextIO) -> int:
    from .._config.env_report import env_rows

    emit_env(env_rows(environ, show_sensitive=arguments.show_sensitive), arguments, out)
    return 0


def run_token(arguments: SimpleNamespace, environ: Mapping[str, str], out: TextIO) -> int:
    """``azlogin token``: the credential get_credential() would build here, its token."""
    from .._build.assemble import credential_for
    from .._build.resolve import resolve
    from .._engine.credential import raw_token  # a stored token is shown without azure-core

    plan = resolve(environ, {})
    token = raw_token(credential_for(plan), arguments.scope)
    tenant = claims(token.token).get("tid")
    emit(
        arguments,
        out,
        {
            "accessToken": token.token,
            "expiresOn": az_time(token.expires_on),
            "expires_on": token.expires_on,
            "tenant": tenant if isinstance(tenant, str) else plan.settings.get("tenant_id"),
            "tokenType": token.token_type or "Bearer",
        },
        [token.token],
    )
    return 0


def run_logout(arguments: SimpleNamespace, environ: Mapping[str, str], out: TextIO) -> int:
    from .._build.resolve import resolve
    from .._config.saved import LOGIN_ITEM
    from ..persistence._default import StoreOpener
    from ..persistence._tokens import forget_identity

    store_env = store_variables(environ)
    stores = StoreOpener(store_env)
    choice = stores.default()
    saved = stores.saved_login()
    if saved is not None:
        # The plan names every item of the saved login's identity: tokens, index, device cache.
        plan = resolve(store_env, DEFAULT_STORE, stores=stores)
        forget_identity(choice.store, plan.fingerprint)
    removed = choice.store.delete(LOGIN_ITEM)
    emit(
        arguments,
        out,
        {
            "removed": removed,
            "login_type": saved.login_type if saved else None,
            "store": choice.reason,
        },
        [
            f"Logged out: removed the saved {saved.login_type} login and its cached tokens."
            if removed and saved
            else "Nothing to remove: there is no saved login.",
            f"Token store: {choice.reason}.",
        ],
    )
    return 0
