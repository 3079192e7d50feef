"""The command line's grammar: AzCopy's ``login`` flags (see the seed's reference page)."""

from __future__ import annotations

import argparse

from .._config.clouds import DEFAULT_TRUSTED_SUFFIXES
from .._engine.keys import STORAGE_SCOPE
from .._version import __version__

__all__ = ["build_parser"]

_SUFFIXES_HELP = (
    "Additional domain suffixes where Microsoft Entra login tokens may be sent, separated by "
    f"semicolons; added to the default '{';'.join(DEFAULT_TRUSTED_SUFFIXES)}'. For security, "
    "only put Microsoft Azure domains here."
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-type",
        choices=("text", "json"),
        default="text",
        help="Format of the command's output: text (for people) or json (one object).",
    )
    parser.add_argument(
        "--debug", action="store_true", help="Show a traceback when a command fails."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azlogin",
        description="Sign in to Azure Storage the way AzCopy does, for Python pipelines.",
    )
    parser.add_argument("--version", action="version", version=f"azlogin {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    login = commands.add_parser(
        "login",
        help="Log in to Microsoft Entra ID and save the login for later processes.",
        description="Log in to Microsoft Entra ID to access Azure Storage resources, and save "
        "the login (encrypted) so that get_credential() uses it when AZCOPY_AUTO_LOGIN_TYPE is "
        "unset. Default: interactive device code. A service principal's client secret or "
        "certificate password comes from AZCOPY_SPA_CLIENT_SECRET / AZCOPY_SPA_CERT_PASSWORD, "
        "or from a hidden prompt on a terminal; never from a flag.",
    )
    login.add_argument("--tenant-id", help="The Microsoft Entra tenant ID to use.")
    login.add_argument(
        "--aad-endpoint",
        help="The Microsoft Entra endpoint to use. The default (https://login.microsoftonline.com)"
        " is correct for the global Azure cloud; set it for a national cloud.",
    )
    login.add_argument(
        "--identity",
        action="store_true",
        help="Log in using the virtual machine's identity, also known as managed service "
        "identity (MSI).",
    )
    login.add_argument("--identity-client-id", help="Client ID of user-assigned identity.")
    login.add_argument("--identity-object-id", help="Object ID of user-assigned identity.")
    login.add_argument("--identity-resource-id", help="Resource ID of user-assigned identity.")
    login.add_argument(
        "--service-principal",
        action="store_true",
        help="Log in via Service Principal Name (SPN) by using a certificate or a secret. The "
        "client secret or certificate password must be placed in the appropriate environment "
        "variable (see `azlogin env`).",
    )
    login.add_argument(
        "--application-id", help="Application ID of the service principal (required with it)."
    )
    login.add_argument(
        "--certificate-path",
        help="Path to a PEM or PKCS12 certificate for SPN authentication; required for "
        "certificate-based service principal auth.",
    )
    login.add_argument("--trusted-microsoft-suffixes", help=_SUFFIXES_HELP)
    login.add_argument(
        "--cap-mbps",
        type=float,
        help="Inherited from AzCopy's parent command: caps transfer rates. Accepted for "
        "compatibility; logging in transfers nothing.",
    )
    _common(login)
    sub = login.add_subparsers(dest="login_command", metavar="status")
    status = sub.add_parser(
        "status",
        help="Show whether the saved login is valid (exit code 0) or not (1).",
        description="Check the saved login: exit code 0 and 'valid' when a token can be had "
        "without asking anyone, 1 otherwise. --tenant, --endpoint and --method add those "
        "details to the text output (the JSON output always has them).",
    )
    status.add_argument("--tenant", action="store_true", help="Show the tenant ID.")
    status.add_argument(
        "--endpoint", action="store_true", help="Show the Microsoft Entra endpoint."
    )
    status.add_argument("--method", action="store_true", help="Show the login method.")
    _common(status)

    logout = commands.add_parser(
        "logout",
        help="Remove the saved login and its cached tokens.",
        description="Remove the login `azlogin login` saved, with its device-login cache and "
        "its Azure Storage token. Says so when there was nothing to remove.",
    )
    _common(logout)

    token = commands.add_parser(
        "token",
        help="Print an access token (Azure Storage's by default) for tools outside Python.",
        description="Print an access token from the AZCOPY_* environment or the saved login, "
        "served from the token store while it is valid (no network request). Text output is "
        'the bare token, for `curl -H "Authorization: Bearer $(azlogin token)"`; '
        "--output-type json prints the fields of `az account get-access-token`. The token goes "
        "to stdout only; it is never logged.",
    )
    token.add_argument(
        "--scope", default=STORAGE_SCOPE, help=f"The scope to ask for (default {STORAGE_SCOPE})."
    )
    _common(token)

    env = commands.add_parser(
        "env",
        help="List the environment variables azlogin reads, with their current values.",
        description="List every environment variable azlogin reads, what it means and its "
        "current value. Secrets are shown as REDACTED unless --show-sensitive is given.",
    )
    env.add_argument(
        "--show-sensitive", action="store_true", help="Show secret values instead of REDACTED."
    )
    _common(env)
    return parser
