"""Which hosts may receive a Microsoft Entra token: AzCopy's trusted suffixes, matched safely.

AzCopy compares ``strings.HasSuffix(host:port, suffix)``: a port breaks the match, and
``core.windows.net`` also trusts ``evilcore.windows.net``. Here an entry matches on whole
DNS labels, case and a trailing dot are folded, the port is ignored, names are IDNA-encoded,
and an entry that would trust too much (empty, ``*``, ``*.com``) is refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._errors import ConfigurationError, UntrustedDestinationError
from .clouds import DEFAULT_TRUSTED_SUFFIXES

__all__ = ["DEFAULT_TRUSTED_SUFFIXES", "TrustedSuffixes", "normalize_host"]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_KEYWORD = "trusted_microsoft_suffixes"
_HOW_TO_TRUST = (
    "to trust it, pass trusted_microsoft_suffixes= (or the CLI's --trusted-microsoft-suffixes), "
    "and only for hosts you know are Microsoft Azure's"
)


def normalize_host(host: str) -> str | None:
    """Lowercase, no trailing dot, IDNA-encoded; None if it is no valid DNS name or IP address."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(labels) != len(host.split(".")):
        # NFKC folded a lookalike (such as U+2024 ONE DOT LEADER) into a dot: refuse it.
        return None
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # "1.2.3" or "10.0.0.256": not a name, not an address
        return None
    if any(label.startswith("xn--") and not _valid_a_label(label) for label in labels):
        return None
    return ascii_host


def _valid_a_label(label: str) -> bool:
    try:
        return bool(label[4:]) and bool(label.encode("ascii").decode("idna"))
    except UnicodeError:
        return False


@dataclass(frozen=True)
class _Rule:
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
    host = normalize_host(text[2:] if wildcard else text)
    if host is None:
        raise ConfigurationError(
            f"Trusted Microsoft suffix {text!r} is not a valid host name, '*.suffix' or IP "
            "address (for example *.blob.core.windows.net).",
            keyword=_KEYWORD,
        )
    is_ip = _is_ip(host)
    if wildcard and (is_ip or "." not in host):
        raise ConfigurationError(
            f"Trusted Microsoft suffix {text!r} would trust a whole top-level domain or an IP "
            "range; list a narrower suffix such as *.core.windows.net.",
            keyword=_KEYWORD,
        )
    return _Rule(host, wildcard, is_ip)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    return _is_ip(text.strip("[]")) and ":" in text


def _split_entries(extra: str | Iterable[str] | None) -> list[str]:
    if extra is None:
        return []
    if isinstance(extra, str):
        return extra.split(";") if extra.strip() else []
    if not isinstance(extra, Iterable):
        raise TypeError(
            "trusted_microsoft_suffixes= must be a 'a;b' string or an iterable of strings, "
            f"not {type(extra).__name__}."
        )
    return [str(entry) for entry in extra]


class TrustedSuffixes:
    """AzCopy's trusted Microsoft suffixes plus ``extra`` (a ``"a;b"`` string or an iterable).

    ``is_trusted`` answers for a URL or a host; ``check`` raises for a URL a token must not
    be sent to. Entries: ``*.suffix`` trusts strict subdomains of ``suffix``; ``host``
    trusts that host and its subdomains; an IP address trusts only itself.
    """

    def __init__(self, extra: str | Iterable[str] | None = None) -> None:
        self._extra = tuple(_parse_rule(entry) for entry in _split_entries(extra))
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
                f"{url!r} is not a valid URL; a token is only sent to https://<host>/ URLs."
            ) from None
        if parts.scheme.lower() != "https":
            raise UntrustedDestinationError(
                f"Refusing to send a token to {hostname or url!r} over {parts.scheme or 'no'} "
                "scheme: tokens only travel over https. Use the https:// URL."
            )
        if parts.username is not None or parts.password is not None:
            raise UntrustedDestinationError(
                f"Refusing to send a token to a URL with user info before the host "
                f"({hostname!r}); remove the 'user@' part."
            )
        host = normalize_host(hostname or "")
        if host is None:
            raise UntrustedDestinationError(
                f"Refusing to send a token to {hostname!r}: not a valid host name."
            )
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
                self.check(text)
            except UntrustedDestinationError:
                return None
            return normalize_host(urlsplit(text).hostname or "")
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
