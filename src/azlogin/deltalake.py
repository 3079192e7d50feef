"""deltalake in one line: the ``storage_options`` that sign a Delta table's reads and writes in.

>>> from deltalake import DeltaTable, write_deltalake
>>> from azlogin.deltalake import storage_options
>>> url = "abfss://data@myaccount.dfs.core.windows.net/tables/sales"
>>> write_deltalake(url, df, storage_options=storage_options(url))  # doctest: +SKIP
>>> DeltaTable(url, storage_options=storage_options(url)).to_pandas()  # doctest: +SKIP

deltalake takes only ``storage_options: dict[str, str]``: a static bearer token, no callback.
:func:`storage_options` returns the account name, its blob endpoint and a token that is fresh
when the call returns (from the credential's engine: its cached token, refreshed before it
expires).

What is checked up front: the URL's host, once, against the trust list of the plan (the
``trusted_microsoft_suffixes`` keyword's, the saved login's, or AzCopy's defaults) before
anything is sent; a national cloud's host signs in at its cloud's authority. delta-rs sends
its requests through Rust's object_store, which has no per-request hook: the endpoint is
pinned in the options (whatever account the table URI names, requests go to the checked
endpoint) and ``azure_storage_use_emulator`` is pinned off (``AZURE_STORAGE_USE_EMULATOR=true``
in the environment would otherwise send requests to Azurite's default address, signed with
its well-known key instead of the token).

What refreshes: nothing inside deltalake. Call :func:`storage_options` for each operation
(each ``write_deltalake``, each ``DeltaTable(...)``): every call serves the engine's current
token, which the engine refreshes before it expires (five minutes ahead for an hour-long
token; it never hands out one in its last 30 seconds). A ``DeltaTable`` object keeps the
token it was opened with, and a single operation that runs longer than the token's remaining
life is not covered: open the table again for the next operation.

TLS: deltalake's HTTP client (rustls) trusts the system's roots, or, when ``SSL_CERT_FILE`` is
set in the process environment, the PEM bundle it names instead (include the public roots in
it if the process also reaches public endpoints); delta-rs reads the variable whenever it
builds a client (each operation), and takes no CA in ``storage_options``.
``connection_verify=`` (a CA bundle) is for the credential's own requests only;
``connection_verify=False`` also turns off deltalake's certificate checks
(``allow_invalid_certificates``: never in production).

deltalake does not read ``https://`` URLs as Azure Storage: give it an ``abfs[s]://`` or
``az://`` URI (:func:`table_uri` turns any accepted URL into one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._build.flavor import SYNC
from ._build.targets import data_request
from ._config.locations import parse_location
from ._engine.keys import STORAGE_SCOPE

__all__ = ["storage_options", "table_uri"]

_INSTALL = 'azlogin.deltalake needs deltalake: pip install "azlogin[deltalake]"'


def storage_options(
    url: str, *, env: Mapping[str, str] | None = None, **keywords: Any
) -> dict[str, str]:
    """deltalake's ``storage_options`` for the table at ``url``, with a fresh bearer token.

    ``url`` is ``abfs[s]://<container>@<account>.dfs.core.windows.net/<table>``,
    ``https://<account>.blob.core.windows.net/<container>/<table>``, an emulator's path-style
    ``https://127.0.0.1:10000/<account>/<container>/<table>``, or ``az://`` /
    ``abfs://<container>/<table>`` with ``account=`` (a name or an https account URL).

    ``credential=`` uses that credential (any ``TokenCredential``) instead of building one;
    the other keywords are :func:`azlogin.get_credential`'s (``trusted_microsoft_suffixes``,
    ``tenant_id``, ``token_store``, ``connection_verify``, ...). An unknown keyword is a
    TypeError. The host is checked before any I/O (UntrustedDestinationError).

    Returns only strings: ``azure_storage_account_name``, ``azure_storage_endpoint`` (the
    account's blob endpoint), ``bearer_token`` and ``azure_storage_use_emulator`` (``"false"``).
    Call it again for every operation: the token in the dictionary does not refresh.
    """
    _require_deltalake()
    request = data_request("azlogin.deltalake.storage_options", url, keywords)
    location, verify = request.location, request.connection_verify
    signed_in = request.sign_in(env, SYNC)
    options = {
        "azure_storage_account_name": location.account,
        "azure_storage_endpoint": location.endpoint,
        "bearer_token": _token(signed_in.credential),
        "azure_storage_use_emulator": "false",
    }
    if verify is False:
        options["allow_invalid_certificates"] = "true"
    return options


def table_uri(url: str, *, account: str | None = None) -> str:
    """The ``az://<container>/<path>`` URI deltalake reads as Azure Storage, for any URL
    :func:`storage_options` accepts (with its pinned endpoint, it names the same table).

    >>> table_uri("https://myaccount.blob.core.windows.net/data/tables/sales")
    'az://data/tables/sales'
    """
    location = parse_location(url, account=account)
    return f"az://{location.container}/{location.path}"


def _token(credential: Any) -> str:
    """The credential's current token for Azure Storage (the engine's cached one while it is
    fresh)."""
    get_token_info = getattr(credential, "get_token_info", None)
    if get_token_info is not None:
        return str(get_token_info(STORAGE_SCOPE).token)
    return str(credential.get_token(STORAGE_SCOPE).token)  # a pre-SupportsTokenInfo credential


def _require_deltalake() -> None:
    try:
        import deltalake  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{_INSTALL} ({error})") from error
