"""Parsing the authority setting and deciding on instance discovery."""

from __future__ import annotations

import pytest

from azlogin import ConfigurationError
from azlogin._config.authority import DEFAULT_AUTHORITY, parse_authority, parse_tenant


@pytest.mark.parametrize(
    ("value", "url", "discovery"),
    [
        (None, DEFAULT_AUTHORITY, True),
        ("", DEFAULT_AUTHORITY, True),
        ("https://login.microsoftonline.com/", DEFAULT_AUTHORITY, True),
        ("HTTPS://Login.MicrosoftOnline.US", "https://login.microsoftonline.us", True),
        ("login.chinacloudapi.cn", "https://login.chinacloudapi.cn", True),
        ("https://adfs.contoso.test", "https://adfs.contoso.test", False),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443", False),
        ("https://[::1]:8443/", "https://[::1]:8443", False),
        ("https://login.microsoftonline.com.", DEFAULT_AUTHORITY, True),
    ],
)
def test_authority(value: str | None, url: str, discovery: bool) -> None:
    authority = parse_authority(value, "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT")
    assert authority.url == url
    assert authority.instance_discovery is discovery


@pytest.mark.parametrize(
    "value",
    [
        "http://login.microsoftonline.com",
        "https://",
        "https://login.microsoftonline.com/common",
        "https://login.test?x=1",
        "https://login.test#frag",
        "https://u@login.test",
        "https://login.test:0x50",
    ],
)
def test_bad_authority_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigurationError, match="AZURE_AUTHORITY_HOST"):
        parse_authority(value, "AZURE_AUTHORITY_HOST")


def test_tenant() -> None:
    assert parse_tenant("  contoso.onmicrosoft.com ", "T") == "contoso.onmicrosoft.com"
    assert parse_tenant("", "T") is None
    for bad in ("a/b", "../x", "a b", "-x"):
        with pytest.raises(ConfigurationError, match="T must be"):
            parse_tenant(bad, "T")
