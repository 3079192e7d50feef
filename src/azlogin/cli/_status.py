"""``azlogin login status``: is the saved login valid, who is signed in, until when, and does
``AZCOPY_AUTO_LOGIN_TYPE`` make get_credential() use another login here.

The token comes from the credential get_credential() builds for the saved login: from the
token store while it is valid (no request), refreshed silently otherwise. Who is signed in is
read from its claims (never verified, never printed whole).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, TextIO

from .._errors import TokenStoreError
from ._commands import environment_login, environment_note, store_variables
from ._output import claims, emit, local_time, signed_in_as

__all__ = ["run_status"]


def _who(found: dict[str, Any] | None, method: str) -> str:
    if found is None:
        return "Signed in as: (the token names no user or application)"
    if found["type"] == "user":
        return f"Signed in as: {found['name']} (a user)"
    return f"Signed in as: application ID {found['name']} ({method})"


def run_status(arguments: SimpleNamespace, environ: Mapping[str, str], out: TextIO) -> int:
    from .._build.assemble import credential_for
    from .._build.resolve import resolve
    from .._engine.credential import raw_token  # a stored token is shown without azure-core
    from .._engine.keys import STORAGE_SCOPE
    from ..persistence._default import StoreOpener

    store_env = store_variables(environ)
    stores = StoreOpener(store_env)
    try:
        where = stores.default().reason
    except TokenStoreError as error:
        where = f"none available ({error})"
    saved = stores.saved_login()
    overriding = environment_login(environ)
    result: dict[str, Any] = {
        "valid": False, "login_type": None, "method": None, "tenant_id": None,
        "endpoint": None, "expires_on": None, "expires_at": None, "signed_in_as": None,
        "store": where, "shared_across_machines": False, "error": None,
        "environment_login": overriding,
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
            token = raw_token(credential_for(plan), STORAGE_SCOPE)
        except Exception as error:  # noqa: BLE001 - reported, with exit code 1
            message = getattr(error, "message", None) or str(error)
            result["error"] = (str(message).splitlines() or [type(error).__name__])[0]
            lines.append(f"The saved login is not valid: {result['error']}")
        else:
            who = signed_in_as(claims(token.token))
            result.update(valid=True, expires_on=token.expires_on, signed_in_as=who,
                          expires_at=local_time(token.expires_on))  # fmt: skip
            lines.append(f"Your login session is valid: token valid until {result['expires_at']}.")
            lines.append(_who(who, plan.login_type.method))
        if arguments.tenant:
            tenant = result["tenant_id"] or "(the identity's own)"
            lines.append(f"Tenant ID: {tenant}")
        if arguments.endpoint:
            lines.append(f"Active directory endpoint: {result['endpoint']}")
        if arguments.method:
            lines.append(f"Login method: {result['method']} ({result['login_type']})")
    lines.extend(environment_note(overriding, saved=saved is not None))
    lines.append(f"Token store: {where}.")
    emit(arguments, out, result, lines)
    return 0 if result["valid"] else 1
