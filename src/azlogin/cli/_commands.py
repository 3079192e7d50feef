"""What each command does. Output goes through :mod:`._output`; secrets never reach it."""

from __future__ import annotations

import argparse
import base64
import getpass
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TextIO

from .._build.assemble import credential_for
from .._build.resolve import resolve
from .._config.env_report import env_rows
from .._config.login_types import LOGIN_TYPES, LoginType
from .._config.saved import LOGIN_ITEM, SavedLogin
from .._config.variables import (
    ACTIVE_DIRECTORY_ENDPOINT,
    AUTO_LOGIN_TYPE,
    MSI_CLIENT_ID,
    MSI_OBJECT_ID,
    MSI_RESOURCE_STRING,
    SPA_APPLICATION_ID,
    SPA_CERT_PASSWORD,
    SPA_CERT_PATH,
    SPA_CLIENT_SECRET,
    TENANT_ID,
)
from .._engine.keys import STORAGE_SCOPE
from .._errors import ConfigurationError, TokenStoreError
from ..persistence._default import StoreOpener
from ..persistence._tokens import forget_identity
from ._output import emit, emit_env

__all__ = ["run_env", "run_login", "run_logout", "run_status", "run_token"]

_DEFAULT_STORE = {"token_store": "default"}


def _store_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Only the token store's variables: so a set AZCOPY_AUTO_LOGIN_TYPE cannot hide the
    saved login from `status` and `logout`."""
    return {name: value for name, value in environ.items() if name.startswith("AZLOGIN_")}


def _expiry(expires_on: int) -> str:
    try:
        return datetime.fromtimestamp(expires_on, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):  # an absurd date never crashes the output
        return f"{expires_on} (seconds since 1970, beyond the calendar)"


def run_token(arguments: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """``azlogin token``: the credential get_credential() would build here, its token."""
    plan = resolve(environ, {})
    token = credential_for(plan).get_token_info(arguments.scope)
    tenant = _claim(token.token, "tid") or plan.settings.get("tenant_id")
    emit(
        arguments,
        out,
        {
            "accessToken": token.token,
            "expiresOn": datetime.fromtimestamp(token.expires_on).strftime("%Y-%m-%d %H:%M:%S.%f"),
            "expires_on": token.expires_on,
            "tenant": tenant,
            "tokenType": token.token_type or "Bearer",
        },
        [token.token],
    )
    return 0


def _claim(token: str, name: str) -> str | None:
    """One claim of a JWT's payload, read without verification (for display only)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    value = claims.get(name) if isinstance(claims, dict) else None
    return value if isinstance(value, str) else None


