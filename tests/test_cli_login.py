"""``azlogin login`` without a terminal when AZCOPY_AUTO_LOGIN_TYPE names another login type:
it never silently replaces a saved login of another kind, and it says what it does.
(On a terminal it asks: tests/test_cli_terminal.py.)"""

from __future__ import annotations

import json

from azlogin.testing import EntraEmulator
from tests.test_cli import Cli, spn_flags


def _device_flags(emulator: EntraEmulator) -> list[str]:
    return ["login", "--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority]


def _saved_type(cli: Cli) -> object:
    return json.loads(cli("login", "status", "--output-type", "json").stdout)["login_type"]


def _save_spn(cli: Cli, emulator: EntraEmulator) -> None:
    login = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    assert login.returncode == 0, login.stderr
    emulator.reset()


def test_without_a_terminal_it_refuses_to_replace_another_kind_of_saved_login(
    cli: Cli, emulator: EntraEmulator
) -> None:
    _save_spn(cli, emulator)
    result = cli(*_device_flags(emulator), env={"AZCOPY_AUTO_LOGIN_TYPE": "MSI"})
    assert result.returncode == 1
    assert result.stderr == (
        "azlogin: error: AZCOPY_AUTO_LOGIN_TYPE is MSI here, but `azlogin login` without a type "
        "flag makes a DEVICE login (device code, an interactive user), replacing the saved SPN "
        "login: pass --identity for a managed identity login, or unset AZCOPY_AUTO_LOGIN_TYPE "
        "to make the DEVICE login.\n"
    )
    assert emulator.requests["devicecode"] == 0  # nobody was asked to sign in
    assert _saved_type(cli) == "SPN"
    # A type without a login flag: the way out is to unset the variable.
    azcli = cli(*_device_flags(emulator), env={"AZCOPY_AUTO_LOGIN_TYPE": "azcli"})
    assert azcli.returncode == 1
    assert "use AZCLI as it is (it needs no `azlogin login`), or unset" in azcli.stderr
    assert _saved_type(cli) == "SPN"


def test_when_nothing_of_another_kind_is_replaced_it_says_what_it_does(
    cli: Cli, emulator: EntraEmulator
) -> None:
    result = cli(*_device_flags(emulator), env={"AZCOPY_AUTO_LOGIN_TYPE": "MSI"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "azlogin: note: AZCOPY_AUTO_LOGIN_TYPE is MSI here, but `azlogin login` without a type "
        "flag makes a DEVICE login (device code, an interactive user); pass --identity for a "
        "managed identity login."
    )
    assert "Login succeeded: device code" in result.stdout
    assert (
        "Note: AZCOPY_AUTO_LOGIN_TYPE is MSI here, so get_credential() uses that login from the "
        "environment (managed identity) instead of the saved one"
    ) in result.stdout
    assert _saved_type(cli) == "DEVICE"


def test_a_type_flag_is_obeyed_and_the_environment_still_named(
    cli: Cli, emulator: EntraEmulator
) -> None:
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "MSI", "AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret}
    result = cli(*spn_flags(emulator), "--output-type", "json", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the flag said which login: nothing to doubt
    data = json.loads(result.stdout)
    assert data["login_type"] == "SPN"
    assert data["environment_login"]["login_type"] == "MSI"
    assert data["replaced"] is None
    assert _saved_type(cli) == "SPN"


def test_replacing_a_saved_login_of_another_kind_is_said(cli: Cli, emulator: EntraEmulator) -> None:
    _save_spn(cli, emulator)
    result = cli(*_device_flags(emulator))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].endswith(", replacing the saved SPN login.")
    again = cli(*_device_flags(emulator), "--output-type", "json")
    assert json.loads(again.stdout)["replaced"] is None  # a DEVICE login replaced by its kind
    assert _saved_type(cli) == "DEVICE"
