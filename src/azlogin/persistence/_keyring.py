"""KeyringStore: items kept in the OS secret store itself, through ``keyring``.

Linux Secret Service (GNOME Keyring, KWallet), macOS Keychain, Windows Credential Locker.
Windows limits an item to about 2.5 KB: keep big items (MSAL caches) in EncryptedFileStore,
which needs only a 32-byte key from the same OS store.
"""

from __future__ import annotations

import base64
import os
import sys
from typing import Any

from .._errors import TokenStoreError
from .._logs import Logger
from ._protocol import KeyUnavailable

__all__ = ["KeyringStore", "usable_keyring"]

_LOGGER = Logger("azlogin.persistence")
_SERVICE = "azlogin"


def usable_keyring() -> Any:
    """The ``keyring`` backend, if it is a real secret store; KeyUnavailable otherwise."""
    if sys.platform.startswith("linux") and not _session_bus_exists():
        # Headless Linux (servers, containers, WSL): no session bus, so no Secret Service.
        # Saying so here saves keyring's backend scan, a tenth of a second at start-up.
        raise KeyUnavailable("no D-Bus session bus, so no Secret Service (a headless machine)")
    try:
        import keyring
        import keyring.backend
    except ImportError:
        raise KeyUnavailable("the keyring package is not installed") from None
    try:
        backend = keyring.get_keyring()
        if not _viable(backend):
            # A secret store may have come up since keyring first looked (keyring caches its
            # choice): look again among the backend classes, best first.
            candidates = sorted(
                keyring.backend.KeyringBackend.get_viable_backends(),
                key=lambda cls: float(cls.priority),
                reverse=True,
            )
            for candidate in candidates:
                backend = candidate()
                if _viable(backend):
                    break
    except Exception as error:  # noqa: BLE001 - backends' probes raise what their bus raises
        raise KeyUnavailable(f"the OS secret store cannot be reached ({error})") from None
    if not _viable(backend):
        raise KeyUnavailable(
            "no OS secret store is reachable (no Secret Service on D-Bus, Keychain or "
            "Credential Locker)"
        )
    return backend


def _session_bus_exists() -> bool:
    """The session bus the Secret Service would be on (the process's own, as jeepney reads)."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    return hasattr(os, "getuid") and os.path.exists(f"/run/user/{os.getuid()}/bus")


def _viable(backend: Any) -> bool:
    """A real store that answers now (keyring's priorities probe D-Bus when read)."""
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_viable(inner) for inner in backend.backends)
    try:
        return float(backend.priority) > 0
    except Exception:  # noqa: BLE001 - an unreachable backend raises from its probe
        return False


class KeyringStore:
    """A TokenStore whose items live in the OS secret store, under the service ``azlogin``."""

    shared = True

    def __init__(self, backend: Any = None) -> None:
        if backend is None:
            try:
                backend = usable_keyring()
            except KeyUnavailable as error:
                raise TokenStoreError(f"KeyringStore cannot be used: {error}.") from None
        self._backend = backend

    def load(self, key: str) -> bytes | None:
        """The item's bytes, or None.

        None when there is no item, and (with a warning) when the secret store cannot be read
        (locked, gone) or holds a malformed item.
        """
        try:
            value = self._backend.get_password(_SERVICE, key)
        except Exception as error:  # noqa: BLE001 - a locked or vanished store is a miss
            _LOGGER.warning(
                "The OS secret store could not be read (%s); treating as a miss.", error
            )
            return None
        if value is None:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            _LOGGER.warning("Ignoring a malformed item in the OS secret store.")
            return None

    def save(self, key: str, value: bytes) -> None:
        """Store ``value`` (base64) under ``key``, replacing any item there.

        Raises:
            azlogin.TokenStoreError: The secret store refused the item (often: it is locked).
        """
        try:
            self._backend.set_password(_SERVICE, key, base64.b64encode(value).decode("ascii"))
        except Exception as error:  # noqa: BLE001
            raise TokenStoreError(
                f"The OS secret store refused to save an item ({error}); is it locked?"
            ) from None

    def delete(self, key: str) -> bool:
        """Remove the item; True if the secret store had one to remove."""
        try:
            self._backend.delete_password(_SERVICE, key)
        except Exception:  # noqa: BLE001 - keyring raises PasswordDeleteError when absent
            return False
        return True

    def __repr__(self) -> str:
        return f"KeyringStore({type(self._backend).__name__})"
