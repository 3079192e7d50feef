"""The command line's options as one table, and a fast reader for the commands people run most.

:data:`COMMON`, :func:`options` and :data:`SUBCOMMANDS` say which options and subcommands
each command takes: names, kinds, defaults, choices. :mod:`._parser` builds argparse's parser
(help, usage, usage errors) from them, and :func:`read_fast` reads ``login status`` and
``token`` from them without importing argparse (argparse, gettext, locale and shutil, and
building the parsers, are about a tenth of such a process).

:func:`read_fast` takes only what argparse takes the same way: ``--flag value`` and
``--flag=value``, the common options before or after each subcommand (the last one given
wins, as in argparse), the command's own options after it. Anything else (``-h``, an unknown
or abbreviated option, ``--``, a value that starts with ``-`` or is empty, a choice not
allowed, a missing value, a login flag) it leaves to argparse, which reads it or reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, Callable, NamedTuple, Optional

from .._engine.keys import STORAGE_SCOPE

__all__ = ["COMMON", "FAST", "SUBCOMMANDS", "Option", "options", "read_fast"]


class Option(NamedTuple):
    """One option of a command."""

    flag: str
    """As typed: ``--output-type``."""
    help: str
    takes_value: bool = False
    """True: one value (``--flag value`` or ``--flag=value``); False: a switch (store_true)."""
    default: Any = False
    """Its value when not given."""
    choices: tuple[str, ...] = ()
    """The values it allows (none: any)."""
    convert: Optional[Callable[[str], Any]] = None  # noqa: UP045 - evaluated on 3.9
    """argparse's ``type``: what turns the typed value into the option's value (only for
    commands :func:`read_fast` does not read: it keeps values as typed)."""
    dest: str = ""
    """Its attribute in the parsed arguments, when not the flag's name (``--a-b``: ``a_b``)."""

    @property
    def name(self) -> str:
        """Its attribute in the parsed arguments."""
        return self.dest or self.flag.lstrip("-").replace("-", "_")


def _value(flag: str, help: str, *, default: Any = None, **more: Any) -> Option:
    return Option(flag, help, True, default, **more)


COMMON: tuple[Option, ...] = (
    _value("--output-type", "Format of the command's output: text (for people) or json (one "
           "object).", default="text", choices=("text", "json")),
    Option("--debug", "Show log records on stderr and, when a command fails, its traceback."),
)  # fmt: skip
"""The options every command takes, before or after its subcommands. Their defaults are the
top level's: a subcommand sets them only when they are given there."""

SUBCOMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("command", ("login", "logout", "token", "env")),
    "login": ("login_command", ("status",)),
}
"""A command (``""``: ``azlogin`` itself) that has subcommands: the attribute the one given goes
to (None when none is), and their names in the order help lists them."""

_OWN: dict[str, tuple[Option, ...]] = {
    "": (),
    "login status": (
        Option("--tenant", "Show the tenant ID."),
        Option("--endpoint", "Show the Microsoft Entra endpoint."),
        Option("--method", "Show the login method."),
    ),
    "logout": (),
    "token": (
        _value(
            "--scope", f"The scope to ask for (default {STORAGE_SCOPE}).", default=STORAGE_SCOPE
        ),
    ),
    "env": (Option("--show-sensitive", "Show secret values instead of REDACTED."),),
}

_TYPE_FLAG_HELP = {
    "--identity": "Log in using the virtual machine's identity, also known as managed service "
    "identity (MSI).",
    "--service-principal": "Log in via Service Principal Name (SPN) by using a certificate or a "
    "secret. The client secret or certificate password must be placed in the appropriate "
    "environment variable (see `azlogin env`).",
}

_CAP_MBPS = _value(
    "--cap-mbps",
    "Inherited from AzCopy's parent command: caps transfer rates. Accepted for compatibility; "
    "logging in transfers nothing.",
    convert=float,
)

FAST = ("login status", "token")
"""The commands :func:`read_fast` reads; argparse reads every other."""


def options(command: str) -> tuple[Option, ...]:
    """The options ``command`` (``"login status"``; ``""``: the top level) takes besides
    :data:`COMMON`, in the order its help lists them."""
    if command == "login":
        return _login_options()
    return _OWN[command]


def _login_options() -> tuple[Option, ...]:
    """``login``'s: the value flags from the login flag table, each type flag just before the
    first flag only it takes, then ``--cap-mbps``. Read only when ``login`` is on the command
    line (the table imports the login types')."""
    from .._config.login_types import LOGIN_TYPES
    from ._flags import LOGIN_FLAGS

    rows: list[Option] = []
    for row in LOGIN_FLAGS:
        takers = row.types()
        for login_type in LOGIN_TYPES:
            flag = login_type.cli_flag
            if flag and takers == (login_type,) and all(known.flag != flag for known in rows):
                rows.append(Option(flag, _TYPE_FLAG_HELP[flag]))
        rows.append(_value(row.flag, row.help, dest=row.keyword))
    return (*rows, _CAP_MBPS)


def _by_flag(rows: Sequence[Option]) -> dict[str, Option]:
    return {row.flag: row for row in rows}


def _enter(command: str, found: dict[str, Any]) -> tuple[Option, ...]:
    """Sets the defaults argparse sets when it starts reading ``command``; returns its own
    options."""
    own = options(command)
    for row in own:
        found[row.name] = row.default
    if command in SUBCOMMANDS:
        found[SUBCOMMANDS[command][0]] = None
    return own


def read_fast(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments argparse would read from ``argv`` when it is one of the :data:`FAST`
    commands written plainly, equal attribute by attribute; None: let argparse read it."""
    found = {row.name: row.default for row in COMMON}
    command = ""
    _enter(command, found)
    accepted = _by_flag(COMMON)
    words = iter(argv)
    for word in words:
        if not word.startswith("-"):
            dest, names = SUBCOMMANDS.get(command, ("", ()))
            if word not in names:
                return None
            found[dest] = word
            command = f"{command} {word}".lstrip()
            own = _enter(command, found)
            accepted = _by_flag((*own, *COMMON) if command in FAST else COMMON)
            continue
        flag, equals, given = word.partition("=")
        row = accepted.get(flag)
        if row is None:
            return None
        if not row.takes_value:
            if equals:
                return None
            found[row.name] = True
            continue
        if not equals:
            given = next(words, "")
        if not given or given.startswith("-") or (row.choices and given not in row.choices):
            return None
        found[row.name] = given
    return SimpleNamespace(**found) if command in FAST else None
