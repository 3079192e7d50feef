"""Which hosts may receive a Microsoft Entra token: AzCopy's trusted suffixes, matched safely.

AzCopy trims ``*`` from an entry and compares ``strings.HasSuffix(host:port, suffix)``: a port
breaks the match, an entry without ``*.`` (``example.com``) also trusts ``evilexample.com``,
and an empty entry trusts every host. Here an entry matches on whole DNS labels, case and a
trailing dot are folded, the port is ignored, and an entry that would trust too much (empty,
``*``, ``*.com``, a public suffix such as ``com`` or ``co.uk``) is refused.

An internationalized name is encoded as the transports encode it (requests through urllib3:
IDNA 2008 per label; aiohttp through yarl: UTS #46, non-transitional), and refused when those,
or IDNA 2003 (which folds ``ß`` to ``ss`` and final sigma to sigma), disagree: the host checked is
always the host connected to.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from .._errors import ConfigurationError, UntrustedDestinationError
from .clouds import DEFAULT_TRUSTED_SUFFIXES

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = ["DEFAULT_TRUSTED_SUFFIXES", "TrustedSuffixes", "normalize_host"]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_KEYWORD = "trusted_microsoft_suffixes"
_HOW_TO_TRUST = (
    "to trust it, pass trusted_microsoft_suffixes= (or the CLI's --trusted-microsoft-suffixes), "
    "and only for hosts you know are Microsoft Azure's"
)


class _RefusedHost(ValueError):
    """Why a host is refused, as a clause: "it is not a valid host name"."""


def normalize_host(host: str) -> str | None:
    """Lowercase, no trailing dot, IDNA-encoded as the transports do; None if refused."""
    try:
        return _normalize(host.strip())
    except _RefusedHost:
        return None


def _normalize(host: str) -> str:
    """The ASCII host a transport connects to, or _RefusedHost saying why there is none."""
    text = host[:-1] if host.endswith(".") else host  # one trailing dot: the same DNS name
    ip = _ip_address(text[1:-1] if text.startswith("[") and text.endswith("]") else text)
    if ip is not None:
        return ip
    ascii_host = _transport_form(text)
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _RefusedHost("it is not a valid host name")
    if labels[-1].isdigit():  # "1.2.3" or "10.0.0.256": not a name, not an address
        raise _RefusedHost("it is neither a host name nor an IP address")
    if any(label.startswith("xn--") and not _valid_a_label(label) for label in labels):
        raise _RefusedHost("it has an 'xn--' label that is no valid IDNA 2008 A-label")
    return ascii_host


def _ip_address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _transport_form(host: str) -> str:
    """The lowercase ASCII form of ``host`` that requests and aiohttp both connect to.

    ASCII is only lowercased, by every encoder alike. Anything else must encode the same
    under urllib3's per-label IDNA 2008, yarl's UTS #46 (non-transitional) and IDNA 2003,
    or it is refused: a guard that folded ``ß`` to ``ss`` would check one host while the
    transport connects to another.
    """
    if host.isascii():
        return host.lower()
    import idna  # here, not at the top: only a non-ASCII host needs it

    try:
        uts46 = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        per_label = ".".join(_urllib3_label(label) for label in host.split("."))
    except UnicodeError:  # idna.IDNAError is one
        raise _RefusedHost(
            "it is not a valid internationalized name (IDNA 2008, UTS #46), so requests or "
            "aiohttp would not connect to it"
        ) from None
    try:
        idna2003: str | None = host.encode("idna").decode("ascii").lower()  # keeps ASCII case
    except UnicodeError:
        idna2003 = None
    if idna2003 != uts46 or per_label != uts46:
        raise _RefusedHost(
            f"its IDNA 2003 form ({idna2003 or 'none'}) and the form requests and aiohttp "
            f"connect to (UTS #46: {uts46}) differ, as they do for 'ß', 'ς' and joiners; "
            f"write the xn-- form of the name you mean ({uts46})"
        )
    return uts46


def _urllib3_label(label: str) -> str:
    """One label as urllib3's parse_url encodes it (what requests connects to)."""
    if label.isascii():
        return label.lower()
    import idna

    return idna.encode(label.lower(), strict=True, std3_rules=True).decode("ascii")


