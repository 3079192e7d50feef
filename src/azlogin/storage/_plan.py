"""What every storage helper decides before it builds a client. Pure apart from get_credential.

Shared by the sync helpers and their asyncio twins.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..authority import DEFAULT_AUTHORITY
from ..clouds import authority_for_storage_host
from ..credential import AsyncCredential, Credential
from ..guard import AsyncGuardedTransport, GuardedTransport
from ..resolve import (
    ENGINE_KEYWORDS,
    OPTION_KEYWORDS,
    OVERRIDE_KEYWORDS,
    get_async_credential,
    get_credential,
    resolve_settings,
)
from ..trust import TrustedSuffixes

__all__ = ["ClientPlan", "build_client", "plan_client"]

Client = TypeVar("Client")

# Keywords for the transport that the guard wraps (azure-core's RequestsTransport / AioHttp).
TRANSPORT_KEYWORDS = ("connection_verify", "connection_cert", "connection_timeout", "read_timeout")
# get_credential's keywords; "transport" belongs to the storage client, "connection_verify" to both.
CREDENTIAL_KEYWORDS = tuple(
    name for name in OVERRIDE_KEYWORDS + OPTION_KEYWORDS + ENGINE_KEYWORDS if name != "transport"
)


@dataclass(frozen=True)
class ClientPlan:
    """The checked URL, its trust list, the credential keywords and the SDK client's keywords."""

    url: str
    trusted: TrustedSuffixes
    credential: Any
    client_kwargs: dict[str, Any]
    transport_kwargs: dict[str, Any]
    transport: Any


def build_client(
    factory: Callable[..., Client],
    url: str,
    env: Mapping[str, str] | None,
    credential: Any,
    kwargs: Mapping[str, Any],
    *,
    asynchronous: bool = False,
) -> Client:
    """``factory(url, credential=..., transport=<guarded>, **other keywords)``."""
    plan = plan_client(url, os.environ if env is None else env, credential, kwargs, asynchronous)
    guard = AsyncGuardedTransport if asynchronous else GuardedTransport
    extra = {} if plan.transport else plan.transport_kwargs
    transport = guard(plan.transport, trusted_suffixes=plan.trusted, **extra)
    return factory(plan.url, credential=plan.credential, transport=transport, **plan.client_kwargs)


def plan_client(
    url: str,
    env: Mapping[str, str],
    credential: Any,
    kwargs: Mapping[str, Any],
    asynchronous: bool = False,
) -> ClientPlan:
    """Validate ``url`` against the trust list (before any I/O) and sort the keywords."""
    client_kwargs = dict(kwargs)
    credential_kwargs = {
        name: client_kwargs.pop(name)
        for name in CREDENTIAL_KEYWORDS
        if name in client_kwargs and name != "connection_verify"
    }
    if "connection_verify" in client_kwargs:
        credential_kwargs["connection_verify"] = client_kwargs["connection_verify"]
    transport_kwargs = {
        name: client_kwargs[name] for name in TRANSPORT_KEYWORDS if name in client_kwargs
    }
    transport = client_kwargs.pop("transport", None)
    trusted = _trust_list(credential, credential_kwargs.get("trusted_microsoft_suffixes"))
    host = trusted.check(url)
    if credential is None:
        credential_kwargs.update(_cloud_authority(env, credential_kwargs, host))
        make = get_async_credential if asynchronous else get_credential
        credential = make(env, **credential_kwargs)
    return ClientPlan(url, trusted, credential, client_kwargs, transport_kwargs, transport)


def _trust_list(credential: Any, extra: Any) -> TrustedSuffixes:
    if extra is not None:
        return TrustedSuffixes(extra=extra)
    if isinstance(credential, (Credential, AsyncCredential)):
        return credential.trusted_suffixes
    return TrustedSuffixes()


def _cloud_authority(
    env: Mapping[str, str], credential_kwargs: Mapping[str, Any], host: str
) -> dict[str, str]:
    """The storage host's cloud authority, when the login type has an unset authority."""
    if credential_kwargs.get("aad_endpoint") is not None:
        return {}
    overrides = {name: value for name, value in credential_kwargs.items() if isinstance(value, str)}
    settings, login_type = resolve_settings(env, overrides)
    reads_authority = any(v.setting == "aad_endpoint" for v in login_type.variables)
    if not reads_authority or settings.get("aad_endpoint") is not None:
        return {}
    authority = authority_for_storage_host(host)
    return {} if authority == DEFAULT_AUTHORITY else {"aad_endpoint": authority}
