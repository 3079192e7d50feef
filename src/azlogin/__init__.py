"""azlogin: AzCopy's way of signing in to Azure Storage, as an embeddable Python library.

>>> import azlogin
>>> credential = azlogin.get_credential()  # reads AZCOPY_AUTO_LOGIN_TYPE and friends
"""

from __future__ import annotations

from ._build.assemble import get_async_credential, get_credential
from ._config.clouds import DEFAULT_TRUSTED_SUFFIXES
from ._config.login_types import LOGIN_TYPES, LoginType
from ._config.trust import TrustedSuffixes
from ._engine.credential import AsyncCredential, Credential
from ._engine.keys import STORAGE_SCOPE
from ._errors import (
    AzLoginError,
    ConfigurationError,
    NotLoggedInError,
    TokenStoreError,
    UntrustedDestinationError,
)
from ._guard import AsyncGuardedTransport, GuardedTransport
from ._version import __version__

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
