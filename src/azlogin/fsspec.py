"""adlfs / fsspec in one line: ``pd.read_parquet("abfs://...", storage_options=...)`` and Dask.

>>> import pandas as pd
>>> from azlogin.fsspec import storage_options
>>> df = pd.read_parquet("abfs://data/sales.parquet",
...                      storage_options=storage_options("myaccount"))  # doctest: +SKIP

``storage_options(account)`` checks the account's host against the trusted suffixes before
anything is sent and returns adlfs's keywords with an asyncio credential
(:func:`azlogin.get_async_credential`, which adlfs needs). The credential pickles without its
secret, so Dask and Ray workers rebuild it from their own environment and share tokens through
the machine's token store.

adlfs builds its storage client itself and takes no transport, so requests made through
``storage_options`` are checked once, by host, up front. :class:`GuardedBlobFileSystem` (or
:func:`filesystem`) is adlfs's filesystem with :class:`azlogin.AsyncGuardedTransport` on every
request, for code that can take a filesystem object instead of a URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._build.flavor import ASYNC
from ._build.targets import SignedIn, sign_in, split_credential_keywords
from ._errors import ConfigurationError

if TYPE_CHECKING:  # imported on first use (it needs adlfs): see __getattr__ below
    from ._adlfs import GuardedBlobFileSystem

__all__ = ["GuardedBlobFileSystem", "account_location", "filesystem", "storage_options"]


def account_location(account: str) -> tuple[str, str]:
    """``(account_name, account_host)`` from an account name, or an account URL (its path, as
    with Azurite's ``https://127.0.0.1:10000/devstoreaccount1``, stays part of the host)."""
    text = account.strip().rstrip("/")
    if "://" not in text:
        if not text or "/" in text or "." in text:
            raise ConfigurationError(
                f"{account!r} is neither a storage account name nor an https account URL "
                "(for example 'myaccount' or 'https://myaccount.blob.core.windows.net')."
            )
        return text, f"{text}.blob.core.windows.net"
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ConfigurationError(f"{account!r}: the account URL must use https.")
    path = parts.path.strip("/")
    name = path.split("/")[0] if path else (parts.hostname or "").split(".")[0]
    return name, parts.netloc + (f"/{path}" if path else "")


def storage_options(
    account: str,
    *,
    env: Mapping[str, str] | None = None,
    credential: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """adlfs's ``storage_options`` for ``account`` (a name or an https account URL).

    ``credential`` defaults to ``get_async_credential(env, **login keywords)``, planned for
    the account's host (its cloud's authority, the saved login's trust list); keywords that
    get_credential knows go to it, the rest to adlfs unchanged. The host is checked against
    the trust list of the credential in use before anything is sent.
    """
    options, _ = _signed_in_options(account, env, credential, kwargs)
    return options


def filesystem(
    account: str,
    *,
    env: Mapping[str, str] | None = None,
    credential: Any = None,
    **kwargs: Any,
) -> Any:
    """A :class:`GuardedBlobFileSystem` for ``account``; keywords as :func:`storage_options`,
    plus ``connection_verify`` for the storage requests.

    fsspec caches filesystems by the text of their arguments, so two credentials with equal
    reprs would share the first one's filesystem: azlogin's skips that cache unless
    ``skip_instance_cache=False`` is passed."""
    verify = kwargs.get("connection_verify")
    kwargs.setdefault("skip_instance_cache", True)
    options, signed_in = _signed_in_options(account, env, credential, kwargs)
    if verify is None:
        verify = signed_in.verify  # the credential's CA bundle, from the environment or not
    return _guarded_class()(trusted_suffixes=signed_in.trusted, connection_verify=verify, **options)


def _signed_in_options(
    account: str, env: Mapping[str, str] | None, credential: Any, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], SignedIn]:
    name, host = account_location(account)
    credential_kwargs = split_credential_keywords(kwargs)
    kwargs.pop("connection_verify", None)  # the credential's and the guarded filesystem's
    signed_in = sign_in(f"https://{host}", env, credential, credential_kwargs, ASYNC)
    options = {"account_name": name, "account_host": host, "credential": signed_in.credential}
    return {**options, **kwargs}, signed_in


def _guarded_class() -> type[GuardedBlobFileSystem]:
    from ._adlfs import GuardedBlobFileSystem

    return GuardedBlobFileSystem


def __getattr__(name: str) -> Any:
    # The class needs adlfs, an optional dependency: imported on first use.
    if name == "GuardedBlobFileSystem":
        return _guarded_class()
    raise AttributeError(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
