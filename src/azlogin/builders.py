"""One function per login type that turns its settings into an azure-identity credential.

Each builder checks what it needs (a ConfigurationError naming the variable when something
is missing or malformed) and then constructs the credential; none performs network I/O.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from types import ModuleType
from typing import Any

from azure.identity import DeviceCodeCredential

from .authority import Authority, parse_authority, parse_tenant
from .certificates import load_certificate
from .errors import ConfigurationError
from .settings import Settings
from .threaded import ThreadedAsyncCredential

__all__ = [
    "AZCOPY_CLIENT_ID",
    "MSI_ID_SETTINGS",
    "BuildOptions",
    "PromptCallback",
    "build_azcli",
    "build_device",
    "build_msi",
    "build_pscred",
    "build_spn",
    "build_workload",
]

AZCOPY_CLIENT_ID = "579a7132-0e58-4d80-b1e1-7a1e2d337859"
"""AzCopy's public client application, used for the device code flow."""

PromptCallback = Callable[[str, str, datetime], None]
"""``(verification_uri, user_code, expires_on)``, as azure-identity's ``prompt_callback``."""

MSI_ID_SETTINGS = ("identity_client_id", "identity_object_id", "identity_resource_id")


@dataclass(frozen=True)
class BuildOptions:
    """The library's own keywords of get_credential (not login settings)."""

    prompt_callback: PromptCallback | None = None
    connection_verify: bool | str | None = None
    transport: Any = None  # an azure-core HttpTransport, or AsyncHttpTransport when asynchronous
    process_timeout: int | None = None
    asynchronous: bool = False
    device_state: Any = None  # a persistence.device.DeviceLoginState, for DEVICE with a store

    @property
    def identity(self) -> ModuleType:
        """``azure.identity``, or ``azure.identity.aio`` for an asynchronous credential."""
        return importlib.import_module(
            "azure.identity.aio" if self.asynchronous else "azure.identity"
        )

    def pipeline_kwargs(self) -> dict[str, Any]:
        """Keywords every azure-identity credential that makes HTTP requests accepts."""
        kwargs: dict[str, Any] = {}
        if self.connection_verify is not None:
            kwargs["connection_verify"] = self.connection_verify
        if self.transport is not None:
            kwargs["transport"] = self.transport
        return kwargs

    def process_kwargs(self) -> dict[str, Any]:
        """Keywords of the credentials that run a command-line tool."""
        return {} if self.process_timeout is None else {"process_timeout": self.process_timeout}


def print_prompt_to_stderr(verification_uri: str, user_code: str, expires_on: datetime) -> None:
    """The default device-code prompt: on stderr, so stdout stays the pipeline's own."""
    print(
        f"To sign in, open {verification_uri} in a browser and enter the code {user_code} "
        f"(it expires at {expires_on:%H:%M:%S}).",
        file=sys.stderr,
        flush=True,
    )


def _authority(settings: Settings) -> Authority:
    return parse_authority(settings.get("aad_endpoint"), settings.label("aad_endpoint"))


def _authority_kwargs(authority: Authority) -> dict[str, Any]:
    return {
        "authority": authority.url,
        "disable_instance_discovery": not authority.instance_discovery,
    }


def _tenant(settings: Settings) -> str | None:
    return parse_tenant(settings.get("tenant_id"), settings.label("tenant_id"))


def _required_tenant(settings: Settings, meaning: str) -> str:
    tenant = _tenant(settings)
    if tenant is None:
        raise settings.missing("tenant_id", meaning)
    return tenant


def build_device(settings: Settings, options: BuildOptions) -> Any:
    authority = _authority(settings)
    if options.asynchronous:
        # azure-identity has no asyncio device-code credential: run the sync one in a thread.
        sync_options = replace(options, asynchronous=False, transport=None)
        return ThreadedAsyncCredential(build_device(settings, sync_options))
    state = options.device_state
    authority_kwargs = _authority_kwargs(authority)
    persisted: dict[str, Any] = {}
    if state is not None:
        persisted["_cache"] = state.cache  # azure-identity's hook for a caller-owned MSAL cache
        persisted["disable_automatic_authentication"] = not state.interactive
        if state.record is not None:
            # The record names the account, client and authority it was made with.
            persisted["authentication_record"] = state.record
            del authority_kwargs["authority"]
    return DeviceCodeCredential(
        client_id=AZCOPY_CLIENT_ID,
        tenant_id=_tenant(settings) or "common",
        prompt_callback=options.prompt_callback or print_prompt_to_stderr,
        **authority_kwargs,
        **options.pipeline_kwargs(),
        **persisted,
    )


