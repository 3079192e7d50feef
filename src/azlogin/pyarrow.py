"""pyarrow in one line: a ``pyarrow.fs.FileSystem`` for Azure Storage, signed in by azlogin.

>>> import pyarrow.parquet as pq
>>> import azlogin.pyarrow
>>> url = "abfs://data@myaccount.dfs.core.windows.net/sales/2024.parquet"
>>> fs = azlogin.pyarrow.filesystem(url)  # doctest: +SKIP
>>> table = pq.read_table(azlogin.pyarrow.path(url), filesystem=fs)  # doctest: +SKIP

pyarrow's own ``AzureFileSystem`` takes no token and no callback, so :func:`filesystem` wraps
azlogin's guarded adlfs filesystem (:func:`azlogin.fsspec.filesystem`) in
``pyarrow.fs.PyFileSystem(pyarrow.fs.FSSpecHandler(...))``. The URL's host is checked against
the trust list before anything is sent, and then, unlike the object_store tools (polars,
obstore, deltalake) and DuckDB, **every request** goes through
:class:`azlogin.AsyncGuardedTransport`: a redirect or a request to another host cannot carry
the token away.

Paths given to pyarrow are ``<container>/<path>``, without scheme or account (the account is
the filesystem's); :func:`path` turns a URL into one. Tokens refresh as for any azlogin
credential: the storage client asks the credential again once its token is within five
minutes of expiry, and the credential's engine answers from its cache (shared with other
processes through the token store), fetching a new token ahead of expiry; a job may run
longer than a token's life.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._config.locations import parse_location
from .fsspec import filesystem as _guarded_filesystem

if TYPE_CHECKING:  # pyarrow ships no type information
    import pyarrow.fs  # type: ignore[import-untyped,unused-ignore]

__all__ = ["filesystem", "path"]

_INSTALL = 'azlogin.pyarrow needs pyarrow and adlfs: pip install "azlogin[pyarrow]"'


def filesystem(
    url: str, *, env: Mapping[str, str] | None = None, **keywords: Any
) -> pyarrow.fs.FileSystem:
    """A pyarrow filesystem for the storage account of ``url``, every request guarded.

    ``url`` is ``https://<account>.blob.core.windows.net/<container>/...``,
    ``abfs[s]://<container>@<account>.dfs.core.windows.net/...``, an emulator's path-style
    ``https://127.0.0.1:10000/<account>/<container>/...``, or ``az://`` / ``abfs://<container>/...``
    with ``account=`` (a name or an account URL); only its account matters here. The other
    keywords are :func:`azlogin.fsspec.filesystem`'s: ``credential=``, get_credential's
    (``trusted_microsoft_suffixes``, ``tenant_id``, ...), ``connection_verify`` (a CA bundle
    for the storage requests), and adlfs's. The host is checked before any I/O
    (UntrustedDestinationError).

    Give pyarrow paths as ``<container>/<path>`` (see :func:`path`).
    """
    arrow_fs = _import_pyarrow_fs()
    location = parse_location(url, account=keywords.pop("account", None))
    guarded = _guarded_filesystem(location.endpoint, env=env, **keywords)
    return arrow_fs.PyFileSystem(arrow_fs.FSSpecHandler(guarded))


def path(url: str) -> str:
    """The path pyarrow wants for ``url`` on :func:`filesystem`'s filesystem:
    ``<container>/<path>`` (the container alone for a container URL). The account plays no
    part, so ``az://`` URLs need no ``account=`` here.

    >>> path("https://myaccount.blob.core.windows.net/data/sales/2024.parquet")
    'data/sales/2024.parquet'
    >>> path("abfss://data@myaccount.dfs.core.windows.net/sales/")
    'data/sales'
    >>> path("az://data/")
    'data'
    """
    location = parse_location(url, account="account")  # any name: only the path is used
    return f"{location.container}/{location.path}" if location.path else location.container


def _import_pyarrow_fs() -> Any:
    try:
        import adlfs  # noqa: F401  (azlogin.fsspec.filesystem builds on it)
        import pyarrow.fs as arrow_fs  # type: ignore[import-untyped,unused-ignore]
    except ImportError as error:
        raise ImportError(f"{_INSTALL} ({error})") from error
    return arrow_fs
