"""Constants and helpers shared by the tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

SECRET = "s3cr3t-Value-That-Must-Never-Leak"
"""The client secret and certificate password every test uses, so leaks can be grepped."""

PLATFORM_VARIABLES = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST")


def managed_identity_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put a managed-identity env's platform endpoint variables into the process environment.

    azure-identity reads them from ``os.environ`` when it requests a token: they describe the
    host, not the login. Returns the ``AZCOPY_*`` part, for get_credential.
    """
    for name in PLATFORM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if not name.startswith("AZCOPY_"):
            monkeypatch.setenv(name, value)
    return {name: value for name, value in env.items() if name.startswith("AZCOPY_")}


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether ``condition`` becomes true within ``timeout`` s (for work in other threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.01)
    return True
