"""Text for people, one JSON object for programs. Nothing secret is ever passed in here.

Values that come from outside (a token's claims, a path, a message quoting a setting) may
hold anything: text output escapes what a terminal would act on (control characters, bidi
overrides), JSON output escapes every non-ASCII character, and a date beyond the calendar
is shown as its number.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._config.env_report import EnvRow

__all__ = ["az_time", "claims", "emit", "emit_env", "local_time", "printable", "signed_in_as"]


def printable(text: str) -> str:
    """``text`` with every character a terminal would not simply show (newlines, escapes,
    bidi overrides) written as its Python escape: one line, shown as it is."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _local(epoch: float, *, utc_too: bool = False) -> time.struct_time | None:
    """``epoch`` in the local zone, whole seconds; None beyond datetime's calendar (years 1 to
    9999, in UTC too when ``utc_too``: a zone-aware datetime is made in UTC first). The time
    module, not datetime: the CLI shows times without importing datetime."""
    try:
        moments = (time.localtime(epoch), *((time.gmtime(epoch),) if utc_too else ()))
    except (OverflowError, OSError, ValueError, TypeError):
        return None
    return moments[0] if all(1 <= moment.tm_year <= 9999 for moment in moments) else None


def _wall(moment: time.struct_time, between: str) -> str:
    return (
        f"{moment.tm_year:04d}-{moment.tm_mon:02d}-{moment.tm_mday:02d}{between}"
        f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d}"
    )


def local_time(epoch: float) -> str:
    """An epoch time as ISO 8601 in the local zone, with its offset
    (``2026-11-30T21:15:05+01:00``, as datetime's ``isoformat(timespec="seconds")``); a number
    beyond the calendar as itself."""
    moment = _local(epoch, utc_too=True)
    if moment is None:
        return f"{epoch} (seconds since 1970, beyond the calendar)"
    offset = moment.tm_gmtoff
    minutes, seconds = divmod(abs(offset), 60)
    zone = f"{'-' if offset < 0 else '+'}{minutes // 60:02d}:{minutes % 60:02d}"
    return _wall(moment, "T") + zone + (f":{seconds:02d}" if seconds else "")


def az_time(epoch: int) -> str:
    """``az account get-access-token``'s ``expiresOn``: local time, no zone, microseconds
    (tools parse it); a number beyond the calendar as itself."""
    moment = _local(epoch)
    return str(epoch) if moment is None else _wall(moment, " ") + ".000000"


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
