"""Trusted Microsoft suffixes: label-boundary matching, and entries that must not widen trust."""

from __future__ import annotations

import pytest
from hypothesis import example, given
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


# --- Issue 11, item 1: the host the guard checks is the host the transport connects to ----

# (URL, trusted entry): IDNA 2003 folds ß to ss and final sigma to sigma, so the old guard checked
# acct.business.test while requests and aiohttp (UTS #46, non-transitional) connected to
# acct.xn--busine-gta.test.
DIFFERENTIAL = [
    ("https://acct.busineß.test/", "*.business.test"),
    ("https://acct.\u03c2.test/", "*.\u03c3.test"),  # final sigma vs sigma
    ("https://acct.BUSINEß.test:443/c", "*.business.test"),
    ("https://acct.b\u200dusiness.test/", "*.business.test"),  # ZWJ: dropped by IDNA 2003
]


@pytest.mark.parametrize(("url", "entry"), DIFFERENTIAL)
def test_a_host_whose_idna_2003_and_uts46_forms_differ_is_refused(url: str, entry: str) -> None:
    suffixes = TrustedSuffixes(extra=entry)
    with pytest.raises(UntrustedDestinationError, match=r"IDNA 2003|not a valid"):
        suffixes.check(url)
    assert not suffixes.is_trusted(url)


