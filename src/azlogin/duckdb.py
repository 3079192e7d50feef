"""DuckDB in one line: a secret of DuckDB's azure extension that holds an azlogin token.

>>> import duckdb
>>> from azlogin.duckdb import create_secret
>>> con = duckdb.connect()
>>> secret = create_secret(con, "https://myaccount.blob.core.windows.net/data")  # doctest: +SKIP
>>> secret.sql("SELECT count(*) FROM 'az://data/sales/*.parquet'").fetchall()  # doctest: +SKIP

:func:`create_secret` loads the azure extension (from the ``duckdb-extension-azure`` wheel
of DuckDB's version when it is installed, so no download; else an ``INSTALL``-ed one) and
creates (or replaces) a temporary secret::

    CREATE OR REPLACE TEMPORARY SECRET "<name>" (TYPE azure, PROVIDER access_token,
        ACCESS_TOKEN $access_token, ACCOUNT_NAME $account_name, ENDPOINT $endpoint,
        SCOPE $scope)

The values travel as prepared-statement parameters: the token is never part of the SQL text
(DuckDB's query log shows ``$access_token``), never quoted by hand, and DuckDB redacts it in
``duckdb_secrets()``. The secret is temporary (in memory, never written to disk).

What is checked up front: the URL's host, once, against the trust list of the plan (the
``trusted_microsoft_suffixes`` keyword's, the saved login's, or AzCopy's defaults), before the
extension is loaded and before anything is sent. DuckDB has no per-request hook, so the
secret is built to reach no other host: its ``ENDPOINT`` is the checked host's, and its
``SCOPE`` is the container's URLs of that account only (``az://<container>/``,
``azure://<container>/`` and their fully qualified forms naming the checked host; the
``abfss://`` and ``abfs://`` forms too when the account's ``dfs`` host is trusted). An
unscoped token secret would be used by DuckDB for any fully qualified URL, such as
``az://other.blob.example.com/...``, and sent to that URL's host.

What refreshes: DuckDB never refreshes a token secret. The :class:`Secret` handle re-issues
it when the credential's token changed (the engine refreshes five minutes before an
hour-long token expires, and never hands out one in its last 30 seconds): on every
:meth:`Secret.sql` and :meth:`Secret.execute`, and on :meth:`Secret.ensure_fresh` for code
that uses the connection directly (one cached-token lookup, about a microsecond). A
statement that runs longer than its token's remaining life is not covered. The handle does
not refresh in the background: DuckDB connections are not thread-safe, and a second
connection kept open for it would keep a database file open after the user closed theirs.

TLS and transport: DuckDB's azure extension reaches Azure Storage through libcurl. Use
``SET azure_transport_option_type = 'curl'`` (DuckDB's ``default`` transport looks for the CA
bundle at a fixed path and fails on some Linux systems); it trusts the PEM bundle named by the
``CURL_CA_INFO`` environment variable (else the system's bundle), read from the process
environment whenever the extension opens a connection. ``connection_verify=`` is for the
credential's own requests only. DuckDB builds host-style URLs (``https://<account>.<endpoint>``):
an emulator needs a host-style address, such as Azurite's
``https://devstoreaccount1.blob.localhost:<port>``.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ._build.flavor import SYNC
from ._build.targets import data_request
from ._config.locations import Location
from ._config.trust import TrustedSuffixes
from ._engine.keys import STORAGE_SCOPE
from ._errors import ConfigurationError, refuse_pickling
from ._logs import Logger

__all__ = ["Secret", "create_secret", "load_extension"]

_LOGGER = Logger("azlogin")
_INSTALL = 'azlogin.duckdb needs duckdb and its azure extension: pip install "azlogin[duckdb]"'
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CREATE = (
    'CREATE OR REPLACE TEMPORARY SECRET "{name}" (TYPE azure, PROVIDER access_token, '
    "ACCESS_TOKEN $access_token, ACCOUNT_NAME $account_name, ENDPOINT $endpoint, "
    "SCOPE $scope)"
)


def create_secret(
    connection: Any,
    url: str,
    *,
    env: Mapping[str, str] | None = None,
    name: str | None = None,
    **keywords: Any,
) -> Secret:
    """Create or replace a DuckDB secret that signs ``url``'s container in with a fresh token.

    ``connection`` is a ``duckdb.DuckDBPyConnection``. ``url`` names a container (any path
    in it is ignored): ``https://<account>.blob.core.windows.net/<container>``,
    ``abfs[s]://<container>@<account>.dfs.core.windows.net``, an emulator's host-style
    ``https://devstoreaccount1.blob.localhost:<port>/<container>``, or ``az://<container>``
    with ``account=`` (a name or a host-style https account URL). ``name`` is the DuckDB
    secret's name (default ``azlogin_<account>_<container>``): one secret per container, and
    calling again for the same name replaces it.

    ``credential=`` uses that credential (any ``TokenCredential``) instead of building one;
    the other keywords are :func:`azlogin.get_credential`'s (``trusted_microsoft_suffixes``,
    ``tenant_id``, ``token_store``, ``connection_verify``, ...). An unknown keyword is a
    TypeError. The host is checked before any I/O (UntrustedDestinationError).

    Returns a :class:`Secret`: run statements through its :meth:`~Secret.sql` or
    :meth:`~Secret.execute` (or call :meth:`~Secret.ensure_fresh` first) so that the secret
    is re-issued when the token is refreshed.
    """
    # connection_verify is the credential's only: DuckDB's curl transport reads CURL_CA_INFO.
    request = data_request("azlogin.duckdb.create_secret", url, keywords)
    location = request.location
    signed_in = request.sign_in(env, SYNC)
    secret_name = _secret_name(name, location)
    suffix = _endpoint_suffix(location)
    scope = _scope(location, suffix, signed_in.trusted)
    load_extension(connection)
    secret = Secret(connection, secret_name, location.account, suffix, scope, signed_in.credential)
    secret.refresh()
    return secret


class Secret:
    """A DuckDB secret holding an azlogin token, and how to keep it fresh.

    Attributes: :attr:`name`, :attr:`account`, :attr:`endpoint` (the host suffix DuckDB
    appends to the account name), :attr:`scope` (the URL prefixes it signs), :attr:`credential`
    and :attr:`expires_on` (when the token in the secret expires, epoch seconds). Its ``repr``
    never shows the token, and it is never pickled. As a context manager it drops the secret
    on exit.
    """

    def __init__(
        self,
        connection: Any,
        name: str,
        account: str,
        endpoint: str,
        scope: tuple[str, ...],
        credential: Any,
    ) -> None:
        self.connection = connection
        self.name = name
        self.account = account
        self.endpoint = endpoint
        self.scope = scope
        self.credential = credential
        self.expires_on = 0
        self._token: str | None = None
        self._dropped = False
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Re-issue the secret now, with the credential's current token (after :meth:`drop`
        too: it creates the secret again)."""
        token = _token_info(self.credential)
        with self._lock:
            self._issue(token)

    def ensure_fresh(self) -> bool:
        """Re-issue the secret if the credential's token changed since it was issued (the
        engine serves its cached token in about a microsecond, and a new one once it refreshed);
        True if it was re-issued. Does nothing once the secret was dropped."""
        if self._dropped:
            return False
        token = _token_info(self.credential)
        with self._lock:
            if self._dropped or token.token == self._token:
                return False
            self._issue(token)
            return True

    def sql(self, query: str, **kwargs: Any) -> Any:
        """``connection.sql(query, **kwargs)`` after :meth:`ensure_fresh`."""
        self.ensure_fresh()
        return self.connection.sql(query, **kwargs)

    def execute(self, query: str, parameters: Any = None) -> Any:
        """``connection.execute(query, parameters)`` after :meth:`ensure_fresh`."""
        self.ensure_fresh()
        return self.connection.execute(query, parameters)

    def drop(self) -> None:
        """Drop the secret from DuckDB (its token with it); the handle re-issues it no more,
        until :meth:`refresh`."""
        with self._lock:
            self.connection.execute(f'DROP TEMPORARY SECRET IF EXISTS "{self.name}"')
            self._token = None
            self._dropped = True

    def _issue(self, token: Any) -> None:
        parameters = {
            "access_token": token.token,
            "account_name": self.account,
            "endpoint": self.endpoint,
            "scope": list(self.scope),
        }
        self.connection.execute(_CREATE.format(name=self.name), parameters)
        self._token = token.token
        self._dropped = False
        self.expires_on = int(token.expires_on)
        _LOGGER.info(
            "azlogin: DuckDB secret %s issued for %s.%s (token expires at %d)",
            self.name, self.account, self.endpoint, self.expires_on,
        )  # fmt: skip

    def __enter__(self) -> Secret:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.drop()

    def __repr__(self) -> str:
        return (
            f"azlogin.duckdb.Secret(name={self.name!r}, account={self.account!r}, "
            f"endpoint={self.endpoint!r}, scope={self.scope!r}, expires_on={self.expires_on})"
        )

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