def run_env(arguments: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    emit_env(env_rows(environ, show_sensitive=arguments.show_sensitive), arguments, out)
    return 0


# --- login -----------------------------------------------------------------------------------


def _ask_secret(prompt: str, stdin: TextIO, err: TextIO) -> str:
    if not stdin.isatty():
        raise ConfigurationError(prompt)
    return getpass.getpass(prompt.split(":")[0].rstrip(".") + ": ", stream=err)


def _chosen_login_type(arguments: argparse.Namespace) -> LoginType:
    """The login type the flags select, from the table's ``cli_flag`` (no flag: the default)."""
    flagged = [
        row for row in LOGIN_TYPES
        if row.cli_flag and getattr(arguments, row.cli_flag.lstrip("-").replace("-", "_"))
    ]  # fmt: skip
    if len(flagged) > 1:
        flags = " and ".join(str(row.cli_flag) for row in flagged)
        raise ConfigurationError(f"{flags} cannot be used together.")
    if flagged:
        return flagged[0]
    return next(row for row in LOGIN_TYPES if row.cli_flag == "")


def login_variables(
    arguments: argparse.Namespace, environ: Mapping[str, str], stdin: TextIO, err: TextIO
) -> dict[str, str]:
    """The variables of the login the flags describe; secrets from the environment or a
    hidden prompt, never from a flag."""
    tenant = arguments.tenant_id or environ.get(TENANT_ID.name, "")
    identity_ids = {
        MSI_CLIENT_ID.name: arguments.identity_client_id,
        MSI_OBJECT_ID.name: arguments.identity_object_id,
        MSI_RESOURCE_STRING.name: arguments.identity_resource_id,
    }
    chosen = _chosen_login_type(arguments)
    if any(identity_ids.values()) and not arguments.identity:
        raise ConfigurationError("--identity-client-id, --identity-object-id and "
                                 "--identity-resource-id go with --identity.")  # fmt: skip
    if (arguments.application_id or arguments.certificate_path) and not arguments.service_principal:
        raise ConfigurationError("--application-id and --certificate-path go with "
                                 "--service-principal.")  # fmt: skip
    if arguments.identity:
        variables = {name: value for name, value in identity_ids.items() if value}
        return {AUTO_LOGIN_TYPE.name: chosen.name, **variables}
    endpoint = arguments.aad_endpoint or environ.get(ACTIVE_DIRECTORY_ENDPOINT.name, "")
    common = {name: value for name, value in ((TENANT_ID.name, tenant),
              (ACTIVE_DIRECTORY_ENDPOINT.name, endpoint)) if value}  # fmt: skip
    if not arguments.service_principal:
        return {AUTO_LOGIN_TYPE.name: chosen.name, **common}
    if not arguments.application_id:
        raise ConfigurationError(
            "--service-principal needs --application-id (the application ID of the app "
            "registration)."
        )
    variables = {
        AUTO_LOGIN_TYPE.name: chosen.name,
        SPA_APPLICATION_ID.name: arguments.application_id,
        **common,
    }
    if arguments.certificate_path:
        variables[SPA_CERT_PATH.name] = arguments.certificate_path
        password = environ.get(SPA_CERT_PASSWORD.name)
        if password is None and stdin.isatty():
            password = getpass.getpass("Certificate password (empty if none): ", stream=err)
        if password:
            variables[SPA_CERT_PASSWORD.name] = password
        return variables
    secret = environ.get(SPA_CLIENT_SECRET.name) or _ask_secret(
        f"Client secret: set {SPA_CLIENT_SECRET.name} (or run on a terminal to be asked), or "
        "use --certificate-path.",
        stdin,
        err,
    )
    variables[SPA_CLIENT_SECRET.name] = secret
    return variables


def run_login(
    arguments: argparse.Namespace,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
) -> int:
    variables = login_variables(arguments, environ, stdin, err)
    suffixes = arguments.trusted_microsoft_suffixes or ""
    store_env = _store_env(environ)
    stores = StoreOpener(store_env)
    keywords = {**_DEFAULT_STORE, "trusted_microsoft_suffixes": suffixes or None}
    plan = resolve({**store_env, **variables}, keywords, stores=stores)
    token = credential_for(plan).get_token_info(STORAGE_SCOPE)  # verified before it is saved
    login_type = plan.login_type
    where = stores.save_login(SavedLogin(login_type.name, variables, suffixes))
    details = plan.settings.public()
    emit(
        arguments,
        out,
        {
            "status": "logged in",
            "login_type": login_type.name,
            "method": login_type.method,
            "tenant_id": details.get("tenant_id"),
            "endpoint": details.get("aad_endpoint"),
            "expires_on": token.expires_on,
            "store": where,
        },
        [
            f"Login succeeded: {login_type.method}"
            + (f", tenant {details['tenant_id']}" if details.get("tenant_id") else "")
            + f"; token valid until {_expiry(token.expires_on)}.",
            f"Saved in {where}.",
        ],
    )
    return 0


# --- login status ----------------------------------------------------------------------------


def run_status(arguments: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    store_env = _store_env(environ)
    stores = StoreOpener(store_env)
    try:
        where = stores.default().reason
    except TokenStoreError as error:
        where = f"none available ({error})"
    saved = stores.saved_login()
    result: dict[str, Any] = {
        "valid": False, "login_type": None, "method": None, "tenant_id": None,
        "endpoint": None, "expires_on": None, "store": where, "error": None,
        "shared_across_machines": False,
    }  # fmt: skip
    lines: list[str] = []
    if saved is None:
        result["error"] = "not logged in"
        lines.append("Not logged in: run `azlogin login`.")
    else:
        # The store get_credential() would use here ($AZLOGIN_TOKEN_STORE: Redis, say).
        plan = resolve(store_env, {}, stores=stores)
        where = plan.store_reason
        result.update(
            store=where,
            shared_across_machines=bool(getattr(plan.token_store, "across_machines", False)),
            login_type=plan.login_type.name,
            method=plan.login_type.method,
            tenant_id=plan.settings.get("tenant_id"),
            endpoint=plan.authority.url if plan.authority else None,
        )
        try:
            token = credential_for(plan).get_token_info(STORAGE_SCOPE)
        except Exception as error:  # noqa: BLE001 - reported, with exit code 1
            message = getattr(error, "message", None) or str(error)
            result["error"] = str(message).splitlines()[0]
            lines.append(f"The saved login is not valid: {result['error']}")
        else:
            result.update(valid=True, expires_on=token.expires_on)
            lines.append(
                f"Your login session is valid: token valid until {_expiry(token.expires_on)}."
            )
        if arguments.tenant:
            tenant = result["tenant_id"] or "(the identity's own)"
            lines.append(f"Tenant ID: {tenant}")
        if arguments.endpoint:
            lines.append(f"Active directory endpoint: {result['endpoint']}")
        if arguments.method:
            lines.append(f"Login method: {result['method']} ({result['login_type']})")
    lines.append(f"Token store: {where}.")
    emit(arguments, out, result, lines)
    return 0 if result["valid"] else 1


# --- logout ----------------------------------------------------------------------------------


def run_logout(arguments: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    store_env = _store_env(environ)
    stores = StoreOpener(store_env)
    choice = stores.default()
    saved = stores.saved_login()
    if saved is not None:
        # The plan names every item of the saved login's identity: tokens, index, device cache.
        plan = resolve(store_env, _DEFAULT_STORE, stores=stores)
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
