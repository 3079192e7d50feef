"""What each command does. Output goes through :mod:`._output`; secrets never reach it."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TextIO

from ..credential import STORAGE_SCOPE
from ..env_report import env_rows
from ..errors import ConfigurationError, TokenStoreError
from ..persistence.default import default_store
from ..persistence.device import DeviceLoginState
from ..persistence.tokens import token_item_key
from ..resolve import get_credential, resolve_settings
from ..saved_login import LOGIN_ITEM, SavedLogin, load_saved_login, save_login
from ..variables import (
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
from ._output import emit, emit_env

__all__ = ["run_env", "run_login", "run_logout", "run_status"]

METHODS = {
    "DEVICE": "device code (interactive user)",
    "MSI": "managed identity",
    "SPN": "service principal",
}


def _store_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Only the token store's variables: so a set AZCOPY_AUTO_LOGIN_TYPE cannot hide the
    saved login from `status` and `logout`."""
    return {name: value for name, value in environ.items() if name.startswith("AZLOGIN_")}


def _expiry(expires_on: int) -> str:
    return datetime.fromtimestamp(expires_on, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_env(arguments: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    emit_env(env_rows(environ, show_sensitive=arguments.show_sensitive), arguments, out)
    return 0


# --- login -----------------------------------------------------------------------------------


def _ask_secret(prompt: str, stdin: TextIO, err: TextIO) -> str:
    if not stdin.isatty():
        raise ConfigurationError(prompt)
    return getpass.getpass(prompt.split(":")[0].rstrip(".") + ": ", stream=err)


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
    if arguments.identity and arguments.service_principal:
        raise ConfigurationError("--identity and --service-principal cannot be used together.")
    if any(identity_ids.values()) and not arguments.identity:
        raise ConfigurationError("--identity-client-id, --identity-object-id and "
                                 "--identity-resource-id go with --identity.")  # fmt: skip
    if (arguments.application_id or arguments.certificate_path) and not arguments.service_principal:
        raise ConfigurationError("--application-id and --certificate-path go with "
                                 "--service-principal.")  # fmt: skip
    if arguments.identity:
        variables = {name: value for name, value in identity_ids.items() if value}
        return {AUTO_LOGIN_TYPE.name: "MSI", **variables}
    endpoint = arguments.aad_endpoint or environ.get(ACTIVE_DIRECTORY_ENDPOINT.name, "")
    common = {name: value for name, value in ((TENANT_ID.name, tenant),
              (ACTIVE_DIRECTORY_ENDPOINT.name, endpoint)) if value}  # fmt: skip
    if not arguments.service_principal:
        return {AUTO_LOGIN_TYPE.name: "DEVICE", **common}
    if not arguments.application_id:
        raise ConfigurationError(
            "--service-principal needs --application-id (the application ID of the app "
            "registration)."
        )
    variables = {AUTO_LOGIN_TYPE.name: "SPN", SPA_APPLICATION_ID.name: arguments.application_id,
                 **common}  # fmt: skip
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
    credential = get_credential(
        {**store_env, **variables},
        token_store="default",  # noqa: S106 - a store's name, not a password
        trusted_microsoft_suffixes=suffixes or None,
    )
    token = credential.get_token_info(STORAGE_SCOPE)  # verified before anything is saved
    login_type = variables[AUTO_LOGIN_TYPE.name]
    where = save_login(SavedLogin(login_type, variables, suffixes), store_env)
    details = credential.details
    emit(
        arguments,
        out,
        {
            "status": "logged in",
            "login_type": login_type,
            "method": METHODS[login_type],
            "tenant_id": details.get("tenant_id"),
            "endpoint": details.get("aad_endpoint"),
            "expires_on": token.expires_on,
            "store": where,
        },
        [
            f"Login succeeded: {METHODS[login_type]}"
            + (f", tenant {details['tenant_id']}" if details.get("tenant_id") else "")
            + f"; token valid until {_expiry(token.expires_on)}.",
            f"Saved in {where}.",
        ],
    )
    return 0


# --- login status ----------------------------------------------------------------------------


def run_status(arguments: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    store_env = _store_env(environ)
    try:
        where = default_store(store_env).reason
    except TokenStoreError as error:
        where = f"none available ({error})"
    saved = load_saved_login(store_env)
    result: dict[str, Any] = {
        "valid": False, "login_type": None, "method": None, "tenant_id": None,
        "endpoint": None, "expires_on": None, "store": where, "error": None,
    }  # fmt: skip
    lines: list[str] = []
    if saved is None:
        result["error"] = "not logged in"
        lines.append("Not logged in: run `azlogin login`.")
    else:
        settings, login_type = resolve_settings({}, {}, saved_login=saved)
        result.update(
            login_type=login_type.name,
            method=METHODS.get(login_type.name, login_type.name),
            tenant_id=settings.get("tenant_id"),
            endpoint=settings.get("aad_endpoint") or "https://login.microsoftonline.com",
        )
        try:
            credential = get_credential(store_env, token_store="default")  # noqa: S106
            token = credential.get_token_info(STORAGE_SCOPE)
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
    choice = default_store(store_env)
    store = choice.store
    saved = load_saved_login(store_env)
    removed = False
    if saved is not None:
        settings, login_type = resolve_settings({}, {}, saved_login=saved)
        identity = {"login_type": login_type.name, **settings.public()}
        store.delete(token_item_key(identity, ((STORAGE_SCOPE,), None, None, False)))
        if login_type.name == "DEVICE":
            store.delete(DeviceLoginState(store, identity).item)
    removed = store.delete(LOGIN_ITEM)
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
