"""The table of login types: the one place that says what each reads and how it is built.

Resolution, the "valid values are" message, ``azlogin env`` and the docs' variable tables
are all generated from :data:`LOGIN_TYPES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import builders
from . import variables as v
from .errors import ConfigurationError
from .settings import Settings

__all__ = ["LOGIN_TYPES", "LoginType", "lookup_login_type", "valid_names"]

Builder = Callable[[Settings, builders.BuildOptions], Any]
"""Settings and options to an azure-identity credential (its aio twin when asynchronous)."""


@dataclass(frozen=True)
class LoginType:
    """One value of ``AZCOPY_AUTO_LOGIN_TYPE``."""

    name: str
    summary: str
    credential: str  # the azure-identity class it builds, for docs and reprs
    variables: tuple[v.Variable, ...]
    build: Builder
    token_timeout: float = 120.0
    """Default seconds a caller waits for a token (a device login waits for a person)."""


LOGIN_TYPES: tuple[LoginType, ...] = (
    LoginType(
        "DEVICE",
        "Interactive device code sign-in of a user, with AzCopy's public client ID.",
        "DeviceCodeCredential",
        (v.TENANT_ID, v.ACTIVE_DIRECTORY_ENDPOINT),
        builders.build_device,
        token_timeout=900.0,
    ),
    LoginType(
        "MSI",
        "Managed identity of the Azure VM, App Service, Functions or Arc host: "
        "system-assigned, or one user-assigned identity.",
        "ManagedIdentityCredential",
        (v.MSI_CLIENT_ID, v.MSI_OBJECT_ID, v.MSI_RESOURCE_STRING),
        builders.build_msi,
    ),
    LoginType(
        "SPN",
        "Service principal with a client secret, or with a certificate when "
        "AZCOPY_SPA_CERT_PATH is set.",
        "ClientSecretCredential / CertificateCredential",
        (
            v.SPA_APPLICATION_ID,
            v.SPA_CLIENT_SECRET,
            v.SPA_CERT_PATH,
            v.SPA_CERT_PASSWORD,
            v.TENANT_ID,
            v.ACTIVE_DIRECTORY_ENDPOINT,
        ),
        builders.build_spn,
    ),
    LoginType(
        "AZCLI",
        "The Azure CLI's current login (az account get-access-token).",
        "AzureCliCredential",
        (v.TENANT_ID,),
        builders.build_azcli,
    ),
    LoginType(
        "PSCRED",
        "Azure PowerShell's current login (Get-AzAccessToken).",
        "AzurePowerShellCredential",
        (v.TENANT_ID,),
        builders.build_pscred,
    ),
    LoginType(
        "WORKLOAD",
        "Kubernetes workload identity: a federated service-account token file.",
        "WorkloadIdentityCredential",
        (
            v.AZURE_CLIENT_ID,
            v.AZURE_TENANT_ID,
            v.AZURE_FEDERATED_TOKEN_FILE,
            v.AZURE_AUTHORITY_HOST,
        ),
        builders.build_workload,
    ),
)

_BY_NAME: Mapping[str, LoginType] = {login_type.name: login_type for login_type in LOGIN_TYPES}


def valid_names() -> str:
    return ", ".join(login_type.name for login_type in LOGIN_TYPES)


def lookup_login_type(value: str, label: str) -> LoginType:
    """The row for ``value`` (case-insensitive, whitespace ignored), or an error listing them."""
    login_type = _BY_NAME.get(value.strip().upper())
    if login_type is None:
        raise ConfigurationError(
            f"{label} is set to {value.strip()[:40]!r}, which is not a login type azlogin knows; "
            f"valid values are {valid_names()} (case-insensitive)."
        )
    return login_type