def _secret_name(name: str | None, location: Location) -> str:
    """The secret's name as DuckDB keeps it (in lower case); only letters, digits and
    underscores, so that it is safe to quote into the statement."""
    if name is None:
        name = f"azlogin_{location.account}_{location.container}".replace("-", "_")
    if not _NAME.match(name):
        raise ConfigurationError(
            f"name={name!r} is not a DuckDB secret name: use letters, digits and underscores, "
            "not starting with a digit.",
            keyword="name",
        )
    return name.lower()


def _endpoint_suffix(location: Location) -> str:
    """What DuckDB appends to ``<account>.``: the checked host (and port) without the
    account's label. DuckDB cannot reach a path-style (emulator) endpoint."""
    parts = urlsplit(location.endpoint)
    host = parts.netloc.lower()
    prefix = location.account.lower() + "."
    if parts.path.strip("/") or not host.startswith(prefix):
        raise ConfigurationError(
            f"DuckDB's azure extension reaches an account at https://<account>.<endpoint>, and "
            f"{location.endpoint!r} is not of that form: for Azurite, use a host-style URL "
            "such as https://devstoreaccount1.blob.localhost:<port>/<container> (Azurite "
            "started without --disableProductStyleUrl).",
            keyword="url",
        )
    return host[len(prefix) :]


