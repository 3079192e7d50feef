"""The cloud table: every per-cloud fact in one place. Pure.

A row holds a cloud's Microsoft Entra authority, the host suffixes of its storage accounts,
and the authority hosts Microsoft's instance discovery knows for it. The default trusted
suffixes (AzCopy's ``--trusted-microsoft-suffixes`` default), the known authority hosts and
the storage-host-to-authority rule are all derived from it: adding a cloud is one row.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CLOUDS",
    "DEFAULT_AUTHORITY",
    "DEFAULT_TRUSTED_SUFFIXES",
    "KNOWN_AUTHORITY_HOSTS",
    "Cloud",
    "authority_for_storage_host",
    "cloud_of_storage_host",
]


class Cloud(NamedTuple):
    """One Azure cloud."""

    name: str
    authority: str
    """Its Microsoft Entra authority, ``https://host``."""
    storage_suffixes: tuple[str, ...]
    """Host suffixes of its storage endpoints; the first is the cloud's main one."""
    authority_hosts: tuple[str, ...]
    """Authority hosts Microsoft's instance discovery knows (the authority's host first)."""

    @property
    def trusted_suffixes(self) -> tuple[str, ...]:
        return tuple(f"*.{suffix}" for suffix in self.storage_suffixes)


CLOUDS: tuple[Cloud, ...] = (
    Cloud(
        "Azure public cloud",
        "https://login.microsoftonline.com",
        ("core.windows.net", "storage.azure.net"),
        (
            "login.microsoftonline.com",
            "login.microsoft.com",
            "login.windows.net",
            "sts.windows.net",
        ),
    ),
    Cloud(
        "Azure China",
        "https://login.chinacloudapi.cn",
        ("core.chinacloudapi.cn",),
        ("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"),
    ),
    Cloud(
        "Azure Germany (retired)",
        "https://login.microsoftonline.de",
        ("core.cloudapi.de",),
        ("login.microsoftonline.de",),
    ),
    Cloud(
        "Azure US Government",
        "https://login.microsoftonline.us",
        ("core.usgovcloudapi.net",),
        ("login.microsoftonline.us", "login.usgovcloudapi.net"),
    ),
)
"""The public cloud first: a host no row claims belongs to it."""

DEFAULT_AUTHORITY = CLOUDS[0].authority

DEFAULT_TRUSTED_SUFFIXES: tuple[str, ...] = tuple(
    cloud.trusted_suffixes[0] for cloud in CLOUDS
) + tuple(suffix for cloud in CLOUDS for suffix in cloud.trusted_suffixes[1:])
"""AzCopy's default ``--trusted-microsoft-suffixes``: each cloud's main storage suffix, in
table order, then the others (AzCopy's own order)."""

KNOWN_AUTHORITY_HOSTS = frozenset(host for cloud in CLOUDS for host in cloud.authority_hosts)
"""Hosts for which MSAL's instance discovery works. Any other authority host (ADFS, Azure
Stack, a private cloud, a local emulator) has no entry in Microsoft's discovery endpoint, so
azure-identity must be told to skip discovery for it."""


def cloud_of_storage_host(host: str) -> Cloud:
    """The cloud a (normalized) storage host belongs to; the public cloud for any other."""
    for cloud in CLOUDS:
        if any(host == suffix or host.endswith("." + suffix) for suffix in cloud.storage_suffixes):
            return cloud
    return CLOUDS[0]


def authority_for_storage_host(host: str) -> str:
    """The authority of the cloud a (normalized) storage host belongs to."""
    return cloud_of_storage_host(host).authority
