"""Test helpers for code that takes a credential: a fake, a loopback Microsoft Entra ID, Azurite.

``FakeCredential`` needs nothing more than azlogin. ``EntraEmulator`` and ``Azurite`` need the
``testing`` extra (``pip install "azlogin[testing]"``) and are imported on first use, so that
importing this package (or ``FakeCredential``) starts no server and loads no ``trustme``. The
pytest plugin :mod:`azlogin.testing.pytest_plugin` offers all three as fixtures.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .fake import FakeCredential, TokenRequest

if TYPE_CHECKING:
    from .azurite import Azurite, AzuriteNotAvailableError
    from .emulator import EntraEmulator

__all__ = ["Azurite", "AzuriteNotAvailableError", "EntraEmulator", "FakeCredential", "TokenRequest"]

# The names imported on first use, and the module of each.
_LAZY = {
    "Azurite": ".azurite",
    "AzuriteNotAvailableError": ".azurite",
    "EntraEmulator": ".emulator",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
