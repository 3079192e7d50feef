"""Every environment variable azlogin reads, named once, with what it means.

The login-type table (:mod:`azlogin.login_types`), the error messages, the ``env``
command and the docs all read these definitions; nothing else spells a variable name.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AZURE_IDENTITY_EQUIVALENTS",
    "CA_BUNDLE_VARIABLES",
    "OPTION_VARIABLES",
    "STORE_VARIABLES",
    "VARIABLES",
    "Variable",
]


class Variable(NamedTuple):
    """One environment variable.

    ``setting`` is the keyword of :func:`azlogin.get_credential` that overrides it;
    ``secret`` variables are never echoed in messages, reprs or output.
    """

    name: str
    setting: str
    description: str
    secret: bool = False


AUTO_LOGIN_TYPE = Variable(
    "AZCOPY_AUTO_LOGIN_TYPE",
    "login_type",
    "How to sign in: DEVICE, MSI, SPN, AZCLI, PSCRED or WORKLOAD (case-insensitive).",
)
TENANT_ID = Variable(
    "AZCOPY_TENANT_ID",
    "tenant_id",
    "Microsoft Entra tenant (GUID or domain). DEVICE defaults to 'common'; for AZCLI and "
    "PSCRED, unset or 'common' means the tool's own tenant.",
)
ACTIVE_DIRECTORY_ENDPOINT = Variable(
    "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT",
    "aad_endpoint",
    "Microsoft Entra authority host for national clouds, ADFS or Azure Stack "
    "(https only; default https://login.microsoftonline.com).",
)
MSI_CLIENT_ID = Variable(
    "AZCOPY_MSI_CLIENT_ID",
    "identity_client_id",
    "Client ID of a user-assigned managed identity.",
)
MSI_OBJECT_ID = Variable(
    "AZCOPY_MSI_OBJECT_ID",
    "identity_object_id",
    "Object (principal) ID of a user-assigned managed identity.",
)
MSI_RESOURCE_STRING = Variable(
    "AZCOPY_MSI_RESOURCE_STRING",
    "identity_resource_id",
    "Azure resource ID of a user-assigned managed identity.",
)
SPA_APPLICATION_ID = Variable(
    "AZCOPY_SPA_APPLICATION_ID",
    "application_id",
    "Application (client) ID of the service principal's app registration.",
)
SPA_CLIENT_SECRET = Variable(
    "AZCOPY_SPA_CLIENT_SECRET",
    "client_secret",
    "Client secret of the service principal (used when no certificate path is set).",
    secret=True,
)
SPA_CERT_PATH = Variable(
    "AZCOPY_SPA_CERT_PATH",
    "certificate_path",
    "Path to a PEM or PKCS12 (.pfx) file holding the service principal's certificate and "
    "private key; when set, the login uses the certificate.",
)
SPA_CERT_PASSWORD = Variable(
    "AZCOPY_SPA_CERT_PASSWORD",
    "certificate_password",
    "Password of the certificate's private key, if it has one.",
    secret=True,
)
AZURE_CLIENT_ID = Variable(
    "AZURE_CLIENT_ID",
    "application_id",
    "Workload identity: client ID of the app registration or user-assigned identity "
    "federated with the pod's service account.",
)
AZURE_TENANT_ID = Variable(
    "AZURE_TENANT_ID",
    "tenant_id",
    "Workload identity: Microsoft Entra tenant of the federated identity.",
)
AZURE_FEDERATED_TOKEN_FILE = Variable(
    "AZURE_FEDERATED_TOKEN_FILE",
    "federated_token_file",
    "Workload identity: path of the projected service-account token file.",
)
AZURE_AUTHORITY_HOST = Variable(
    "AZURE_AUTHORITY_HOST",
    "aad_endpoint",
    "Workload identity: Microsoft Entra authority host (https only; default "
    "https://login.microsoftonline.com).",
)

STORE_DIR = Variable(
    "AZLOGIN_STORE_DIR",
    "store_dir",
    "Token store: the directory of the encrypted file store (default ~/.azlogin).",
)
STORE_PASSPHRASE = Variable(
    "AZLOGIN_STORE_PASSPHRASE",
    "store_passphrase",
    "Token store: a passphrase to derive the file store's key from (scrypt), where neither an "
    "OS secret store nor the Linux kernel keyring is available.",
    secret=True,
)
STORE_KEY = Variable(
    "AZLOGIN_STORE_KEY",
    "store_key",
    "Token store: a 32-byte key in base64 (for example from a Kubernetes secret) that every "
    "machine sharing a Redis token store holds.",
    secret=True,
)
TOKEN_STORE = Variable(
    "AZLOGIN_TOKEN_STORE",
    "token_store",
    "Token store: 'default' (encrypted, shared by this user's processes), 'memory' (this "
    "process only), 'none', or redis://host:port/db (rediss:// for TLS) to share tokens "
    "across machines.",
)

STORE_VARIABLES: tuple[Variable, ...] = (TOKEN_STORE, STORE_DIR, STORE_PASSPHRASE, STORE_KEY)
"""The variables of the token store, read whatever the login type."""

ADDITIONALLY_ALLOWED_TENANTS = Variable(
    "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
    "additionally_allowed_tenants",
    "Tenants besides the configured one that get_token(tenant_id=...) may ask for, separated "
    "by ';' or ','; '*' allows any (azure-identity's additionally_allowed_tenants).",
)
REQUESTS_CA_BUNDLE = Variable(
    "REQUESTS_CA_BUNDLE",
    "connection_verify",
    "A PEM CA bundle every TLS connection azlogin makes trusts, sync and async alike (the "
    "connection_verify= keyword wins).",
)
CURL_CA_BUNDLE = Variable(
    "CURL_CA_BUNDLE",
    "connection_verify",
    "As REQUESTS_CA_BUNDLE, when that is unset (requests reads it too).",
)
SSL_CERT_FILE = Variable(
    "SSL_CERT_FILE",
    "connection_verify",
    "As REQUESTS_CA_BUNDLE, when neither it nor CURL_CA_BUNDLE is set (OpenSSL reads it too).",
)

CA_BUNDLE_VARIABLES: tuple[Variable, ...] = (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE)
"""Where a private CA bundle comes from when connection_verify= is not given, first set wins:
requests reads the first two and OpenSSL (so aiohttp) the last; azlogin gives the one it
finds to every transport it builds, so sync and async trust the same CA."""

OPTION_VARIABLES: tuple[Variable, ...] = (ADDITIONALLY_ALLOWED_TENANTS, *CA_BUNDLE_VARIABLES)
"""Variables of the credential's options (not login settings), read whatever the login type."""

