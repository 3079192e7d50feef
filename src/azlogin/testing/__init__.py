"""Test helpers for code that takes a credential: a fake, and a loopback Microsoft Entra ID.

``EntraEmulator`` needs the ``testing`` extra (``pip install azlogin[testing]``).
"""

from __future__ import annotations

from .fake import FakeCredential

__all__ = ["Azurite", "EntraEmulator", "FakeCredential"]


def __getattr__(name: str) -> object:
    # Imported on first use so that FakeCredential works without trustme installed.
    if name == "EntraEmulator":
        from .emulator import EntraEmulator

        return EntraEmulator
    if name == "Azurite":
        from .azurite import Azurite

        return Azurite
    raise AttributeError(name)
