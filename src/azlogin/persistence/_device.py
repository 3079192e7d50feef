"""A DEVICE login kept between processes: MSAL's token cache (with the refresh token) and the
account's AuthenticationRecord, in an encrypted shared token store, so a user signs in once
and later processes get tokens silently until the refresh token stops working."""

from __future__ import annotations

import json
import threading
from typing import Any

import msal
from azure.identity import AuthenticationRecord, AuthenticationRequiredError

from .._engine.keys import TokenKey
from .._errors import TokenStoreError
from .._logs import Logger
from ._protocol import TokenStore
from ._tokens import device_item

__all__ = ["DeviceLoginState"]

_LOGGER = Logger("azlogin.persistence")


class DeviceLoginState:
    """The cache and record of one DEVICE identity, loaded from and saved to ``store``."""

    def __init__(self, store: TokenStore, identity: str, *, interactive: bool = True) -> None:
        self.interactive = interactive
        self.item = device_item(identity)
        self.store = store
        self.cache = msal.SerializableTokenCache()
        self.record: AuthenticationRecord | None = None
        self._lock = threading.Lock()
        blob = store.load(self.item)
        if blob is None:
            return
        try:
            data = json.loads(blob)
            self.cache.deserialize(data["cache"])
            self.record = AuthenticationRecord.deserialize(data["record"])
        except (ValueError, KeyError, TypeError):
            _LOGGER.warning("Ignoring a malformed saved device login in the token store.")
            self.cache = msal.SerializableTokenCache()
            self.record = None

    def fetch(self, credential: Any, key: TokenKey) -> Any:
        """A token from ``credential`` (a DeviceCodeCredential built with this state's cache and
        record); the first time, the user signs in and the record is kept."""
        with self._lock:
            scopes = key.scopes
            options = key.options()
            try:
                if self.record is None:
                    if not self.interactive:
                        raise AuthenticationRequiredError(list(scopes))
                    self.record = credential.authenticate(scopes=list(scopes), **options)
                token = credential.get_token_info(*scopes, options=options or None)
            except AuthenticationRequiredError as error:
                raise AuthenticationRequiredError(
                    list(scopes),
                    message="The saved device login can no longer get a token silently (its "
                    "refresh token expired or was revoked, or it was removed): run `azlogin "
                    "login` again.",
                    claims=error.claims,
                ) from error
            self._save()
            return token

    def _save(self) -> None:
        if self.record is None or not self.cache.has_state_changed:
            return
        blob = json.dumps({"record": self.record.serialize(), "cache": self.cache.serialize()})
        try:
            self.store.save(self.item, blob.encode())
        except TokenStoreError as error:
            _LOGGER.warning("The device login could not be saved in the token store: %s", error)
            return
        self.cache.has_state_changed = False
