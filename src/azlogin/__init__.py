"""azlogin: AzCopy's way of signing in to Azure Storage, as an embeddable Python library.

>>> import azlogin
>>> credential = azlogin.get_credential()  # reads AZCOPY_AUTO_LOGIN_TYPE and friends

``import azlogin`` loads only the errors and the version: every other public name is
imported at its first use (``azlogin.get_credential``, ``from azlogin import Credential``),
and what it needs in turn only when that is needed: azure-identity and MSAL when a token
must come from an identity provider, azure-core when a token is served, cryptography when
an item of the token store is sealed or opened, the storage SDKs when a client is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import (
    AzLoginError,
    ConfigurationError,
    NotLoggedInError,
    TokenStoreError,
    UntrustedDestinationError,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._build.assemble import get_async_credential, get_credential
    from ._config.clouds import DEFAULT_TRUSTED_SUFFIXES
    from ._config.login_types import LOGIN_TYPES, LoginType
    from ._config.trust import TrustedSuffixes
    from ._engine.credential import AsyncCredential, Credential
    from ._engine.keys import STORAGE_SCOPE
    from ._guard import AsyncGuardedTransport, GuardedTransport

__all__ = [
    "DEFAULT_TRUSTED_SUFFIXES",
    "LOGIN_TYPES",
    "STORAGE_SCOPE",
    "AsyncCredential",
    "AsyncGuardedTransport",
    "AzLoginError",
    "ConfigurationError",
    "Credential",
    "GuardedTransport",
    "LoginType",
    "NotLoggedInError",
    "TokenStoreError",
    "TrustedSuffixes",
    "UntrustedDestinationError",
    "__version__",
    "get_async_credential",
    "get_credential",
]

_LAZY = {
    "get_credential": "._build.assemble",
    "get_async_credential": "._build.assemble",
    "DEFAULT_TRUSTED_SUFFIXES": "._config.clouds",
    "LOGIN_TYPES": "._config.login_types",
    "LoginType": "._config.login_types",
    "TrustedSuffixes": "._config.trust",
    "Credential": "._engine.credential",
    "AsyncCredential": "._engine.credential",
    "STORAGE_SCOPE": "._engine.keys",
    "GuardedTransport": "._guard",
    "AsyncGuardedTransport": "._guard",
}
"""Where each public name lives (the TYPE_CHECKING imports above name the same ones)."""


if not TYPE_CHECKING:  # type checkers see the imports above, and a misspelt name fails them

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'azlogin' has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
