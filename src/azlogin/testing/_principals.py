"""The principals an Entra emulator registers, and the credentials of its service principal.

Every emulator has one tenant, one service principal (an app registration with a client
secret, and any certificates and federated tokens it is given), a subscription, a
system-assigned and one user-assigned managed identity, and a user who signs in with the
device code flow. Their identifiers are new for every emulator.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable

from . import _jwt
from ._certificates import Certificate, new_certificate, write_private_file
from ._managed_identity import Identity

__all__ = [
    "AZURE_CLI_CLIENT_ID",
    "AZURE_POWERSHELL_CLIENT_ID",
    "DEFAULT_TENANT_ID",
    "USERNAME",
    "Principals",
    "federated_token",
]

DEFAULT_TENANT_ID = "4f1e2d3c-5b6a-4798-8a1b-a21c0be1e7a0"
"""The tenant an emulator registers its principals in unless told otherwise (not a real one)."""
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
"""The application id Azure CLI signs in with (the ``appid`` of its tokens)."""
AZURE_POWERSHELL_CLIENT_ID = "1950a258-227b-4e31-a9cf-717495945fc2"
"""The application id Azure PowerShell signs in with (the ``appid`` of its tokens)."""
USERNAME = "user@azlogin.test"
"""The user who signs in with the device code flow (and behind the ``az``/``pwsh``
stand-ins)."""

# A Kubernetes service account token, as the pod's projected token file holds it.
_FEDERATED_ISSUER = "https://kubernetes.default.svc"
_FEDERATED_SUBJECT = "system:serviceaccount:default:azlogin"
_FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
_FEDERATED_LIFETIME = 3600


class Principals:
    """The identities of one emulator. Plain attributes: a test may change one (say
    ``client_secret``) and the next request sees the change."""

    def __init__(self, tenant_id: str, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._credentials_lock = threading.Lock()
        self._certificates: list[Certificate] = []
        self._federated_tokens: set[str] = set()
        self.tenant_id = tenant_id
        """The home tenant of every principal."""
        self.client_id = str(uuid.uuid4())
        """The service principal's application (client) id."""
        self.client_secret = secrets.token_urlsafe(24)
        """The service principal's client secret."""
        self.sp_object_id = str(uuid.uuid4())
        """The service principal's object id (``oid`` of its tokens)."""
        self.subscription_id = str(uuid.uuid4())
        """The subscription the ``az`` stand-in and the Resource Manager routes report."""
        self.system_identity_client_id = str(uuid.uuid4())
        """The system-assigned managed identity (used when a request names none): client id."""
        self.system_identity_object_id = str(uuid.uuid4())
        """The system-assigned managed identity's object id."""
        self.msi_client_id = str(uuid.uuid4())
        """The user-assigned managed identity's client id."""
        self.msi_object_id = str(uuid.uuid4())
        """The user-assigned managed identity's object id."""
        self.msi_resource_id = (
            f"/subscriptions/{self.subscription_id}/resourcegroups/rg/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/azlogin-test"
        )
        """The user-assigned managed identity's Azure resource id."""
        self.user_object_id = str(uuid.uuid4())
        """The object id of the user of the device code flow and the stand-ins."""
        self.username = USERNAME
        """That user's name (``upn`` of their tokens)."""
        self.identity_header = secrets.token_urlsafe(24)
        """The secret App Service hands its apps in ``IDENTITY_HEADER``."""

    @property
    def identities(self) -> tuple[Identity, Identity]:
        """The managed identities: the system-assigned one first, then the user-assigned one."""
        return (
            Identity(self.system_identity_client_id, self.system_identity_object_id, None),
            Identity(self.msi_client_id, self.msi_object_id, self.msi_resource_id),
        )

    def write_certificate(
        self,
        path: str | os.PathLike[str],
        *,
        fmt: str = "pem",
        password: str | None = None,
        include_key: bool = True,
    ) -> str:
        """Create a certificate credential of :attr:`client_id` and write it to ``path``.

        Generates an RSA 2048 key and a self-signed certificate and registers the
        certificate. ``fmt="pem"`` writes the certificate then the PKCS#8 key
        (encrypted when ``password`` is given); ``fmt="pkcs12"`` writes a PKCS#12
        file protected by ``password``. ``include_key=False`` leaves the key out.

        Returns:
            ``str(path)``.

        Raises:
            ValueError: unknown ``fmt``, or a password for a key-less PEM file.
        """
        name = f"azlogin-emulator-{self.client_id}"
        certificate, data = new_certificate(
            name, fmt=fmt, password=password, include_key=include_key
        )
        with self._credentials_lock:
            self._certificates.append(certificate)
        write_private_file(path, data)
        return str(path)

    def write_federated_token(self, path: str | os.PathLike[str]) -> str:
        """Write a Kubernetes-style service account token that :attr:`client_id` trusts.

        Returns:
            ``str(path)``, for ``AZURE_FEDERATED_TOKEN_FILE``.
        """
        token = federated_token(int(self._clock()))
        with self._credentials_lock:
            self._federated_tokens.add(token)
        write_private_file(path, token.encode("ascii"))
        return str(path)

    def registered_certificates(self) -> list[Certificate]:
        """The certificates :meth:`write_certificate` registered, oldest first."""
        with self._credentials_lock:
            return list(self._certificates)

    def trusts_federated_token(self, token: str) -> bool:
        """Whether ``token`` is one :meth:`write_federated_token` wrote."""
        with self._credentials_lock:
            return token in self._federated_tokens


def federated_token(now: int) -> str:
    """A Kubernetes-style service account token, issued at ``now``, for workload identity."""
    claims = {
        "aud": _FEDERATED_AUDIENCE,
        "iss": _FEDERATED_ISSUER,
        "sub": _FEDERATED_SUBJECT,
        "iat": now,
        "nbf": now,
        "exp": now + _FEDERATED_LIFETIME,
        "jti": str(uuid.uuid4()),
    }
    return _jwt.encode_unsigned({"alg": "RS256", "typ": "JWT", "kid": "azlogin-k8s"}, claims)
