"""polars in one line: the keyword arguments that sign polars' readers and writers in.

>>> import polars as pl
>>> import azlogin.polars
>>> url = "abfss://data@myaccount.dfs.core.windows.net/sales/2024.parquet"
>>> df = pl.read_parquet(url, **azlogin.polars.options(url))  # doctest: +SKIP
>>> df.write_parquet(url, **azlogin.polars.options(url))  # doctest: +SKIP

:func:`options` returns ``storage_options`` (the account name and its blob endpoint, all
strings) and a ``credential_provider`` that hands polars a token from an azlogin credential.

What is checked up front: the URL's host, once, against the trust list of the plan (the
``trusted_microsoft_suffixes`` keyword's, the saved login's, or AzCopy's defaults), before
anything is sent; a national cloud's host (``*.core.chinacloudapi.cn``, ...) signs in at its
cloud's authority. polars sends its requests through Rust's object_store, which has no
per-request hook: the endpoint is pinned in ``storage_options`` (whatever account a path
names, requests go to the checked endpoint), but a redirect is object_store's business.

What refreshes: polars calls the provider again once the token it holds expires; the
provider asks the credential, whose engine serves its cached token (about a microsecond) or
fetches a new one. A job may run longer than a token's life; credentials of one identity in
one process share their engine, so polars, deltalake and DuckDB make one token request per
token life together.

TLS: polars' HTTP client trusts the system's roots, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` when set in the process environment before polars makes its first request
to the account (polars takes no CA in ``storage_options``). ``connection_verify=`` (a CA
bundle) is for the credential's own requests only; ``connection_verify=False`` also turns
off polars' certificate checks (``allow_invalid_certificates``: never in production).

polars reads ``https://`` URLs as plain HTTP, not as Azure Storage: give polars an
``abfs[s]://`` or ``az://`` path (:func:`path` turns any accepted URL into one).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ._build.flavor import SYNC
from ._build.targets import data_request
from ._config.locations import parse_location
from ._engine.keys import STORAGE_SCOPE

__all__ = ["options", "path"]

_INSTALL = 'azlogin.polars needs polars: pip install "azlogin[polars]"'


def options(url: str, *, env: Mapping[str, str] | None = None, **keywords: Any) -> dict[str, Any]:
    """Keyword arguments for ``pl.read_parquet``, ``scan_parquet``, ``write_parquet``,
    ``sink_parquet`` (and polars' other cloud readers and writers) on ``url``.

    ``url`` is ``abfs[s]://<container>@<account>.dfs.core.windows.net/...``,
    ``https://<account>.blob.core.windows.net/<container>/...``, an emulator's path-style
    ``https://127.0.0.1:10000/<account>/<container>/...``, or ``az://`` / ``abfs://<container>/...``
    with ``account=`` (a name or an https account URL). Only its account matters here.

    ``credential=`` uses that credential (any ``TokenCredential``) instead of building one;
    the other keywords are :func:`azlogin.get_credential`'s (``trusted_microsoft_suffixes``,
    ``tenant_id``, ``token_store``, ``connection_verify``, ...). An unknown keyword is a
    TypeError. The host is checked before any I/O (UntrustedDestinationError).

    Returns ``{"storage_options": {...}, "credential_provider": provider}``; the provider's
    ``credential`` attribute is the credential in use.
    """
    _require_polars()
    request = data_request("azlogin.polars.options", url, keywords)
    location, verify = request.location, request.connection_verify
    if inspect.iscoroutinefunction(getattr(request.credential, "get_token_info", None)):
        raise TypeError(
            "polars calls its credential provider synchronously: pass a sync credential"
        )
    signed_in = request.sign_in(env, SYNC)
    storage_options = {
        "azure_storage_account_name": location.account,
        "azure_storage_endpoint": location.endpoint,
        # Explicitly off: AZURE_STORAGE_USE_EMULATOR=true in the environment would otherwise
        # send requests to Azurite's default address, signed with its well-known key.
        "azure_storage_use_emulator": "false",
    }
    if verify is False:
        storage_options["allow_invalid_certificates"] = "true"
    return {
        "storage_options": storage_options,
        "credential_provider": _TokenProvider(signed_in.credential),
    }


def path(url: str, *, account: str | None = None) -> str:
    """The ``az://<container>/<path>`` path polars reads as Azure Storage, for any URL
    :func:`options` accepts (with :func:`options`' endpoint, it names the same blob).

    >>> path("https://myaccount.blob.core.windows.net/data/sales/2024.parquet")
    'az://data/sales/2024.parquet'
    """
    location = parse_location(url, account=account)
    return f"az://{location.container}/{location.path}"


class _TokenProvider:
    """polars' ``credential_provider``: ``({"bearer_token": token}, expires_on)`` from the
    credential, with the token's real expiry (polars asks again once it has passed)."""

    def __init__(self, credential: Any) -> None:
        self.credential = credential

    def __call__(self) -> tuple[dict[str, str], int]:
        get_token_info = getattr(self.credential, "get_token_info", None)
        if get_token_info is not None:
            token = get_token_info(STORAGE_SCOPE)
        else:  # a TokenCredential that predates SupportsTokenInfo
            token = self.credential.get_token(STORAGE_SCOPE)
        return {"bearer_token": token.token}, int(token.expires_on)

    def __repr__(self) -> str:
        return f"azlogin.polars credential provider for {self.credential!r}"


def _require_polars() -> None:
    try:
        import polars  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{_INSTALL} ({error})") from error