AZURE_IDENTITY_EQUIVALENTS: tuple[tuple[str, Variable], ...] = (
    ("AZURE_CLIENT_ID", SPA_APPLICATION_ID),
    ("AZURE_CLIENT_SECRET", SPA_CLIENT_SECRET),
    ("AZURE_CLIENT_CERTIFICATE_PATH", SPA_CERT_PATH),
    ("AZURE_CLIENT_CERTIFICATE_PASSWORD", SPA_CERT_PASSWORD),
    ("AZURE_TENANT_ID", TENANT_ID),
)
"""azure-identity's EnvironmentCredential variables (a service principal) and the AZCOPY
variable of azlogin's SPN login each one maps to: the hint when no login is configured."""

VARIABLES: tuple[Variable, ...] = (
    AUTO_LOGIN_TYPE,
    TENANT_ID,
    ACTIVE_DIRECTORY_ENDPOINT,
    MSI_CLIENT_ID,
    MSI_OBJECT_ID,
    MSI_RESOURCE_STRING,
    SPA_APPLICATION_ID,
    SPA_CLIENT_SECRET,
    SPA_CERT_PATH,
    SPA_CERT_PASSWORD,
    AZURE_CLIENT_ID,
    AZURE_TENANT_ID,
    AZURE_FEDERATED_TOKEN_FILE,
    AZURE_AUTHORITY_HOST,
    *STORE_VARIABLES,
    *OPTION_VARIABLES,
)
"""Every variable, in the order ``azlogin env`` and the docs list them."""
