"""The ``azlogin login`` flags as a table: what each sets, which login types take it, and how
an error about its setting names it. Pure: the parser, the usage checks, the login's variables
and the error messages all read :data:`LOGIN_FLAGS` and the login-type table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import SimpleNamespace
from typing import NamedTuple, Optional

from .._config import variables as v
from .._config.clouds import DEFAULT_TRUSTED_SUFFIXES
from .._config.login_types import LOGIN_TYPES, LoginType
from .._config.settings import blank_to_none

__all__ = [
    "LOGIN_FLAGS",
    "Flag",
    "chosen_login_type",
    "given_flags",
    "login_flag_problem",
    "name_the_flags",
]


class Flag(NamedTuple):
    """One ``azlogin login`` flag that takes a value."""

    flag: str
    """As typed: ``--tenant-id``."""
    keyword: str
    """The get_credential() keyword that sets the same thing; also the argparse ``dest``."""
    help: str
    variable: Optional[v.Variable] = None  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    """The variable a saved login keeps its value in (None: kept beside the variables)."""
    from_environment: bool = False
    """Whether, when not given, the login reads its variable from the environment."""
    required_by: tuple[str, ...] = ()
    """The login types that cannot do without it (a usage error otherwise)."""
    meaning: str = ""
    """What its value is, for a message that asks for it."""

    def types(self) -> tuple[LoginType, ...]:
        """The login types ``azlogin login`` offers that take this flag."""
        offered = [row for row in LOGIN_TYPES if row.cli_flag is not None]
        if self.variable is None:
            return tuple(offered)
        return tuple(row for row in offered if self.variable in row.variables)


_SUFFIXES_HELP = (
    "Additional domain suffixes where Microsoft Entra login tokens may be sent, separated by "
    f"semicolons; added to the default '{';'.join(DEFAULT_TRUSTED_SUFFIXES)}'. For security, "
    "only put Microsoft Azure domains here."
)

LOGIN_FLAGS: tuple[Flag, ...] = (
    Flag("--tenant-id", "tenant_id", "The Microsoft Entra tenant ID to use.", v.TENANT_ID,
         from_environment=True, meaning="the tenant ID or domain of the organization"),
    Flag("--aad-endpoint", "aad_endpoint",
         "The Microsoft Entra endpoint to use. The default (https://login.microsoftonline.com) "
         "is correct for the global Azure cloud; set it for a national cloud.",
         v.ACTIVE_DIRECTORY_ENDPOINT, from_environment=True),
    Flag("--identity-client-id", "identity_client_id", "Client ID of user-assigned identity.",
         v.MSI_CLIENT_ID),
    Flag("--identity-object-id", "identity_object_id", "Object ID of user-assigned identity.",
         v.MSI_OBJECT_ID),
    Flag("--identity-resource-id", "identity_resource_id",
         "Resource ID of user-assigned identity.", v.MSI_RESOURCE_STRING),
    Flag("--application-id", "application_id",
         "Application ID of the service principal (required with it).", v.SPA_APPLICATION_ID,
         required_by=("SPN",), meaning="the application (client) ID of its app registration"),
    Flag("--certificate-path", "certificate_path",
         "Path to a PEM or PKCS12 certificate for SPN authentication; required for "
         "certificate-based service principal auth.", v.SPA_CERT_PATH),
    Flag("--trusted-microsoft-suffixes", "trusted_microsoft_suffixes", _SUFFIXES_HELP),
)  # fmt: skip
"""In the order ``azlogin login --help`` lists them."""


def _type_flag(row: LoginType) -> str:
    return row.cli_flag or f"a {row.name} login (no type flag)"


def _selected(arguments: SimpleNamespace, row: LoginType) -> bool:
    return bool(row.cli_flag) and bool(getattr(arguments, _dest(str(row.cli_flag)), False))


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def given_flags(arguments: SimpleNamespace) -> tuple[Flag, ...]:
    """The value flags given on the command line (a blank value counts as given)."""
    return tuple(row for row in LOGIN_FLAGS if getattr(arguments, row.keyword, None) is not None)


def chosen_login_type(arguments: SimpleNamespace) -> tuple[LoginType, bool]:
    """The login type the flags select (the first selected: :func:`login_flag_problem`
    refuses several), and whether a type flag selected it (False: the default)."""
    for row in LOGIN_TYPES:
        if _selected(arguments, row):
            return row, True
    return next(row for row in LOGIN_TYPES if row.cli_flag == ""), False


def login_flag_problem(arguments: SimpleNamespace) -> str | None:
    """Why the ``login`` flags do not make one login (a usage error), or None. Pure."""
    selected = [row for row in LOGIN_TYPES if _selected(arguments, row)]
    if getattr(arguments, "login_command", None) == "status":
        flags = [str(row.cli_flag) for row in selected]
        flags += [row.flag for row in given_flags(arguments)]
        if flags:
            return f"{', '.join(flags)}: for logging in, not for `login status`"
        return None
    if len(selected) > 1:
        return f"{' and '.join(str(row.cli_flag) for row in selected)} cannot be used together"
    chosen, _ = chosen_login_type(arguments)
    for row in given_flags(arguments):
        takers = row.types()
        if chosen not in takers:
            goes_with = " or ".join(_type_flag(taker) for taker in takers)
            if not chosen.cli_flag:
                return f"{row.flag} needs {goes_with}"
            return f"{row.flag} goes with {goes_with}, not with {chosen.cli_flag}"
    for row in LOGIN_FLAGS:
        if chosen.name in row.required_by and not blank_to_none(getattr(arguments, row.keyword)):
            return f"{chosen.cli_flag} needs {row.flag} ({row.meaning})"
    return None


def name_the_flags(
    message: str,
    variable: str | None,
    keyword: str | None,
    given: Collection[Flag],
    source: Mapping[str, str],
    login_type: LoginType,
) -> str:
    """A library error's message as the person who typed the command reads it. Pure.

    ``variable`` and ``keyword`` are the error's fields, ``source`` the variables the login
    was made of. A setting with no value at all is asked for by its flag; every setting whose
    value came from a flag is named by that flag; one whose value came from the environment
    keeps its variable's name (that is what the person set)."""
    at_fault = next(
        (row for row in LOGIN_FLAGS
         if (variable and row.variable and row.variable.name == variable)
         or (keyword and row.keyword == keyword)),
        None,
    )  # fmt: skip
    if at_fault is None:
        return message
    if at_fault.variable and blank_to_none(source.get(at_fault.variable.name)) is None:
        also = f" (or set {at_fault.variable.name})" if at_fault.from_environment else ""
        meaning = f": {at_fault.meaning}" if at_fault.meaning else ""
        return f"{login_type.cli_flag or login_type.name} needs {at_fault.flag}{also}{meaning}."
    for row in LOGIN_FLAGS:
        if row.from_environment and row not in given:
            continue  # its value, if any, came from the environment
        spellings = [f"the {row.keyword}= keyword", f"{row.keyword}="]
        if row.variable is not None:
            spellings.insert(0, row.variable.name)
        for spelling in spellings:
            message = message.replace(spelling, row.flag)
    if at_fault in given and at_fault.flag not in message:
        return f"{at_fault.flag}: {message}"
    return message