def _scope(location: Location, suffix: str, trusted: TrustedSuffixes) -> tuple[str, ...]:
    """The URL prefixes the secret signs: the container's short forms (the host comes from
    the secret's checked endpoint) and its fully qualified forms that name the checked host.
    ``abfs[s]://`` (the Data Lake API, served by the account's ``dfs`` host) only when that
    host is trusted too."""
    account, container = location.account, location.container
    blob_host = f"{account}.{suffix}"
    scope = [
        f"az://{container}/",
        f"azure://{container}/",
        f"az://{blob_host}/{container}/",
        f"azure://{blob_host}/{container}/",
    ]
    service, _, rest = suffix.partition(".")
    dfs_host = f"{account}.dfs.{rest}"
    if service == "blob" and rest and trusted.is_trusted(f"https://{dfs_host}/"):
        for scheme in ("abfss", "abfs"):
            scope += [
                f"{scheme}://{container}/",
                f"{scheme}://{container}@{dfs_host}/",
                f"{scheme}://{dfs_host}/{container}/",
            ]
    return tuple(scope)


def _token_info(credential: Any) -> Any:
    """The credential's current token for Azure Storage: ``.token`` and ``.expires_on``."""
    get_token_info = getattr(credential, "get_token_info", None)
    if get_token_info is not None:
        return get_token_info(STORAGE_SCOPE)
    return credential.get_token(STORAGE_SCOPE)  # a TokenCredential before SupportsTokenInfo


def load_extension(connection: Any) -> None:
    """Load DuckDB's azure extension into ``connection`` unless it is loaded: from the
    ``duckdb-extension-azure`` wheel of DuckDB's version (nothing is downloaded), else the
    one ``INSTALL azure`` put in DuckDB's extension directory. ImportError with the fix when
    neither is there.

    :func:`create_secret` calls it. Call it yourself to change the extension's settings
    before the first secret: ``SET azure_transport_option_type = 'curl'`` on a connection
    without the extension makes DuckDB try to download it."""
    try:
        import duckdb
    except ImportError as error:
        raise ImportError(f"{_INSTALL} ({error})") from error
    row = connection.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'azure'"
    ).fetchone()
    if row is not None and row[0]:
        return
    packaged = _packaged_extension(duckdb.__version__)
    try:
        if packaged is not None:
            connection.execute("LOAD '{}'".format(str(packaged).replace("'", "''")))
        else:
            connection.execute("LOAD azure")
    except duckdb.Error as error:
        raise ImportError(
            f"{_INSTALL} (the wheel of DuckDB's version, {duckdb.__version__}), or run "
            f"INSTALL azure where DuckDB can download it ({error})"
        ) from error


def _packaged_extension(version: str) -> Path | None:
    """The azure extension file in the ``duckdb-extension-azure`` wheel for DuckDB ``version``,
    or None when that wheel (or that version of it) is not installed."""
    spec = importlib.util.find_spec("duckdb_extension_azure")  # a package of data, no code
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "extensions" / f"v{version}" / "azure.duckdb_extension"
        if path.is_file():
            return path
    return None
