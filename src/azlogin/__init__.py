"""azlogin: AzCopy's way of signing in to Azure Storage, as an embeddable Python library.

>>> import azlogin
>>> credential = azlogin.get_credential()  # reads AZCOPY_AUTO_LOGIN_TYPE and friends
"""

from __future__ import annotations

from ._version import __version__
from .credential import STORAGE_SCOPE, AsyncCredential, Credential
from .errors import (
    AzLoginError,
    ConfigurationError,
    NotLoggedInError,
    TokenStoreError,
    UntrustedDestinationError,
)
from .guard import AsyncGuardedTransport, GuardedTransport
from .login_types import LOGIN_TYPES, LoginType
from .resolve import get_async_credential, get_credential
from .trust import DEFAULT_TRUSTED_SUFFIXES, TrustedSuffixes

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
