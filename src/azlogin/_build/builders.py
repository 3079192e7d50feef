"""One function per login type that turns its plan into an azure-identity credential, and the
table that maps each login type's name to its builder (:data:`BUILDERS`).

Each builder checks what it needs (a ConfigurationError naming the variable when something
is missing or malformed) and then constructs the credential; none performs network I/O.
The azure-identity module (sync or ``aio``) comes from the flavor, in the context.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from .._config.authority import Authority, parse_tenant
from .._config.login_types import LOGIN_TYPES
from .._config.plan import Plan
from .._config.settings import Settings
from .._errors import ConfigurationError

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["AZCOPY_CLIENT_ID", "BUILDERS", "MSI_ID_SETTINGS", "BuildContext", "Builder"]

AZCOPY_CLIENT_ID = "579a7132-0e58-4d80-b1e1-7a1e2d337859"
"""AzCopy's public client application, used for the device code flow."""

MSI_ID_SETTINGS = ("identity_client_id", "identity_object_id", "identity_resource_id")


class BuildContext(NamedTuple):
    """What a builder needs besides the plan: the azure-identity module of the flavor, and
    the DEVICE login's persisted state when a shared store keeps its MSAL cache."""

    identity: ModuleType
    device_state: Any = None


Builder = Callable[[Plan, BuildContext], Any]


def print_prompt_to_stderr(verification_uri: str, user_code: str, expires_on: datetime) -> None:
    """The default device-code prompt: on stderr, so stdout stays the pipeline's own."""
    print(
        f"To sign in, open {verification_uri} in a browser and enter the code {user_code} "
        f"(it expires at {expires_on:%H:%M:%S}).",
        file=sys.stderr,
        flush=True,
    )


def _authority(plan: Plan) -> Authority:
    assert plan.authority is not None, "the plan chooses an authority for this login type"
    return plan.authority


def _authority_kwargs(authority: Authority) -> dict[str, Any]:
    return {
        "authority": authority.url,
        "disable_instance_discovery": not authority.instance_discovery,
    }


def _tenant(settings: Settings) -> str | None:
    return parse_tenant(
        settings.get("tenant_id"), settings.label("tenant_id"), **settings.where("tenant_id")
    )


def _required_tenant(settings: Settings, meaning: str) -> str:
    tenant = _tenant(settings)
    if tenant is None:
        raise settings.missing("tenant_id", meaning)
    return tenant


def _record_at(record: Any, authority: Authority, identity: ModuleType) -> Any:
    """``record`` with the plan's authority URL in place of the host it saved.

    azure-identity saves the token issuer's bare ``host[:port]`` and, given the record, takes
    its authority from there (the ``authority`` keyword is then refused). It parses that with
    ``urlparse``, which reads a host with a port as a scheme (``localhost:8443`` on every
    Python, ``127.0.0.1:8443`` on 3.9 and 3.10), and refuses it as not https.
    """
    return identity.AuthenticationRecord(
        tenant_id=record.tenant_id,
        client_id=record.client_id,
        authority=authority.url,
        home_account_id=record.home_account_id,
        username=record.username,
    )


def build_device(plan: Plan, context: BuildContext) -> Any:
    authority = _authority(plan)
    authority_kwargs = _authority_kwargs(authority)
    state = context.device_state
    persisted: dict[str, Any] = {}
    if state is not None:
        persisted["_cache"] = state.cache  # azure-identity's hook for a caller-owned MSAL cache
        persisted["disable_automatic_authentication"] = not state.interactive
        if state.record is not None:
            # The record names the account and client; the authority comes with it.
            record = _record_at(state.record, authority, context.identity)
            persisted["authentication_record"] = record
            del authority_kwargs["authority"]
    return context.identity.DeviceCodeCredential(
        client_id=AZCOPY_CLIENT_ID,
        tenant_id=_tenant(plan.settings) or "common",
        prompt_callback=plan.options.prompt_callback or print_prompt_to_stderr,
        **authority_kwargs,
        **plan.options.pipeline_kwargs(),
        **plan.options.tenant_kwargs(),
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
            "and AZCOPY_MSI_RESOURCE_STRING, or none for the system-assigned identity.",
            **settings.where(chosen[1][0]),
        )
    if not chosen:
        return None
    name, value = chosen[0]
    assert value is not None
    return name, value


