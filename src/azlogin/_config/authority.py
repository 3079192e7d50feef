"""Microsoft Entra authority hosts: parsing the endpoint setting, and knowing Microsoft's own.

Pure functions: no I/O.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlsplit

from .._errors import ConfigurationError
from .clouds import DEFAULT_AUTHORITY, KNOWN_AUTHORITY_HOSTS

__all__ = [
    "DEFAULT_AUTHORITY",
    "KNOWN_AUTHORITY_HOSTS",
    "Authority",
    "parse_authority",
    "parse_tenant",
]

_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")


class Authority(NamedTuple):
    """A validated authority: ``url`` is ``https://host[:port]`` with no path."""

    url: str
    host: str

    @property
    def is_known_microsoft_host(self) -> bool:
        return self.host in KNOWN_AUTHORITY_HOSTS

    @property
    def instance_discovery(self) -> bool:
        """Whether azure-identity may run instance discovery against this host."""
        return self.is_known_microsoft_host


def parse_authority(value: str | None, label: str, **where: str | None) -> Authority:
    """Validate an authority setting; ``label`` names it in error messages.

    Accepts ``https://host[:port]`` with an optional trailing slash. A bare host name
    is read as https. Anything else (another scheme, a path, a query, credentials in
    the URL) is refused with a message that says what to write instead. ``where`` holds the
    error's ``variable`` and ``keyword`` fields.
    """
    raw = (value or "").strip()
    if not raw:
        return Authority(DEFAULT_AUTHORITY, "login.microsoftonline.com")
    candidate = raw if "://" in raw else f"https://{raw}"
    example = "for example https://login.microsoftonline.us"
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        raise ConfigurationError(
            f"{label} is not a valid URL; give the authority host, {example}.", **where
        ) from None
    if parts.scheme.lower() != "https":
        raise ConfigurationError(
            f"{label} must use https (got {parts.scheme!r}); tokens are never requested "
            f"over plain http. Set it to an https URL, {example}.",
            **where,
        )
    if not host or parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"{label} must be https://host with a host name and no user info, {example}.", **where
        )
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{label} must be the authority host only, with no path, query or fragment, "
            f"{example}; put the tenant in AZCOPY_TENANT_ID.",
            **where,
        )
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return Authority(f"https://{netloc}", host)


def parse_tenant(value: str | None, label: str, **where: str | None) -> str | None:
    """Validate a tenant ID or domain; None when unset or blank."""
    tenant = (value or "").strip()
    if not tenant:
        return None
    if not _TENANT.match(tenant):
        raise ConfigurationError(
            f"{label} must be a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com, "
            "made of letters, digits, '.' and '-'.",
            **where,
        )
    return tenant
