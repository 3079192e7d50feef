"""The table of login types: the one place that says what each reads and how it behaves.

Resolution, the "valid values are" message, ``azlogin env``, the CLI's ``login`` and the docs'
variable tables are all generated from :data:`LOGIN_TYPES`. Its builder (the function that
makes the azure-identity credential) is registered under the same name in
:data:`azlogin._build.builders.BUILDERS`: adding a login type is one row plus its builder.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple, Optional

from .._errors import ConfigurationError
from . import variables as v

__all__ = ["LOGIN_TYPES", "LoginType", "Persists", "lookup_login_type", "valid_names"]


class Persists(enum.Enum):
    """What a login type keeps in a shared token store."""

    TOKENS = "access tokens"
    TOKENS_AND_MSAL_CACHE = "access tokens, and MSAL's cache with the refresh token"


class LoginType(NamedTuple):
    """One value of ``AZCOPY_AUTO_LOGIN_TYPE``."""

    name: str
    summary: str
    credential: str
    """The azure-identity class it builds, for docs and reprs."""
    method: str
    """How ``azlogin login status`` names it."""
    variables: tuple[v.Variable, ...]
    token_timeout: float = 120.0
    """Default seconds a caller waits for a token (a device login waits for a person)."""
    persists: Persists = Persists.TOKENS
    native_async: bool = True
    """Whether azure-identity has an asyncio credential; if not, the sync one runs in a thread."""
    cli_flag: Optional[str] = None  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    """The ``azlogin login`` flag that selects it; ``""`` for the default; None: not offered."""

    @property
    def reads_authority(self) -> bool:
        """Whether it signs in against a Microsoft Entra authority azlogin chooses."""
        return any(variable.setting == "aad_endpoint" for variable in self.variables)


LOGIN_TYPES: tuple[LoginType, ...] = (
    LoginType(
        "DEVICE",
        "Interactive device code sign-in of a user, with AzCopy's public client ID.",
        "DeviceCodeCredential",
        "device code, an interactive user",
        (v.TENANT_ID, v.ACTIVE_DIRECTORY_ENDPOINT),
        token_timeout=900.0,
        persists=Persists.TOKENS_AND_MSAL_CACHE,
        native_async=False,
        cli_flag="",
    ),
    LoginType(
        "MSI",
        "Managed identity of the Azure VM, App Service, Functions or Arc host: "
        "system-assigned, or one user-assigned identity.",
        "ManagedIdentityCredential",
        "managed identity",
        (v.MSI_CLIENT_ID, v.MSI_OBJECT_ID, v.MSI_RESOURCE_STRING),
        cli_flag="--identity",
    ),
    LoginType(
        "SPN",
        "Service principal with a client secret, or with a certificate when "
        "AZCOPY_SPA_CERT_PATH is set.",
        "ClientSecretCredential / CertificateCredential",
        "service principal",
        (
            v.SPA_APPLICATION_ID,
            v.SPA_CLIENT_SECRET,
            v.SPA_CERT_PATH,
            v.SPA_CERT_PASSWORD,
            v.TENANT_ID,
            v.ACTIVE_DIRECTORY_ENDPOINT,
        ),
        cli_flag="--service-principal",
    ),
    LoginType(
        "AZCLI",
        "The Azure CLI's current login (az account get-access-token).",
        "AzureCliCredential",
        "the Azure CLI's login",
        (v.TENANT_ID,),
    ),
    LoginType(
        "PSCRED",
        "Azure PowerShell's current login (Get-AzAccessToken).",
        "AzurePowerShellCredential",
        "Azure PowerShell's login",
        (v.TENANT_ID,),
    ),
    LoginType(
        "WORKLOAD",
        "Kubernetes workload identity: a federated service-account token file.",
        "WorkloadIdentityCredential",
        "workload identity",
        (
            v.AZURE_CLIENT_ID,
            v.AZURE_TENANT_ID,
            v.AZURE_FEDERATED_TOKEN_FILE,
            v.AZURE_AUTHORITY_HOST,
        ),
    ),
)

"""Every login type azlogin knows, one :class:`LoginType` per ``AZCOPY_AUTO_LOGIN_TYPE`` value.

Read it to list the values and the variables each reads (``azlogin env`` and the docs' tables
do); the order is the order of "valid values are" messages.

>>> import azlogin
>>> [login_type.name for login_type in azlogin.LOGIN_TYPES]
['DEVICE', 'MSI', 'SPN', 'AZCLI', 'PSCRED', 'WORKLOAD']
"""

_BY_NAME: Mapping[str, LoginType] = {login_type.name: login_type for login_type in LOGIN_TYPES}


def valid_names() -> str:
    return ", ".join(login_type.name for login_type in LOGIN_TYPES)


def lookup_login_type(value: str, label: str, **where: str | None) -> LoginType:
    """The row for ``value`` (case-insensitive, whitespace ignored), or an error listing them.
    ``where`` holds the error's ``variable`` and ``keyword`` fields."""
    login_type = _BY_NAME.get(value.strip().upper())
    if login_type is None:
        raise ConfigurationError(
            f"{label} is set to {value.strip()[:40]!r}, which is not a login type azlogin knows; "
            f"valid values are {valid_names()} (case-insensitive).",
            **where,
        )
    return login_type
