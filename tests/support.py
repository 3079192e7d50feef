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


def modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a new interpreter (``sys.executable -c``) has loaded after running ``code``,
    with ``env`` added to this process's environment."""
    import json
    import os
    import subprocess
    import sys

    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


OPENING_A_STORE_ITEM = (
    "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
    "from cryptography.hazmat.primitives.kdf.hkdf import HKDF\n"
    "from cryptography.hazmat.primitives import hashes\n"
)
"""What a process must import to open a store item: cryptography's AESGCM and HKDF."""


def imported_by_dependencies(code: str = OPENING_A_STORE_ITEM) -> set[str]:
    """The modules a fresh interpreter has after running ``code`` (a dependency's imports).

    A test that says azlogin does not import a module allows it when a dependency the path
    needs imports it itself: cryptography 42, the oldest admitted, imports dataclasses,
    logging, random and datetime with its cipher modules; cryptography 50 none of them."""
    return modules_after(code)