def managed_identity_id(settings: Settings) -> tuple[str, str] | None:
    """The one user-assigned identity selector, as ``(setting, value)``; None if system-assigned.

    Several settings with one value name one identity; several distinct values are an error.
    """
    chosen = [(name, settings.get(name)) for name in MSI_ID_SETTINGS if settings.get(name)]
    if len({value for _, value in chosen}) > 1:
        names = ", ".join(settings.label(name) for name, _ in chosen)
        raise ConfigurationError(
            f"MSI login takes at most one user-assigned identity, but {names} are set to "
            "different values; keep exactly one of AZCOPY_MSI_CLIENT_ID, AZCOPY_MSI_OBJECT_ID "
            "and AZCOPY_MSI_RESOURCE_STRING, or none for the system-assigned identity."
        )
    if not chosen:
        return None
    name, value = chosen[0]
    assert value is not None
    return name, value


def build_msi(settings: Settings, options: BuildOptions) -> Any:
    selected = managed_identity_id(settings)
    kwargs = options.pipeline_kwargs()
    credential_class = options.identity.ManagedIdentityCredential
    if selected is None:
        return credential_class(**kwargs)
    name, value = selected
    if name == "identity_client_id":
        return credential_class(client_id=value, **kwargs)
    key = "object_id" if name == "identity_object_id" else "resource_id"
    return credential_class(identity_config={key: value}, **kwargs)


def build_spn(settings: Settings, options: BuildOptions) -> Any:
    application_id = settings.require(
        "application_id", "the application (client) ID of the service principal"
    )
    tenant = _required_tenant(settings, "the tenant ID of the service principal's organization")
    authority = _authority(settings)
    kwargs = {**_authority_kwargs(authority), **options.pipeline_kwargs()}
    certificate_path = settings.get("certificate_path")
    if certificate_path:
        material = load_certificate(
            certificate_path,
            settings.get("certificate_password"),
            path_label=settings.label("certificate_path"),
            password_label=settings.variable("certificate_password").name,
        )
        return options.identity.CertificateCredential(
            tenant,
            application_id,
            certificate_data=material.data,
            password=material.password,
            **kwargs,
        )
    secret = settings.get("client_secret")
    if secret is None:
        raise ConfigurationError(
            "SPN login needs a client secret or a certificate: set AZCOPY_SPA_CLIENT_SECRET, or "
            "set AZCOPY_SPA_CERT_PATH (and AZCOPY_SPA_CERT_PASSWORD if the key has a password)."
        )
    return options.identity.ClientSecretCredential(tenant, application_id, secret, **kwargs)


def _tool_tenant(settings: Settings) -> str:
    """For AZCLI and PSCRED, unset or ``common`` means the tool's own tenant (empty string)."""
    tenant = _tenant(settings)
    return "" if tenant is None or tenant.lower() == "common" else tenant


def build_azcli(settings: Settings, options: BuildOptions) -> Any:
    return options.identity.AzureCliCredential(
        tenant_id=_tool_tenant(settings), **options.process_kwargs()
    )


def build_pscred(settings: Settings, options: BuildOptions) -> Any:
    return options.identity.AzurePowerShellCredential(
        tenant_id=_tool_tenant(settings), **options.process_kwargs()
    )


def build_workload(settings: Settings, options: BuildOptions) -> Any:
    client_id = settings.require(
        "application_id", "the client ID federated with the pod's service account"
    )
    tenant = _required_tenant(settings, "the tenant of the federated identity")
    token_file = settings.require(
        "federated_token_file", "the path of the projected service-account token"
    )
    if not os.access(token_file, os.R_OK):
        label = settings.label("federated_token_file")
        raise ConfigurationError(
            f"{label} points to {token_file!r}, which does not exist or cannot be read; "
            "check the pod's service-account token projection (azure.workload.identity/use)."
        )
    authority = _authority(settings)
    return options.identity.WorkloadIdentityCredential(
        tenant_id=tenant,
        client_id=client_id,
        token_file_path=token_file,
        authority=authority.url,
        **options.pipeline_kwargs(),
    )
