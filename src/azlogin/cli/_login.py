"""``azlogin login``: the login the flags describe, checked by getting a token, then saved.

A login without a type flag is a device code login (as ``azcopy login``). When
``AZCOPY_AUTO_LOGIN_TYPE`` names another type here, the person may have meant that one: the
command says what it will do, asks on a terminal before it replaces a saved login of another
kind, and without a terminal refuses, naming the flag to pass (:func:`default_login_conflict`).
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Callable, NamedTuple, TextIO

from .._config.login_types import LoginType
from .._config.settings import blank_to_none
from .._config.variables import (
    AUTO_LOGIN_TYPE,
    SPA_CERT_PASSWORD,
    SPA_CERT_PATH,
    SPA_CLIENT_SECRET,
)
from .._errors import ConfigurationError
from ._commands import (
    DEFAULT_STORE,
    environment_login,
    environment_note,
    environment_type,
    store_variables,
)
from ._flags import LOGIN_FLAGS, chosen_login_type, given_flags, name_the_flags
from ._output import emit, local_time, printable

__all__ = ["Conflict", "default_login_conflict", "login_variables", "run_login"]


def _ask_secret(prompt: str, stdin: TextIO, err: TextIO) -> str:
    if not stdin.isatty():
        raise ConfigurationError(prompt, variable=SPA_CLIENT_SECRET.name)
    try:
        return getpass.getpass(prompt.split(":")[0].rstrip(".") + ": ", stream=err)
    except EOFError:  # Ctrl-D at the prompt
        raise ConfigurationError(prompt, variable=SPA_CLIENT_SECRET.name) from None


def login_variables(
    arguments: SimpleNamespace,
    chosen: LoginType,
    environ: Mapping[str, str],
    stdin: TextIO,
    err: TextIO,
) -> dict[str, str]:
    """The variables of the login the flags describe (what is saved): each flag's value, else
    for a flag that falls back to it, the environment's; secrets from the environment or a
    hidden prompt, never from a flag."""
    variables = {AUTO_LOGIN_TYPE.name: chosen.name}
    for row in LOGIN_FLAGS:
        if row.variable is None or row.variable not in chosen.variables:
            continue
        value = blank_to_none(getattr(arguments, row.keyword))
        if value is None and row.from_environment:
            value = blank_to_none(environ.get(row.variable.name))
        if value is not None:
            variables[row.variable.name] = value
    if SPA_CLIENT_SECRET not in chosen.variables:
        return variables
    if SPA_CERT_PATH.name in variables:
        password = environ.get(SPA_CERT_PASSWORD.name)
        if password is None and stdin.isatty():
            password = getpass.getpass("Certificate password (empty if none): ", stream=err)
        if password:
            variables[SPA_CERT_PASSWORD.name] = password
        return variables
    variables[SPA_CLIENT_SECRET.name] = environ.get(SPA_CLIENT_SECRET.name) or _ask_secret(
        f"Client secret: set {SPA_CLIENT_SECRET.name} (or run on a terminal to be asked), or "
        "use --certificate-path.",
        stdin,
        err,
    )
    return variables


class Conflict(NamedTuple):
    """A login without a type flag that may not be the one the person meant."""

    what: str
    """What it will do."""
    instead: str
    """How to do what the environment says instead."""
    replaces: bool
    """Whether it replaces a saved login of another kind (then it needs a yes)."""


def default_login_conflict(
    chosen: LoginType, flagged: bool, environment: LoginType | None, saved: str | None
) -> Conflict | None:
    """Whether a login without a type flag may not be what the person meant: the
    environment's ``AZCOPY_AUTO_LOGIN_TYPE`` names another type. None: no doubt. Pure."""
    if flagged or environment is None or environment is chosen:
        return None
    replaces = saved is not None and saved != chosen.name
    what = (f"{AUTO_LOGIN_TYPE.name} is {environment.name} here, but `azlogin login` without a "
            f"type flag makes a {chosen.name} login ({chosen.method})"
            + (f", replacing the saved {saved} login" if replaces else ""))  # fmt: skip
    if environment.cli_flag:
        instead = f"pass {environment.cli_flag} for a {environment.method} login"
    else:
        instead = f"use {environment.name} as it is (it needs no `azlogin login`)"
    return Conflict(what, instead, replaces)


