"""The command line's grammar as argparse reads and shows it: help, usage and usage errors.

The options themselves (names, kinds, defaults, choices) are the table in :mod:`._grammar`,
which also reads the commonest command lines without argparse; this module is imported only
for the others. ``--output-type`` and ``--debug`` are accepted before or after any
subcommand; an unknown option is reported with the usage of the command it was given to.

Each subcommand's arguments are added when that subcommand parses or shows its help, so a
command line builds (and imports the tables of) only the parsers it uses.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, NoReturn

from .._version import __version__
from ._grammar import COMMON, SUBCOMMANDS, Option, options

__all__ = ["Parser", "UsageError", "build_parser", "parse_command_line"]

_TEXTS = {
    "login": (
        "Log in to Microsoft Entra ID and save the login for later processes.",
        "Log in to Microsoft Entra ID to access Azure Storage resources, and save the login "
        "(encrypted) so that get_credential() uses it when AZCOPY_AUTO_LOGIN_TYPE is unset. "
        "Default: interactive device code. A service principal's client secret or certificate "
        "password comes from AZCOPY_SPA_CLIENT_SECRET / AZCOPY_SPA_CERT_PASSWORD, or from a "
        "hidden prompt on a terminal; never from a flag.",
    ),
    "login status": (
        "Show whether the saved login is valid (exit code 0) or not (1).",
        "Check the saved login: exit code 0 and 'valid' when a token can be had without asking "
        "anyone (from the token store while it is valid), 1 otherwise; who is signed in; and "
        "whether AZCOPY_AUTO_LOGIN_TYPE makes get_credential() use another login here. "
        "--tenant, --endpoint and --method add those details to the text output (the JSON "
        "output always has them).",
    ),
    "logout": (
        "Remove the saved login and its cached tokens.",
        "Remove the login `azlogin login` saved, with its device-login cache and its Azure "
        "Storage token. Says so when there was nothing to remove.",
    ),
    "token": (
        "Print an access token (Azure Storage's by default) for tools outside Python.",
        "Print an access token from the AZCOPY_* environment or the saved login, served from "
        "the token store while it is valid (no network request). Text output is the bare "
        'token, for `curl -H "Authorization: Bearer $(azlogin token)"`; --output-type json '
        "prints the fields of `az account get-access-token`. The token goes to stdout only; it "
        "is never logged.",
    ),
    "env": (
        "List the environment variables azlogin reads, with their current values.",
        "List every environment variable azlogin reads, what it means and its current value. "
        "Secrets are shown as REDACTED unless --show-sensitive is given.",
    ),
}
"""Each subcommand's line in its parent's help, and its own help's description."""

_METAVARS = {"": "COMMAND", "login": "status"}
"""How a command's usage names its subcommand."""


class UsageError(Exception):
    """A command line argparse refuses: shown with ``parser``'s usage, exit code 2."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of exiting, refuses what it
    does not recognize itself (so ``azlogin login --bogus`` shows the login usage), takes no
    abbreviation (``--tenant`` is ``login status``'s, never ``--tenant-id``), and knows its
    subcommands' parsers.

    ``arguments`` adds the parser's own arguments the first time it parses or formats its
    usage or help: a subcommand that is not on the command line is never built."""

    def __init__(self, *, arguments: Callable[[Parser], None] | None = None, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)
        # Python 3.9's argparse says "optional arguments:"; 3.10 and later "options:". One
        # help text on every version (docs/cli.md is the real output, checked by a test).
        self._optionals.title = "options"
        self.commands: dict[str, Parser] = {}
        self._arguments = arguments

    def _add_own_arguments(self) -> None:
        add, self._arguments = self._arguments, None
        if add is not None:
            add(self)

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        self._add_own_arguments()
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def format_usage(self) -> str:
        self._add_own_arguments()
        return super().format_usage()

    def format_help(self) -> str:
        self._add_own_arguments()
        return super().format_help()

    def add_command(
        self, subparsers: Any, name: str, arguments: Callable[[Parser], None], **kwargs: Any
    ) -> Parser:
        command: Parser = subparsers.add_parser(name, arguments=arguments, **kwargs)
        self.commands[name] = command
        return command


def _add(parser: Parser, row: Option, default: Any) -> None:
    if row.takes_value:
        kinds: dict[str, Any] = {"choices": row.choices or None, "type": row.convert}
    else:
        kinds = {"action": "store_true"}
    parser.add_argument(row.flag, dest=row.name, default=default, help=row.help, **kinds)


def _arguments(command: str) -> Callable[[Parser], None]:
    """What adds ``command``'s arguments to its parser: its own options, the common ones (with
    defaults only at the top level, so that a subcommand sets them only when they are given
    there), and its subcommands' parsers (each built when it is used)."""

    def add(parser: Parser) -> None:
        for row in options(command):
            _add(parser, row, row.default)
        for row in COMMON:
            _add(parser, row, argparse.SUPPRESS if command else row.default)
        if command not in SUBCOMMANDS:
            return
        dest, names = SUBCOMMANDS[command]
        subparsers = parser.add_subparsers(dest=dest, metavar=_METAVARS[command])
        for name in names:
            path = f"{command} {name}".lstrip()
            summary, description = _TEXTS[path]
            parser.add_command(
                subparsers, name, _arguments(path), help=summary, description=description
            )

    return add


def build_parser() -> Parser:
    parser = Parser(
        prog="azlogin",
        description="Sign in to Azure Storage the way AzCopy does, for Python pipelines.",
    )
    parser.add_argument("--version", action="version", version=f"azlogin {__version__}")
    _arguments("")(parser)
    return parser


def parse_command_line(parser: Parser, argv: Sequence[str] | None) -> SimpleNamespace:
    """``argv`` as ``parser`` (:func:`build_parser`) reads it, with the ``login`` flags checked
    as one login; raises :class:`UsageError`."""
    arguments: SimpleNamespace = parser.parse_args(argv, SimpleNamespace())
    if arguments.command == "login":
        from ._flags import login_flag_problem

        problem = login_flag_problem(arguments)
        if problem:
            parser.commands["login"].error(problem)
    return arguments
