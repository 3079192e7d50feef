"""Where a data tool's URL points: the storage account, its endpoint, the container and the
path. Pure; every data-stack helper (polars, obstore, deltalake, DuckDB, pyarrow) parses its
URL here, and signs in for :attr:`Location.endpoint` (so the trust check and the cloud's
authority come from the plan, as for the storage helpers).

Accepted forms:

- ``https://<account>.blob.core.windows.net/<container>/<path>`` (``dfs`` too);
- ``https://127.0.0.1:10000/<account>/<container>/<path>``: an emulator's path-style URL,
  recognised by an IP address or ``localhost`` host;
- ``abfs[s]://<container>@<account>.dfs.core.windows.net/<path>``;
- ``az://<container>/<path>``, ``abfs[s]://<container>/<path>`` with ``account=`` (a name, or
  an account URL such as Azurite's ``https://127.0.0.1:10000/devstoreaccount1``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._errors import ConfigurationError

__all__ = ["Location", "parse_location"]

_SCHEMES = ("https", "abfs", "abfss", "az")


@dataclass(frozen=True)
class Location:
    """A parsed data URL."""

    account: str
    """The storage account's name."""
    endpoint: str
    """The account's blob endpoint: ``https://<account>.blob.core.windows.net``, or an
    emulator's ``https://127.0.0.1:10000/<account>``; no trailing slash."""
    container: str
    path: str
    """The path inside the container, without a leading slash ('' for the container)."""

    @property
    def host(self) -> str:
        """The endpoint's host (and port), for tools that want ``<account>.<host suffix>``."""
        return urlsplit(self.endpoint).netloc


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _blob_endpoint(netloc: str) -> str:
    """An account host's blob endpoint (a ``dfs`` host becomes its ``blob`` twin)."""
    name, _, rest = netloc.partition(".")
    service, _, suffix = rest.partition(".")
    if service == "dfs" and suffix:
        return f"https://{name}.blob.{suffix}"
    return f"https://{netloc}"


def _account_endpoint(account: str | None, url: str) -> tuple[str, str]:
    """``(name, endpoint)`` of the ``account=`` keyword (a name or an https account URL)."""
    if not account or not account.strip():
        raise ConfigurationError(
            f"{url!r} names no storage account: pass account= (a name such as 'myaccount', "
            "or an account URL), or use https://<account>.blob.core.windows.net/<container>/...",
            keyword="account",
        )
    text = account.strip().rstrip("/")
    if "://" not in text:
        if "/" in text or "." in text:
            raise ConfigurationError(
                f"account={account!r} is neither a storage account name nor an https account "
                "URL (for example 'myaccount' or 'https://myaccount.blob.core.windows.net').",
                keyword="account",
            )
        return text, f"https://{text}.blob.core.windows.net"
    located = parse_location(text + "/x")
    return located.account, located.endpoint


def parse_location(url: str, *, account: str | None = None) -> Location:
    """The :class:`Location` of ``url`` (see the module docstring); ConfigurationError with
    the fix for anything else."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
    except ValueError:
        raise ConfigurationError(f"{url!r} is not a valid URL.", keyword="url") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ConfigurationError(
            f"{url!r}: azlogin reads https://, abfs[s]:// and az:// URLs of Azure Storage "
            "(http is never used: tokens only travel over https).",
            keyword="url",
        )
    segments = [segment for segment in parts.path.split("/") if segment]
    if scheme == "https":
        host = (parts.hostname or "").lower()
        if _is_local(host):  # an emulator: https://127.0.0.1:10000/<account>/<container>/...
            if not segments:
                raise ConfigurationError(
                    f"{url!r}: a path-style URL needs /<account>/<container>/...", keyword="url"
                )
            name, segments = segments[0], segments[1:]
            endpoint = f"https://{netloc}/{name}"
        else:
            name, endpoint = host.split(".")[0], _blob_endpoint(netloc)
        container, path = (segments[0], "/".join(segments[1:])) if segments else ("", "")
    elif "@" in netloc:  # abfs[s]://<container>@<account host>/<path>
        container, _, account_host = netloc.partition("@")
        name, endpoint = account_host.split(".")[0], _blob_endpoint(account_host)
        path = "/".join(segments)
    else:  # az://<container>/<path>, abfs://<container>/<path>: the account is a keyword
        name, endpoint = _account_endpoint(account, url)
        container, path = netloc, "/".join(segments)
    if not container:
        raise ConfigurationError(f"{url!r} names no container.", keyword="url")
    return Location(name, endpoint, container, path)
