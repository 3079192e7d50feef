"""The command line's grammar: AzCopy's ``login`` flags (see the seed's reference page).

argparse only: building the parser imports nothing that ``--version``, ``--help`` or ``env``
do not need. ``--output-type`` and ``--debug`` are accepted before or after any subcommand;
an unknown option is reported with the usage of the command it was given to.

Each subcommand's arguments are added when that subcommand parses or shows its help, so a
command line builds (and imports the tables of) only the parsers it uses.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .._version import __version__

__all__ = ["Parser", "UsageError", "build_parser"]

_TYPE_FLAG_HELP = {
    "--identity": "Log in using the virtual machine's identity, also known as managed service "
    "identity (MSI).",
    "--service-principal": "Log in via Service Principal Name (SPN) by using a certificate or a "
    "secret. The client secret or certificate password must be placed in the appropriate "
    "environment variable (see `azlogin env`).",
}


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
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
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


def _common(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Options every command takes. Only the top level has defaults: a subcommand sets them
    only when they are given there, so they work before or after the subcommand."""
    parser.add_argument(
        "--output-type",
        choices=("text", "json"),
        default="text" if top else argparse.SUPPRESS,
        help="Format of the command's output: text (for people) or json (one object).",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="Show log records on stderr and, when a command fails, its traceback.",
    )


def _login_flags(login: argparse.ArgumentParser) -> None:
    """The value flags from the table; each type flag just before the first flag only it takes."""
    from .._config.login_types import LOGIN_TYPES
    from ._flags import LOGIN_FLAGS

    added: set[str] = set()
    for row in LOGIN_FLAGS:
        takers = row.types()
        for login_type in LOGIN_TYPES:
            flag = login_type.cli_flag
            if flag and flag not in added and takers == (login_type,):
                login.add_argument(flag, action="store_true", help=_TYPE_FLAG_HELP[flag])
                added.add(flag)
        login.add_argument(row.flag, dest=row.keyword, help=row.help)


def _login_arguments(login: Parser) -> None:
    _login_flags(login)
    login.add_argument(
        "--cap-mbps",
        type=float,
        help="Inherited from AzCopy's parent command: caps transfer rates. Accepted for "
        "compatibility; logging in transfers nothing.",
    )
    _common(login)
    sub = login.add_subparsers(dest="login_command", metavar="status")
    login.add_command(
        sub,
        "status",
        _status_arguments,
        help="Show whether the saved login is valid (exit code 0) or not (1).",
        description="Check the saved login: exit code 0 and 'valid' when a token can be had "
        "without asking anyone (from the token store while it is valid), 1 otherwise; who is "
        "signed in; and whether AZCOPY_AUTO_LOGIN_TYPE makes get_credential() use another "
        "login here. --tenant, --endpoint and --method add those details to the text output "
        "(the JSON output always has them).",
    )


def _status_arguments(status: Parser) -> None:
    status.add_argument("--tenant", action="store_true", help="Show the tenant ID.")
    status.add_argument(
        "--endpoint", action="store_true", help="Show the Microsoft Entra endpoint."
    )
    status.add_argument("--method", action="store_true", help="Show the login method.")
    _common(status)


def _token_arguments(token: Parser) -> None:
    from .._engine.keys import STORAGE_SCOPE

    token.add_argument(
        "--scope", default=STORAGE_SCOPE, help=f"The scope to ask for (default {STORAGE_SCOPE})."
    )
    _common(token)


def _env_arguments(env: Parser) -> None:
    env.add_argument(
        "--show-sensitive", action="store_true", help="Show secret values instead of REDACTED."
    )
    _common(env)


def build_parser() -> Parser:
    parser = Parser(
        prog="azlogin",
        description="Sign in to Azure Storage the way AzCopy does, for Python pipelines.",
    )
    parser.add_argument("--version", action="version", version=f"azlogin {__version__}")
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.add_command(
        commands,
        "login",
        _login_arguments,
        help="Log in to Microsoft Entra ID and save the login for later processes.",
        description="Log in to Microsoft Entra ID to access Azure Storage resources, and save "
        "the login (encrypted) so that get_credential() uses it when AZCOPY_AUTO_LOGIN_TYPE is "
        "unset. Default: interactive device code. A service principal's client secret or "
        "certificate password comes from AZCOPY_SPA_CLIENT_SECRET / AZCOPY_SPA_CERT_PASSWORD, "
        "or from a hidden prompt on a terminal; never from a flag.",
    )
    parser.add_command(
        commands,
        "logout",
        _common,
        help="Remove the saved login and its cached tokens.",
        description="Remove the login `azlogin login` saved, with its device-login cache and "
        "its Azure Storage token. Says so when there was nothing to remove.",
    )
    parser.add_command(
        commands,
        "token",
        _token_arguments,
        help="Print an access token (Azure Storage's by default) for tools outside Python.",
        description="Print an access token from the AZCOPY_* environment or the saved login, "
        "served from the token store while it is valid (no network request). Text output is "
        'the bare token, for `curl -H "Authorization: Bearer $(azlogin token)"`; '
        "--output-type json prints the fields of `az account get-access-token`. The token goes "
        "to stdout only; it is never logged.",
    )
    parser.add_command(
        commands,
        "env",
        _env_arguments,
        help="List the environment variables azlogin reads, with their current values.",
        description="List every environment variable azlogin reads, what it means and its "
        "current value. Secrets are shown as REDACTED unless --show-sensitive is given.",
    )
    return parser
