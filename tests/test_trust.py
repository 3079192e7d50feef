"""Trusted Microsoft suffixes: label-boundary matching, and entries that must not widen trust."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azlogin import (
    DEFAULT_TRUSTED_SUFFIXES,
    ConfigurationError,
    TrustedSuffixes,
    UntrustedDestinationError,
)

DEFAULT = TrustedSuffixes()

TRUSTED = [
    "acct.blob.core.windows.net",
    "ACCT.BLOB.CORE.WINDOWS.NET",
    "acct.blob.core.windows.net.",
    "acct.blob.core.windows.net:443",
    "acct.dfs.core.windows.net:8443",  # AzCopy issue #2792: a port must not break the match
    "https://acct.blob.core.windows.net/container/blob?sv=1",
    "https://acct.blob.core.windows.net:443/",
    "acct.file.core.chinacloudapi.cn",
    "acct.blob.core.usgovcloudapi.net",
    "acct.blob.core.cloudapi.de",
    "acct.z1.blob.storage.azure.net",
]

UNTRUSTED = [
    "core.windows.net",  # "*.x" trusts strict subdomains only
    "evilcore.windows.net",
    "acct.blob.evilcore.windows.net",
    "core.windows.net.evil.test",
    "acct.blob.core.windows.net.evil.test",
    "acct.blob.core.windows.nett",
    "acct-blob-core.windows.net",
    "acct.blob.core.windows.net@evil.test",
    "https://acct.blob.core.windows.net@evil.test/",
    "https://user:pw@acct.blob.core.windows.net/",
    "http://acct.blob.core.windows.net/",
    "ftp://acct.blob.core.windows.net/",
    "acct.blob.core.windows.net/path",
    "127.0.0.1",
    "[::1]:443",
    "",
    "   ",
    "acct..core.windows.net",
    "acct_.blob.core.windows.net",
    "xn--.core.windows.net",
    "acct.blob.core.windows\u2024net",  # one-dot leader lookalike
]


@pytest.mark.parametrize("host", TRUSTED)
def test_trusted(host: str) -> None:
    assert DEFAULT.is_trusted(host)


@pytest.mark.parametrize("host", UNTRUSTED)
def test_untrusted_lookalikes(host: str) -> None:
    assert not DEFAULT.is_trusted(host)


def test_defaults_are_azcopys_list() -> None:
    assert ";".join(DEFAULT_TRUSTED_SUFFIXES) == (
        "*.core.windows.net;*.core.chinacloudapi.cn;*.core.cloudapi.de;"
        "*.core.usgovcloudapi.net;*.storage.azure.net"
    )


def test_extra_entries_from_a_flag_string_or_an_iterable() -> None:
    for extra in ("*.contoso.test;127.0.0.1", ["*.contoso.test", "127.0.0.1"]):
        suffixes = TrustedSuffixes(extra=extra)
        assert suffixes.is_trusted("a.contoso.test")
        assert not suffixes.is_trusted("contoso.test")
        assert suffixes.is_trusted("https://127.0.0.1:10000/devstoreaccount1")
        assert not suffixes.is_trusted("127.0.0.2")
        assert suffixes.is_trusted("acct.blob.core.windows.net")


def test_an_exact_entry_trusts_the_host_and_its_subdomains() -> None:
    suffixes = TrustedSuffixes(extra="storage.contoso.test")
    assert suffixes.is_trusted("storage.contoso.test")
    assert suffixes.is_trusted("a.storage.contoso.test")
    assert not suffixes.is_trusted("xstorage.contoso.test")


def test_idna_names_are_normalized() -> None:
    suffixes = TrustedSuffixes(extra="*.bücher.test")
    assert suffixes.is_trusted("a.xn--bcher-kva.test")
    assert suffixes.is_trusted("A.BÜCHER.TEST")


@pytest.mark.parametrize(
    "entry", ["", ";", "a.test;;b.test", "*", "*.", "*.com", " * ", "https://a.test", "a.test:443"]
)
def test_entries_that_would_widen_trust_are_refused(entry: str) -> None:
    with pytest.raises(ConfigurationError):
        TrustedSuffixes(extra=[entry] if ";" not in entry else entry)


def test_check_names_the_host_and_how_to_trust_it() -> None:
    with pytest.raises(UntrustedDestinationError) as caught:
        DEFAULT.check("https://acct.blob.core.windows.net.evil.test/c")
    message = str(caught.value)
    assert "acct.blob.core.windows.net.evil.test" in message
    assert "trusted_microsoft_suffixes=" in message
    assert "--trusted-microsoft-suffixes" in message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://acct.blob.core.windows.net/", "https"),
        ("https://x.core.windows.net@evil.test/", "user info"),
        ("https://acct.blob.core.windows.net:99999/", "not a valid URL"),
        ("https://127.0.0.1/", "not under a trusted"),
    ],
)
def test_check_refuses(url: str, fragment: str) -> None:
    with pytest.raises(UntrustedDestinationError, match=fragment):
        DEFAULT.check(url)


def test_check_returns_the_normalized_host() -> None:
    assert (
        DEFAULT.check("https://ACCT.Blob.Core.Windows.Net.:443/c") == "acct.blob.core.windows.net"
    )


_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


@given(st.lists(_labels, min_size=1, max_size=4), st.sampled_from(DEFAULT_TRUSTED_SUFFIXES))
def test_any_subdomain_of_a_default_suffix_is_trusted(labels: list[str], suffix: str) -> None:
    host = ".".join([*labels, suffix[2:]])
    assert DEFAULT.is_trusted(host)
    assert DEFAULT.is_trusted(host.upper() + ".:443")


@given(
    st.lists(_labels, min_size=1, max_size=3),
    st.sampled_from(DEFAULT_TRUSTED_SUFFIXES),
    _labels,
)
def test_gluing_or_appending_labels_never_trusts(labels: list[str], suffix: str, tail: str) -> None:
    base = suffix[2:]
    glued = ".".join(labels) + base  # no dot before the suffix: "evilcore.windows.net"
    assert not DEFAULT.is_trusted(glued)
    appended = ".".join([*labels, base, tail])  # the suffix followed by more labels
    assert not DEFAULT.is_trusted(appended)


def test_an_extra_that_is_neither_a_string_nor_an_iterable_is_a_type_error() -> None:
    import azlogin
    from azlogin import storage

    for make in (
        lambda: TrustedSuffixes(extra=42),  # type: ignore[arg-type]
        lambda: azlogin.get_credential(
            {"AZCOPY_AUTO_LOGIN_TYPE": "MSI"}, trusted_microsoft_suffixes=42
        ),
        lambda: storage.blob_service_client(
            "https://a.blob.core.windows.net", credential=object(), trusted_microsoft_suffixes=42
        ),
    ):
        with pytest.raises(TypeError, match="trusted_microsoft_suffixes="):
            make()
