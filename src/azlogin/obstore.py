"""obstore in one line: an ``AzureStore`` signed in by azlogin.

>>> import obstore as obs
>>> import azlogin.obstore
>>> url = "https://myaccount.blob.core.windows.net/data/sales"
>>> store = azlogin.obstore.store(url)  # doctest: +SKIP
>>> obs.put(store, "2024.parquet", payload)  # doctest: +SKIP
>>> obs.list(store).collect()  # doctest: +SKIP

:func:`store` builds ``obstore.store.AzureStore`` for the URL's container, with the URL's
path as its prefix, the account's blob endpoint pinned, azlogin's ``credential_provider`` and
the CA of ``connection_verify``.

What is checked up front: the URL's host, once, against the trust list of the plan (the
``trusted_microsoft_suffixes`` keyword's, the saved login's, or AzCopy's defaults), before
anything is sent; a national cloud's host (``*.core.chinacloudapi.cn``, ...) signs in at its
cloud's authority. obstore sends its requests through Rust's object_store, which has no
per-request hook: the store only ever talks to the checked endpoint, but a redirect is
object_store's business.

What refreshes: obstore asks the provider for a token whenever the one it caches has less
than five minutes left (so, with short-lived tokens, before every request that comes more
than 100 ms after its last ask); the provider answers with the credential's cached token and
its real expiry, in about a microsecond, and the credential's engine fetches a new token
before the old one expires. A store may be used longer than a token's life.

``asynchronous=True`` builds the provider on :func:`azlogin.get_async_credential`'s flavor (a
coroutine, for obstore's ``*_async`` functions: its sync functions cannot await it and fail
with "no running event loop"). An asyncio credential belongs to the event
loop that first uses it: use such a store from one loop, and close it with
``await store.credential_provider.credential.close()`` when done.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ._build.flavor import ASYNC, SYNC
from ._build.targets import data_request
from ._engine.keys import STORAGE_SCOPE
from ._errors import ConfigurationError

if TYPE_CHECKING:
    from obstore.store import AzureStore

__all__ = ["store"]

_INSTALL = 'azlogin.obstore needs obstore: pip install "azlogin[obstore]"'


def store(
    url: str,
    *,
    env: Mapping[str, str] | None = None,
    asynchronous: bool = False,
    **keywords: Any,
) -> AzureStore:
    """An ``obstore.store.AzureStore`` for the container of ``url``, prefixed by its path.

    ``url`` is ``https://<account>.blob.core.windows.net/<container>/<path>``,
    ``abfs[s]://<container>@<account>.dfs.core.windows.net/<path>``, an emulator's path-style
    ``https://127.0.0.1:10000/<account>/<container>/<path>``, or ``az://`` /
    ``abfs://<container>/<path>`` with ``account=`` (a name or an https account URL).

    ``credential=`` uses that credential (sync, or asyncio when ``asynchronous``) instead of
    building one; ``client_options=`` and ``retry_config=`` go to obstore; the other keywords
    are :func:`azlogin.get_credential`'s (``trusted_microsoft_suffixes``, ``tenant_id``,
    ``token_store``, ...). ``connection_verify`` is a CA bundle trusted by the credential's
    requests and the store's (``client_options={"root_certificate": <its PEM>}``), or
    ``False`` (no certificate checks: never in production). An unknown keyword is a
    TypeError. The host is checked before any I/O (UntrustedDestinationError).
    """
    store_class = _import_azure_store()
    request = data_request(
        "azlogin.obstore.store", url, keywords, own=("client_options", "retry_config")
    )
    location, verify, credential = request.location, request.connection_verify, request.credential
    client_options = dict(request.own.get("client_options") or {})
    retry_config = request.own.get("retry_config")
    if credential is not None and not asynchronous and _is_asyncio(credential):
        raise TypeError("an asyncio credential needs azlogin.obstore.store(..., asynchronous=True)")
    signed_in = request.sign_in(env, ASYNC if asynchronous else SYNC)
    if verify is False:
        client_options["allow_invalid_certificates"] = True
    elif isinstance(verify, (str, os.PathLike)):
        client_options["root_certificate"] = _read_pem(verify)
    provider = _AsyncTokenProvider if asynchronous else _TokenProvider
    built: AzureStore = store_class(
        location.container,
        prefix=location.path or None,
        account_name=location.account,
        endpoint=location.endpoint,
        # Explicitly off: AZURE_STORAGE_USE_EMULATOR=true in the environment would otherwise
        # send requests to Azurite's default address, signed with its well-known key.
        use_emulator=False,
        client_options=client_options or None,
        retry_config=retry_config,
        credential_provider=provider(signed_in.credential),
    )
    return built


def _read_pem(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, encoding="ascii") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"connection_verify={os.fspath(path)!r} is not a readable PEM CA bundle "
            f"({type(error).__name__}).",
            keyword="connection_verify",
        ) from None


def _is_asyncio(credential: Any) -> bool:
    method = getattr(credential, "get_token_info", None) or getattr(credential, "get_token", None)
    return inspect.iscoroutinefunction(method)


def _bearer(token: Any) -> dict[str, Any]:
    return {
        "token": token.token,
        "expires_at": datetime.fromtimestamp(token.expires_on, tz=timezone.utc),
    }


class _TokenProvider:
    """obstore's sync ``credential_provider``: the credential's token and its real expiry,
    which obstore caches until five minutes before it."""

    def __init__(self, credential: Any) -> None:
        self.credential = credential

    def __call__(self) -> dict[str, Any]:
        get_token_info = getattr(self.credential, "get_token_info", None)
        if get_token_info is not None:
            return _bearer(get_token_info(STORAGE_SCOPE))
        return _bearer(self.credential.get_token(STORAGE_SCOPE))  # no SupportsTokenInfo

    def __repr__(self) -> str:
        return f"azlogin.obstore credential provider for {self.credential!r}"


class _AsyncTokenProvider(_TokenProvider):
    """The asyncio twin: a coroutine obstore awaits on the caller's event loop (a sync
    credential passed in is asked directly)."""

    async def __call__(self) -> dict[str, Any]:  # type: ignore[override]
        get_token_info = getattr(self.credential, "get_token_info", None)
        if get_token_info is not None:
            token = get_token_info(STORAGE_SCOPE)
        else:
            token = self.credential.get_token(STORAGE_SCOPE)
        return _bearer(await token if inspect.isawaitable(token) else token)


def _import_azure_store() -> Any:
    try:
        from obstore.store import AzureStore
    except ImportError as error:
        raise ImportError(f"{_INSTALL} ({error})") from error
    return AzureStore
