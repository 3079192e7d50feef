"""Which Microsoft Entra authority serves which storage cloud. Pure."""

from __future__ import annotations

from .authority import DEFAULT_AUTHORITY

__all__ = ["CLOUD_AUTHORITIES", "authority_for_storage_host"]

CLOUD_AUTHORITIES: tuple[tuple[str, str, str], ...] = (
    ("Azure China", "core.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ("Azure US Government", "core.usgovcloudapi.net", "https://login.microsoftonline.us"),
    ("Azure Germany (retired)", "core.cloudapi.de", "https://login.microsoftonline.de"),
)
"""(cloud, storage host suffix, authority). Every other host is the public cloud's."""


def authority_for_storage_host(host: str) -> str:
    """The authority of the cloud a (normalized) storage host belongs to."""
    for _, suffix, authority in CLOUD_AUTHORITIES:
        if host == suffix or host.endswith("." + suffix):
            return authority
    return DEFAULT_AUTHORITY
