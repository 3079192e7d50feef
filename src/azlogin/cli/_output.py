"""Text for people, one JSON object for programs. Nothing secret is ever passed in here.

Values that come from outside (a token's claims, a path, a message quoting a setting) may
hold anything: text output escapes what a terminal would act on (control characters, bidi
overrides), JSON output escapes every non-ASCII character, and a date beyond the calendar
is shown as its number.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._config.env_report import EnvRow

__all__ = ["claims", "emit", "emit_env", "local_time", "printable", "signed_in_as"]


def printable(text: str) -> str:
    """``text`` with every character a terminal would not simply show (newlines, escapes,
    bidi overrides) written as its Python escape: one line, shown as it is."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def local_time(epoch: float) -> str:
    """An epoch time as ISO 8601 in the local zone, with its offset
    (``2026-11-30T21:15:05+01:00``); a number beyond the calendar as itself."""
    try:
        moment = datetime.fromtimestamp(epoch, timezone.utc).astimezone()
        return moment.isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return f"{epoch} (seconds since 1970, beyond the calendar)"


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, read without verification (for display only; never trusted)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_USER_CLAIMS = ("upn", "preferred_username", "unique_name", "email")
"""Where a user's sign-in name is, best first (v1 tokens have upn, v2 preferred_username)."""
_APP_CLAIMS = ("appid", "azp")
"""Where an application's client ID is (v1, v2)."""


def _first(found: Mapping[str, Any], names: Sequence[str]) -> str | None:
    for name in names:
        value = found.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def signed_in_as(found: Mapping[str, Any]) -> dict[str, str | None] | None:
    """Who a token was issued to, from its claims: a user (their sign-in name) or an
    application (a service principal's or a managed identity's client ID); None if the
    claims say neither."""
    user = _first(found, _USER_CLAIMS)
    application = _first(found, _APP_CLAIMS)
    if user is None and application is None:
        return None
    return {
        "type": "user" if user is not None else "application",
        "name": user if user is not None else application,
        "object_id": _first(found, ("oid",)),
        "tenant_id": _first(found, ("tid",)),
    }


def emit(
    arguments: SimpleNamespace, out: TextIO, data: Mapping[str, Any], lines: Sequence[str]
) -> None:
    if arguments.output_type == "json":
        out.write(json.dumps(dict(data), sort_keys=True) + "\n")
    else:
        out.write("".join(f"{printable(line)}\n" for line in lines))


def emit_env(rows: Sequence[EnvRow], arguments: SimpleNamespace, out: TextIO) -> None:
    if arguments.output_type == "json":
        out.write(json.dumps([row._asdict() for row in rows], indent=2) + "\n")
        return
    for row in rows:
        value = "(not set)" if row.value is None else row.value
        out.write(printable(f"{row.name} = {value}") + "\n")
        out.write(f"    {row.description}\n")
        out.write(f"    Used by: {', '.join(row.login_types)}\n")