def _confirm(conflict: Conflict | None, chosen: LoginType, stdin: TextIO, err: TextIO) -> None:
    """Say what the login will do; when it replaces another kind of saved login, ask first on
    a terminal, and without one refuse."""
    if conflict is None:
        return
    if not conflict.replaces:
        err.write(printable(f"azlogin: note: {conflict.what}; {conflict.instead}.") + "\n")
        return
    if not stdin.isatty():
        raise ConfigurationError(
            f"{conflict.what}: {conflict.instead}, or unset {AUTO_LOGIN_TYPE.name} to make "
            f"the {chosen.name} login.",
            variable=AUTO_LOGIN_TYPE.name,
        )
    err.write(printable(f"{conflict.what}; {conflict.instead}.") + "\nGo on? [y/N] ")
    err.flush()
    if stdin.readline().strip().lower() not in ("y", "yes"):
        raise ConfigurationError("Cancelled: the saved login is unchanged.")


def _device_prompt(err: TextIO) -> Callable[[str, str, datetime], None]:
    def prompt(verification_uri: str, user_code: str, expires_on: datetime) -> None:
        err.write(printable(f"To sign in, open {verification_uri} in a browser and enter the code "
                            f"{user_code} (it expires at {local_time(expires_on.timestamp())}).")
                  + "\n")  # fmt: skip
        err.flush()

    return prompt


def run_login(
    arguments: SimpleNamespace,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
) -> int:
    from .._build.assemble import credential_for
    from .._build.resolve import resolve
    from .._config.saved import SavedLogin
    from .._engine.keys import STORAGE_SCOPE
    from ..persistence._default import StoreOpener

    chosen, flagged = chosen_login_type(arguments)
    store_env = store_variables(environ)
    stores = StoreOpener(store_env)
    saved = stores.saved_login()
    saved_type = saved.login_type if saved else None
    conflict = default_login_conflict(chosen, flagged, environment_type(environ), saved_type)
    _confirm(conflict, chosen, stdin, err)
    variables = login_variables(arguments, chosen, environ, stdin, err)
    suffixes = blank_to_none(arguments.trusted_microsoft_suffixes)
    keywords: dict[str, Any] = {**DEFAULT_STORE, "trusted_microsoft_suffixes": suffixes,
                                "prompt_callback": _device_prompt(err)}  # fmt: skip
    try:
        plan = resolve({**store_env, **variables}, keywords, stores=stores)
        token = credential_for(plan).get_token_info(STORAGE_SCOPE)  # verified before it is saved
    except ConfigurationError as error:
        message = name_the_flags(str(error), error.variable, error.keyword,
                                 given_flags(arguments), variables, chosen)  # fmt: skip
        raise ConfigurationError(message, variable=error.variable, keyword=error.keyword) from error
    where = stores.save_login(SavedLogin(chosen.name, variables, suffixes or ""))
    details = plan.settings.public()
    replaced = saved_type if saved_type not in (None, chosen.name) else None
    found = environment_login(environ)
    emit(
        arguments,
        out,
        {
            "status": "logged in",
            "login_type": chosen.name,
            "method": chosen.method,
            "tenant_id": details.get("tenant_id"),
            "endpoint": plan.authority.url if plan.authority else None,
            "expires_on": token.expires_on,
            "expires_at": local_time(token.expires_on),
            "store": where,
            "replaced": replaced,
            "environment_login": found,
        },
        [
            f"Login succeeded: {chosen.method}"
            + (f", tenant {details['tenant_id']}" if details.get("tenant_id") else "")
            + f"; token valid until {local_time(token.expires_on)}.",
            f"Saved in {where}" + (f", replacing the saved {replaced} login." if replaced else "."),
            *environment_note(found, saved=True),
        ],
    )
    return 0
