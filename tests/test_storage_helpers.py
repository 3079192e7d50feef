"""azlogin.storage decisions that need no server: URL checks, keywords, the cloud's authority."""

from __future__ import annotations

import pytest

import azlogin
from azlogin import GuardedTransport, storage
from azlogin._config.clouds import authority_for_storage_host
from azlogin.testing import FakeCredential
from tests.support import SECRET

SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "app",
    "AZCOPY_SPA_CLIENT_SECRET": SECRET,
    "AZCOPY_TENANT_ID": "tenant",
}


@pytest.mark.parametrize(
    ("host", "authority"),
    [
        ("acct.blob.core.windows.net", "https://login.microsoftonline.com"),
        ("acct.blob.core.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
        ("acct.dfs.core.usgovcloudapi.net", "https://login.microsoftonline.us"),
        ("acct.blob.core.cloudapi.de", "https://login.microsoftonline.de"),
        ("acct.z1.blob.storage.azure.net", "https://login.microsoftonline.com"),
        ("evilcore.chinacloudapi.cn", "https://login.microsoftonline.com"),
    ],
)
def test_cloud_authority_table(host: str, authority: str) -> None:
    assert authority_for_storage_host(host) == authority


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("https://a.blob.core.chinacloudapi.cn", SPN, "https://login.chinacloudapi.cn"),
        ("https://a.blob.core.usgovcloudapi.net/", SPN, "https://login.microsoftonline.us"),
        (
            "https://a.blob.core.chinacloudapi.cn",
            {**SPN, "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": "https://login.partner.microsoftonline.cn"},
            "https://login.partner.microsoftonline.cn",
        ),
        ("https://a.blob.core.windows.net", SPN, None),
    ],
)
def test_the_storage_host_picks_the_authority_when_none_is_set(
    url: str, env: dict[str, str], expected: str | None
) -> None:
    client = storage.blob_service_client(url, env=env)
    assert isinstance(client.credential, azlogin.Credential)
    assert client.credential.details.get("aad_endpoint") == expected


def test_an_explicit_authority_keyword_wins() -> None:
    client = storage.blob_service_client(
        "https://a.blob.core.chinacloudapi.cn", env=SPN, aad_endpoint="https://adfs.contoso.test"
    )
    assert client.credential.details["aad_endpoint"] == "https://adfs.contoso.test"


def test_login_types_without_an_authority_are_left_alone() -> None:
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "MSI"}
    client = storage.blob_service_client("https://a.blob.core.chinacloudapi.cn", env=env)
    assert client.credential.details == {}


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://a.blob.core.windows.net.evil.test", "a.blob.core.windows.net.evil.test"),
        ("http://a.blob.core.windows.net", "https"),
        ("https://a.blob.core.windows.net:notaport", "not a valid URL"),
        ("https://x.core.windows.net@evil.test/", "user info"),
    ],
)
def test_bad_urls_are_refused_before_anything_else(url: str, fragment: str) -> None:
    credential = FakeCredential()
    with pytest.raises(azlogin.UntrustedDestinationError, match=fragment):
        storage.blob_service_client(url, credential=credential)
    assert credential.requests == []


def test_bad_suffix_entries_are_configuration_errors() -> None:
    with pytest.raises(azlogin.ConfigurationError, match="empty"):
        storage.container_client(
            "https://a.blob.core.windows.net/c", env=SPN, trusted_microsoft_suffixes="a.test;"
        )


def test_every_helper_wires_the_guard_and_passes_other_keywords_through() -> None:
    credential = FakeCredential()
    clients = [
        storage.blob_service_client("https://a.blob.core.windows.net", credential=credential),
        storage.container_client("https://a.blob.core.windows.net/c", credential=credential),
        storage.blob_client("https://a.blob.core.windows.net/c/b", credential=credential),
        storage.datalake_service_client("https://a.dfs.core.windows.net", credential=credential),
        storage.share_service_client("https://a.file.core.windows.net", credential=credential),
    ]
    for client in clients:
        transport = client._pipeline._transport  # the SDK keeps it here
        assert isinstance(transport, GuardedTransport), type(client).__name__
    custom = storage.blob_service_client(
        "https://a.blob.core.windows.net", credential=credential, max_single_put_size=1234
    )
    assert custom._config.max_single_put_size == 1234


def test_the_credentials_trust_list_is_used_when_none_is_given() -> None:
    credential = azlogin.get_credential(SPN, trusted_microsoft_suffixes="*.contoso.test")
    client = storage.blob_service_client("https://acct.contoso.test", credential=credential)
    assert client.url.startswith("https://acct.contoso.test")


def test_other_sdk_credentials_pass_through_and_keep_the_guard() -> None:
    from azure.core.credentials import AzureNamedKeyCredential

    key = AzureNamedKeyCredential("acct", "a2V5")
    client = storage.blob_service_client("https://acct.blob.core.windows.net", credential=key)
    assert client.credential.account_name == "acct"
    assert isinstance(client._pipeline._transport, GuardedTransport)