def _valid_a_label(label: str) -> bool:
    import idna  # only an 'xn--' label needs it

    try:
        return bool(label[4:]) and bool(idna.decode(label))
    except UnicodeError:
        return False


class _Rule(NamedTuple):
    host: str
    subdomains_only: bool  # "*.host": strict subdomains; "host": the host and its subdomains
    is_ip: bool

    def matches(self, host: str) -> bool:
        if self.is_ip:
            return host == self.host
        if host == self.host:
            return not self.subdomains_only
        return host.endswith("." + self.host)


def _parse_rule(entry: str) -> _Rule:
    text = entry.strip()
    if not text:
        raise ConfigurationError(
            "A trusted Microsoft suffix entry is empty (check for ';;' or a trailing ';'); "
            "an empty entry would trust every host, so it is refused. Remove it.",
            keyword=_KEYWORD,
        )
    if any(char in text for char in "/:@?#") and not _is_ipv6(text):
        raise ConfigurationError(
            f"Trusted Microsoft suffix {text!r} must be a host name or '*.suffix', without "
            "scheme, port or path (for example *.blob.core.windows.net).",
            keyword=_KEYWORD,
        )
    wildcard = text.startswith("*.")
    try:
        host = _normalize(text[2:] if wildcard else text)
    except _RefusedHost as refused:
        raise ConfigurationError(
            f"Trusted Microsoft suffix {text!r} is refused: {refused}. An entry is a host "
            "name, '*.suffix' or an IP address (for example *.blob.core.windows.net).",
            keyword=_KEYWORD,
        ) from None
    is_ip = _is_ip(host)
    if wildcard and (is_ip or "." not in host):
        raise ConfigurationError(
            f"Trusted Microsoft suffix {text!r} would trust a whole top-level domain or an IP "
            "range; list a narrower suffix such as *.core.windows.net.",
            keyword=_KEYWORD,
        )
    return _Rule(host, wildcard, is_ip)


def _parse_extra(entry: str) -> _Rule:
    """A rule the user added: as :func:`_parse_rule`, and never a public suffix."""
    rule = _parse_rule(entry)
    if not rule.is_ip and _icann_suffixes().is_public(rule.host):
        over = "a wildcard over " if rule.subdomains_only else ""
        raise ConfigurationError(
            f"Trusted Microsoft suffix {entry.strip()!r} is {over}the public suffix "
            f"{rule.host!r} (the Public Suffix List's ICANN section): anyone can register a "
            "name under it, so it would trust hosts that are not Microsoft's. List your "
            "storage host or a suffix below it instead (for example *.blob.core.windows.net).",
            keyword=_KEYWORD,
        )
    return rule


@functools.lru_cache(maxsize=1)
def _icann_suffixes() -> PublicSuffixList:
    """The ICANN section of the Public Suffix List (TLDs and registry suffixes such as
    ``co.uk``). Its private section is not used: Microsoft's own ``blob.core.windows.net``
    is there. An unknown TLD (``localhost``, ``test``) is not a public suffix here."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    return _is_ip(text.strip("[]")) and ":" in text


def _raw_hostname(netloc: str) -> str:
    """The host of a URL's netloc as urlsplit finds it, without lowercasing it."""
    hostinfo = netloc.rpartition("@")[2]
    _, bracket, bracketed = hostinfo.partition("[")
    return bracketed.partition("]")[0] if bracket else hostinfo.partition(":")[0]


def _redacted(url: str) -> str:
    """A URL fit for an error message: no user info, query or fragment (they may hold a
    password or a SAS signature)."""
    head = re.split(r"[?#]", url.strip(), maxsplit=1)[0]
    scheme, sep, rest = head.partition("://")
    if not sep:
        scheme, rest = "", scheme
    authority, slash, path = rest.partition("/")
    return f"{scheme}{sep}{authority.rpartition('@')[2]}{slash}{path}"