def build_msi(plan: Plan, context: BuildContext) -> Any:
    selected = managed_identity_id(plan.settings)
    kwargs = plan.options.pipeline_kwargs()
    credential_class = context.identity.ManagedIdentityCredential
    if selected is None:
        return credential_class(**kwargs)
    name, value = selected
    if name == "identity_client_id":
        return credential_class(client_id=value, **kwargs)
    key = "object_id" if name == "identity_object_id" else "resource_id"
    return credential_class(identity_config={key: value}, **kwargs)


def build_spn(plan: Plan, context: BuildContext) -> Any:
    settings, options = plan.settings, plan.options
    application_id = settings.require(
        "application_id", "the application (client) ID of the service principal"
    )
    tenant = _required_tenant(settings, "the tenant ID of the service principal's organization")
    kwargs = {
        **_authority_kwargs(_authority(plan)),
        **options.pipeline_kwargs(),
        **options.tenant_kwargs(),
    }
    certificate_path = settings.get("certificate_path")
    if certificate_path:
        from .certificates import Setting, load_certificate  # only a certificate login reads one

        material = load_certificate(
            certificate_path,
            settings.get("certificate_password"),
            file=Setting(settings.label("certificate_path"), settings.where("certificate_path")),
            secret=Setting(
                settings.variable("certificate_password").name,
                settings.where("certificate_password"),
            ),
        )
        return context.identity.CertificateCredential(
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
            "set AZCOPY_SPA_CERT_PATH (and AZCOPY_SPA_CERT_PASSWORD if the key has a password).",
            **settings.where("client_secret"),
        )
    return context.identity.ClientSecretCredential(tenant, application_id, secret, **kwargs)


def _tool_tenant(settings: Settings) -> str:
    """For AZCLI and PSCRED, unset or ``common`` means the tool's own tenant (empty string)."""
    tenant = _tenant(settings)
    return "" if tenant is None or tenant.lower() == "common" else tenant


def build_azcli(plan: Plan, context: BuildContext) -> Any:
    return context.identity.AzureCliCredential(
        tenant_id=_tool_tenant(plan.settings),
        **plan.options.process_kwargs(),
        **plan.options.tenant_kwargs(),
    )


def build_pscred(plan: Plan, context: BuildContext) -> Any:
    return context.identity.AzurePowerShellCredential(
        tenant_id=_tool_tenant(plan.settings),
        **plan.options.process_kwargs(),
        **plan.options.tenant_kwargs(),
    )


def build_workload(plan: Plan, context: BuildContext) -> Any:
    settings = plan.settings
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
            "check the pod's service-account token projection (azure.workload.identity/use).",
            **settings.where("federated_token_file"),
        )
    return context.identity.WorkloadIdentityCredential(
        tenant_id=tenant,
        client_id=client_id,
        token_file_path=token_file,
        authority=_authority(plan).url,
        **plan.options.pipeline_kwargs(),
        **plan.options.tenant_kwargs(),
    )


BUILDERS: Mapping[str, Builder] = {
    "DEVICE": build_device,
    "MSI": build_msi,
    "SPN": build_spn,
    "AZCLI": build_azcli,
    "PSCRED": build_pscred,
    "WORKLOAD": build_workload,
}
"""Each login type's builder, by name: one entry per row of the login-type table."""

if set(BUILDERS) != {login_type.name for login_type in LOGIN_TYPES}:  # pragma: no cover
    raise RuntimeError("every login type in LOGIN_TYPES needs exactly one builder in BUILDERS")