@pytest.mark.parametrize(
    "entry", ["*.straße.test", "straße.test", "*.\u03c2.test", "*.STRAßE.test"]
)
def test_an_entry_whose_idna_2003_and_uts46_forms_differ_is_refused(entry: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TrustedSuffixes(extra=[entry])
    assert caught.value.keyword == "trusted_microsoft_suffixes"
    assert "xn--" in str(caught.value)  # it says which A-label to write instead


def test_the_a_label_of_a_uts46_name_is_accepted_and_matches_only_that_name() -> None:
    suffixes = TrustedSuffixes(extra="*.xn--strae-oqa.test")  # straße.test, UTS #46
    assert suffixes.check("https://acct.xn--strae-oqa.test/") == "acct.xn--strae-oqa.test"
    assert not suffixes.is_trusted("https://acct.strasse.test/")
    assert not suffixes.is_trusted("https://acct.straße.test/")  # refused: the encoders differ


@pytest.mark.parametrize("name", ["bücher", "пример", "例え", "中文", "한국"])
def test_names_that_every_encoder_agrees_on_keep_working(name: str) -> None:
    suffixes = TrustedSuffixes(extra=f"*.{name}.test")
    host = suffixes.check(f"https://acct.{name.upper()}.test/")
    assert host == "acct." + name.encode("idna").decode("ascii") + ".test"
    assert suffixes.entries[-1] == "*." + host[len("acct.") :]


_UNICODE_ALPHABET = (
    "abcxyz019-"
    "ß\u1e9e\u03c2\u03c3\u03a3\u0130\u0131\u212akK\ufb01"  # sharp s, capital sharp s, final sigma,
    # sigma, capital sigma, dotted capital I, dotless i, Kelvin sign, k, K, fi ligature
    "üÜéÉöñçåøæ"
    "бжЖяЯ"  # Cyrillic
    "\u03b1\u03b2\u03b3\u03a9"  # Greek
    "中文日本한국"  # CJK, Hangul
    "ابت"  # Arabic
    "क्ष"  # Devanagari with virama
    "\u200c\u200d\u00ad\u034f\u200b"  # ZWNJ, ZWJ, soft hyphen, CGJ, ZWSP
    "\u3002\uff0e\uff61\u2024"  # ideographic and fullwidth full stops, one dot leader
    "\uff21\uff22\uff41\uff11"  # fullwidth A, B, a, 1
    "\u0301\u0308"  # combining acute, diaeresis
    "Ⅸ㎏℡"  # compatibility characters that NFKC expands
)
_unicode_labels = st.text(alphabet=_UNICODE_ALPHABET, min_size=1, max_size=8)
_TRUSTED_PARENTS = [
    "azlogin.test",
    "AZLOGIN.Test",
    "bücher.test",
    "BÜCHER.TEST",
    "xn--bcher-kva.test",
]
_PARENT_TRUST = TrustedSuffixes(extra="*.azlogin.test;*.bücher.test")


def _transport_hosts(url: str) -> tuple[str | None, str | None]:
    """The host requests (urllib3) and aiohttp (yarl) would connect to; None if they refuse."""
    import urllib3
    import yarl

    try:
        by_urllib3 = urllib3.util.parse_url(url).host
    except (urllib3.exceptions.LocationParseError, ValueError):
        by_urllib3 = None
    try:
        by_yarl = yarl.URL(url).raw_host
    except (ValueError, UnicodeError):
        by_yarl = None
    return by_urllib3, by_yarl


@given(
    st.lists(_unicode_labels, min_size=1, max_size=3),
    st.sampled_from(_TRUSTED_PARENTS),
    st.booleans(),
)
@example(["acct", "busineß"], "azlogin.test", False)
@example(["ς"], "bücher.test", False)
@example(["a\u200db"], "azlogin.test", True)
def test_the_guards_host_is_the_host_the_transports_connect_to(
    labels: list[str], parent: str, trailing_dot: bool
) -> None:
    host = ".".join([*labels, parent]) + ("." if trailing_dot else "")
    url = f"https://{host}/container"
    try:
        checked = _PARENT_TRUST.check(url)
    except UntrustedDestinationError:
        return  # refused: no token is sent, whatever the transports would do
    by_urllib3, by_yarl = _transport_hosts(url)
    # The guard folds one trailing dot (the same DNS name); the transports keep it.
    suffix = "." if trailing_dot else ""
    assert by_urllib3 == checked + suffix, (url, checked, by_urllib3)
    assert by_yarl == checked + suffix, (url, checked, by_yarl)


# --- Issue 11, item 2: an entry that is a public suffix, and non-string entries -------------


@pytest.mark.parametrize(
    "entry",
    ["com", "com.", "COM", "co.uk", "*.co.uk", "uk", "net", "xn--55qx5d.cn", "公司.cn", "foo.ck"],
)
def test_an_entry_that_is_a_public_suffix_is_refused(entry: str) -> None:
    with pytest.raises(ConfigurationError, match="public suffix") as caught:
        TrustedSuffixes(extra=[entry])
    assert caught.value.keyword == "trusted_microsoft_suffixes"


@pytest.mark.parametrize(
    "entry",
    [
        "localhost",
        "127.0.0.1",
        "::1",
        "storage.contoso.test",
        "*.contoso.co.uk",
        "blob.core.windows.net",  # the Public Suffix List's private section: Microsoft's own
        "*.blob.core.windows.net",
        "www.ck",  # an exception rule of the list: not a public suffix
    ],
)
def test_entries_below_a_public_suffix_ips_and_local_names_are_accepted(entry: str) -> None:
    assert TrustedSuffixes(extra=[entry]).extra


def test_the_defaults_pass_the_public_suffix_check_as_extra_entries() -> None:
    assert TrustedSuffixes(extra=DEFAULT_TRUSTED_SUFFIXES).extra == DEFAULT_TRUSTED_SUFFIXES


@pytest.mark.parametrize("extra", [[None], ["*.contoso.test", 3], [b"*.contoso.test"], b"a.test"])
def test_an_entry_that_is_not_a_string_is_a_type_error(extra: object) -> None:
    import azlogin

    with pytest.raises(TypeError, match="trusted_microsoft_suffixes="):
        TrustedSuffixes(extra=extra)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="trusted_microsoft_suffixes="):
        azlogin.get_credential({"AZCOPY_AUTO_LOGIN_TYPE": "MSI"}, trusted_microsoft_suffixes=extra)


@pytest.mark.parametrize(
    "url",
    [
        "http://acct.blob.core.windows.net/c?sig=SECRETSIG",
        "https://acct.blob.core.windows.net:99999/c?sig=SECRETSIG",
        "https://evil.test/c?sig=SECRETSIG#SECRETSIG",
        "//acct.blob.core.windows.net/c?sig=SECRETSIG",
    ],
)
def test_a_refusal_never_echoes_the_urls_query(url: str) -> None:
    with pytest.raises(UntrustedDestinationError) as caught:
        DEFAULT.check(url)
    assert "SECRETSIG" not in str(caught.value)
    assert "SECRETSIG" not in repr(caught.value.args)