def _split_entries(extra: str | Iterable[str] | None) -> list[str]:
    if extra is None:
        return []
    if isinstance(extra, str):
        return extra.split(";") if extra.strip() else []
    if isinstance(extra, (bytes, bytearray)) or not isinstance(extra, Iterable):
        raise TypeError(
            "trusted_microsoft_suffixes= must be a 'a;b' string or an iterable of strings, "
            f"not {type(extra).__name__}."
        )
    entries = list(extra)
    for entry in entries:
        if not isinstance(entry, str):
            raise TypeError(
                "trusted_microsoft_suffixes= must hold only strings (host names, '*.suffix' "
                f"or IP addresses), not {type(entry).__name__}."
            )
    return entries


class TrustedSuffixes:
    """AzCopy's trusted Microsoft suffixes plus ``extra`` (a ``"a;b"`` string or an iterable).

    ``is_trusted`` answers for a URL or a host; ``check`` raises for a URL a token must not
    be sent to. Entries: ``*.suffix`` trusts strict subdomains of ``suffix``; ``host``
    trusts that host and its subdomains; an IP address trusts only itself.
    """

    def __init__(self, extra: str | Iterable[str] | None = None) -> None:
        self._extra = tuple(_parse_extra(entry) for entry in _split_entries(extra))
        self._rules = tuple(_parse_rule(entry) for entry in DEFAULT_TRUSTED_SUFFIXES) + self._extra

    @property
    def extra(self) -> tuple[str, ...]:
        """The entries added to the defaults, in normalized form."""
        return self.entries[len(DEFAULT_TRUSTED_SUFFIXES) :]

    @property
    def entries(self) -> tuple[str, ...]:
        """Every entry, defaults first, in normalized form."""
        return tuple(("*." if rule.subdomains_only else "") + rule.host for rule in self._rules)

    def is_trusted(self, url_or_host: str) -> bool:
        """Whether a token may go to this URL (https, no userinfo) or bare host[:port]."""
        host = self._host_of(url_or_host)
        return host is not None and any(rule.matches(host) for rule in self._rules)

    def check(self, url: str) -> str:
        """Return the URL's normalized host, or raise UntrustedDestinationError saying why."""
        try:
            parts = urlsplit(url.strip())
            hostname = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise UntrustedDestinationError(
                f"{_redacted(url)!r} is not a valid URL; a token is only sent to "
                "https://<host>/ URLs."
            ) from None
        if parts.scheme.lower() != "https":
            raise UntrustedDestinationError(
                f"Refusing to send a token to {hostname or _redacted(url)!r} over "
                f"{parts.scheme or 'no'} scheme: tokens only travel over https. Use the "
                "https:// URL."
            )
        if parts.username is not None or parts.password is not None:
            raise UntrustedDestinationError(
                f"Refusing to send a token to a URL with user info before the host "
                f"({hostname!r}); remove the 'user@' part."
            )
        raw_host = _raw_hostname(parts.netloc)  # case kept: UTS #46 maps case itself
        try:
            host = _normalize(raw_host)
        except _RefusedHost as refused:
            raise UntrustedDestinationError(
                f"Refusing to send a token to {raw_host!r}: {refused}."
            ) from None
        if not any(rule.matches(host) for rule in self._rules):
            raise UntrustedDestinationError(
                f"Refusing to send a token to {host!r}: it is not under a trusted Microsoft "
                f"suffix ({';'.join(self.entries)}); {_HOW_TO_TRUST}."
            )
        return host

    def _host_of(self, url_or_host: str) -> str | None:
        text = url_or_host.strip()
        if "://" in text:
            try:
                return self.check(text)
            except UntrustedDestinationError:
                return None
        if "@" in text or "/" in text:
            return None
        if text.startswith("["):  # [v6] or [v6]:port
            return normalize_host(text.split("]")[0] + "]")
        if text.count(":") == 1:
            text = text.split(":")[0]
        return normalize_host(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrustedSuffixes) and self._rules == other._rules

    def __hash__(self) -> int:
        return hash(self._rules)

    def __repr__(self) -> str:
        return f"TrustedSuffixes(extra={';'.join(self.extra)!r})"
