"""SHA-256 hex digests: the names of store items, locks and key-source entries.

:mod:`hashlib` loads OpenSSL's libcrypto when imported (about 4 ms of a process that serves a
stored token in well under 100 ms), and cryptography, which opens the items, brings its own
copy. CPython's built-in SHA-256, the one hashlib itself falls back to, gives the same digest
without loading a library; hashlib serves where that module is missing.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

__all__ = ["sha256_hex"]

_sha256: Callable[[bytes], Any]
try:  # (a failed import looks through every sys.path entry: try the right one only)
    if sys.version_info >= (3, 12):
        from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    else:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
except ImportError:  # pragma: no cover - an interpreter without the built-in module
    from hashlib import sha256 as _sha256


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as 64 lowercase hex digits (as ``hashlib``'s)."""
    return str(_sha256(data).hexdigest())
