"""``azlogin login status`` through the real console script: who is signed in (from the
token's claims, never the token), until when (with the zone), served from the token store,
and whether AZCOPY_AUTO_LOGIN_TYPE makes get_credential() use another login here."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from azlogin.testing import EntraEmulator
from tests.test_cli import Cli, spn_flags

JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+")
ZONE = {"TZ": "AZL-05:30"}  # POSIX: five and a half hours east of UTC, no tz database needed


def _status(cli: Cli, *flags: str, env: dict[str, str] | None = None) -> tuple[str, Any]:
    text = cli("login", "status", *flags, env=env)
    data = cli("login", "status", "--output-type", "json", env=env)
    for result in (text, data):
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stderr == ""
        assert not JWT.search(result.stdout), "status printed a token"
    return text.stdout, json.loads(data.stdout)


def test_a_service_principal_is_named_by_its_application_id_from_the_store(
    cli: Cli, emulator: EntraEmulator
) -> None:
    login = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    assert login.returncode == 0, login.stderr
    emulator.reset()
    text, data = _status(cli)
    assert f"Signed in as: application ID {emulator.client_id} (service principal)" in text
    assert data["signed_in_as"] == {
        "type": "application",
        "name": emulator.client_id,
        "object_id": emulator.sp_object_id,
        "tenant_id": emulator.tenant_id,
    }
    assert sum(emulator.requests.values()) == 0  # both answered from the token store
    token = cli("token").stdout.strip()
    assert JWT.match(token)
    for flags in (["--tenant", "--endpoint", "--method", "--debug"], ["--output-type", "json"]):
        result = cli("login", "status", *flags)
        assert result.returncode == 0
        assert token not in result.stdout + result.stderr  # claims are read, never printed


def test_a_managed_identity_is_named_by_its_client_id(cli: Cli, emulator: EntraEmulator) -> None:
    platform = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.imds_endpoint}
    login = cli("login", "--identity", "--identity-client-id", emulator.msi_client_id, env=platform)
    assert login.returncode == 0, login.stderr
    emulator.reset()
    text, data = _status(cli, env=platform)
    assert f"Signed in as: application ID {emulator.msi_client_id} (managed identity)" in text
    assert data["signed_in_as"]["name"] == emulator.msi_client_id
    assert data["signed_in_as"]["object_id"] == emulator.msi_object_id
    assert emulator.requests["imds"] == 0


def test_a_device_login_names_the_user_and_every_time_has_its_zone(
    cli: Cli, emulator: EntraEmulator
) -> None:
    flags = ["--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority]
    login = cli("login", *flags, env=ZONE)
    assert login.returncode == 0, login.stderr
    assert re.search(r"expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30\)", login.stderr)
    assert re.search(r"token valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30\.", login.stdout)
    emulator.reset()
    text, data = _status(cli, "--method", env=ZONE)
    assert f"Signed in as: {emulator.username} (a user)" in text
    assert "Login method: device code, an interactive user (DEVICE)" in text
    assert ") (" not in text  # no doubled parentheses
    zone = timezone(timedelta(hours=5, minutes=30))
    shown = datetime.fromtimestamp(data["expires_on"], zone).isoformat(timespec="seconds")
    assert f"Your login session is valid: token valid until {shown}." in text
    assert data["expires_at"] == shown
    assert data["signed_in_as"]["type"] == "user"
    assert emulator.requests["token"] == 0
    assert emulator.requests["devicecode"] == 0


def test_status_says_when_the_environment_overrides_the_saved_login(
    cli: Cli, emulator: EntraEmulator
) -> None:
    cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    text, data = _status(cli)
    assert data["environment_login"] is None
    assert "AZCOPY_AUTO_LOGIN_TYPE" not in text

    msi = {"AZCOPY_AUTO_LOGIN_TYPE": "msi", "AZCOPY_MSI_CLIENT_ID": "client-1"}
    text, data = _status(cli, env=msi)
    assert (
        "Note: AZCOPY_AUTO_LOGIN_TYPE is MSI here, so get_credential() uses that login from the "
        "environment (managed identity, identity_client_id=client-1) instead of the saved one; "
        "unset AZCOPY_AUTO_LOGIN_TYPE to use the saved login."
    ) in text
    assert data["environment_login"] == {
        "login_type": "MSI",
        "method": "managed identity",
        "settings": {"identity_client_id": "client-1"},
        "error": None,
    }
    assert (data["valid"], data["login_type"]) == (True, "SPN")  # still the saved login's status

    text, data = _status(cli, env={"AZCOPY_AUTO_LOGIN_TYPE": "bogus"})
    assert "get_credential() ignores the saved login and fails: AZCOPY_AUTO_LOGIN_TYPE" in text
    assert "valid values are" in data["environment_login"]["error"]


def test_status_without_a_saved_login_still_names_the_environments_login(cli: Cli) -> None:
    result = cli("login", "status", env={"AZCOPY_AUTO_LOGIN_TYPE": "AZCLI"})
    assert result.returncode == 1
    assert "Not logged in: run `azlogin login`." in result.stdout
    assert "AZCOPY_AUTO_LOGIN_TYPE is AZCLI here, so get_credential() uses that login" in (
        result.stdout
    )
