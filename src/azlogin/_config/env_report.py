"""What ``azlogin env`` shows: every variable azlogin reads, its meaning and current value.

Generated from the variable definitions and the login-type table; secrets are shown as
``REDACTED`` unless the caller asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Optional

from .login_types import LOGIN_TYPES, lookup_login_type
from .variables import AUTO_LOGIN_TYPE, STORE_VARIABLES, VARIABLES

__all__ = ["REDACTED", "EnvRow", "env_rows", "redact"]

REDACTED = "REDACTED"


class EnvRow(NamedTuple):
    name: str
    description: str
    value: Optional[str]  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    secret: bool
    login_types: tuple[str, ...]


_SECRET_NAMES = frozenset(variable.name for variable in VARIABLES if variable.secret)


def _shown(name: str, value: str, show_sensitive: bool = False) -> str:
    """The value to display: REDACTED for a secret variable unless asked otherwise."""
    return REDACTED if name in _SECRET_NAMES and not show_sensitive else value


def env_rows(env: Mapping[str, str], *, show_sensitive: bool = False) -> list[EnvRow]:
    """One row per variable, in the documented order."""
    rows = []
    for variable in VARIABLES:
        value = env.get(variable.name)
        if value is not None:
            value = _shown(variable.name, value, show_sensitive)
        used_by = tuple(
            login_type.name for login_type in LOGIN_TYPES if variable in login_type.variables
        )
        if variable is AUTO_LOGIN_TYPE or variable in STORE_VARIABLES:
            used_by = tuple(login_type.name for login_type in LOGIN_TYPES)
        rows.append(EnvRow(variable.name, variable.description, value, variable.secret, used_by))
    return rows


def redact(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with every secret variable's value replaced by ``REDACTED``."""
    return {name: _shown(name, value) for name, value in env.items()}


def login_types_markdown() -> str:
    """The docs' table of login types and their variables, generated from the table."""
    lines = []
    for login_type in LOGIN_TYPES:
        lines.append(f"### `{login_type.name}`\n")
        lines.append(f"{login_type.summary} Builds azure-identity's `{login_type.credential}`.\n")
        lines.append("| variable | keyword | secret | meaning |")
        lines.append("| --- | --- | --- | --- |")
        for variable in login_type.variables:
            secret = "yes" if variable.secret else ""
            lines.append(
                f"| `{variable.name}` | `{variable.setting}=` | {secret} | {variable.description} |"
            )
        lines.append("")
    return "\n".join(lines)


def login_type_page(login_type_name: str) -> str:
    """The docs page of one login type, generated from the table."""
    login_type = lookup_login_type(login_type_name, "login type")
    lines = [
        f"# `{login_type.name}`",
        "",
        f"{login_type.summary}",
        "",
        f"azlogin builds azure-identity's `{login_type.credential}`. Set",
        f"`AZCOPY_AUTO_LOGIN_TYPE={login_type.name}` (any case), or pass",
        f'`login_type="{login_type.name}"` to `azlogin.get_credential()`.',
        "",
        "| variable | keyword | secret | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for variable in login_type.variables:
        secret = "yes" if variable.secret else ""
        lines.append(
            f"| `{variable.name}` | `{variable.setting}=` | {secret} | {variable.description} |"
        )
    lines += [
        "",
        "```python",
        "import azlogin",
        "",
        f'credential = azlogin.get_credential(login_type="{login_type.name}")',
        "token = credential.get_token()  # Azure Storage's scope",
        "```",
        "",
        "See [login types](../login-types.md) for the rules every type shares.",
        "",
    ]
    return "\n".join(lines)
