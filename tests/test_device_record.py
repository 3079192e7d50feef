"""A saved DEVICE login is used at the plan's https authority, whatever host form its
AuthenticationRecord saved: azure-identity keeps the issuer's bare ``host:port`` and, given the
record, refuses it when ``urlparse`` reads the host as a scheme (``localhost:PORT`` on every
Python, ``127.0.0.1:PORT`` on 3.9 and 3.10)."""

from __future__ import annotations

from urllib.parse import urlsplit

import azure.identity
from azure.identity import AuthenticationRecord

from azlogin._build.builders import BuildContext, build_device
from azlogin._config.keywords import parse_keywords
from azlogin._config.plan import make_plan
from azlogin._engine.keys import TokenKey
from azlogin.persistence._device import DeviceLoginState
from azlogin.persistence._memory import MemoryStore
from azlogin.testing import EntraEmulator


def test_a_saved_record_naming_a_bare_host_and_port_still_refreshes_silently(
    emulator: EntraEmulator,
) -> None:
    plan = make_plan(
        parse_keywords({"connection_verify": emulator.ca_path}), emulator.env("DEVICE"), None
    )
    store = MemoryStore()
    first = DeviceLoginState(store, plan.fingerprint)
    first.fetch(
        build_device(plan, BuildContext(azure.identity, first)),
        TokenKey(("https://storage.azure.com/.default",)),
    )
    assert first.record is not None
    port = urlsplit(emulator.authority).port
    assert first.record.authority == f"127.0.0.1:{port}"  # what azure-identity saves
    emulator.reset()

    # A later process, with the record as saved and as an issuer called localhost saves it.
    later = DeviceLoginState(store, plan.fingerprint, interactive=False)
    saved = later.record
    assert saved is not None
    renamed = AuthenticationRecord(
        saved.tenant_id, saved.client_id, f"localhost:{port}", saved.home_account_id, saved.username
    )
    for record, audience in (
        (saved, "https://management.azure.com"),
        (renamed, "https://vault.azure.net"),
    ):
        later.record = record
        credential = build_device(plan, BuildContext(azure.identity, later))
        token = later.fetch(credential, TokenKey((f"{audience}/.default",)))
        assert EntraEmulator.decode(token.token)["aud"] == audience
    assert emulator.requests["devicecode"] == 0
    assert [request["auth"] for request in emulator.token_requests] == ["refresh_token"] * 2
