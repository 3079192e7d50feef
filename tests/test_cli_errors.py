"""The console script's failures as a person meets them: one line naming what they typed, log
records only with --debug, usage errors with the usage of the command they typed."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from azlogin.testing import EntraEmulator
from tests.test_cli import CONSOLE_SCRIPT, Cli, spn_flags

USAGE_LINE = re.compile(r"^usage: azlogin login \[-h\]", re.M)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1
    stderr = result.stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("azlogin: error: "), stderr
    return stderr


def test_a_wrong_client_secret_is_one_line_and_its_log_records_need_debug(
    cli: Cli, emulator: EntraEmulator
) -> None:
    wrong = {"AZCOPY_SPA_CLIENT_SECRET": "not-the-secret"}
    result = cli(*spn_flags(emulator), env=wrong, secrets=("not-the-secret",))
    line = _one_error_line(result)
    assert "AADSTS7000215" in line
    assert "WARNING" not in result.stderr  # azure-identity's and azlogin.tokens' records
    debug = cli(*spn_flags(emulator), "--debug", env=wrong, secrets=("not-the-secret",))
    assert "WARNING azure.identity" in debug.stderr
    assert "WARNING azlogin" in debug.stderr
    assert "Traceback" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1] == line.rstrip()


def test_a_managed_identity_that_does_not_exist_is_one_line(
    cli: Cli, emulator: EntraEmulator
) -> None:
    platform = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.imds_endpoint}
    result = cli("login", "--identity", "--identity-client-id", "no-such-identity", env=platform)
    line = _one_error_line(result)
    # azure-identity's own words, which differ by version: "Identity not found" (recent),
    # "ManagedIdentityCredential authentication unavailable ..." (1.19, the oldest admitted)
    assert "Identity not found" in line or "ManagedIdentityCredential" in line, line
    assert emulator.requests["imds"] >= 1  # it really asked


def test_a_missing_tenant_is_asked_for_by_its_flag(cli: Cli) -> None:
    result = cli("login", "--service-principal", "--application-id", "app",
                 env={"AZCOPY_SPA_CLIENT_SECRET": "x"}, secrets=("x",))  # fmt: skip
    line = _one_error_line(result)
    assert "--service-principal needs --tenant-id (or set AZCOPY_TENANT_ID)" in line
    assert "tenant_id=" not in line
    assert "get_credential" not in line


def test_a_setting_is_named_as_it_was_given(cli: Cli) -> None:
    typed = _one_error_line(cli("login", "--aad-endpoint", "http://login.test"))
    assert "--aad-endpoint must use https" in typed
    assert "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT" not in typed
    # From the environment, the variable is what the person set: its name stays.
    from_env = cli("login", env={"AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": "http://login.test"})
    assert "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT must use https" in _one_error_line(from_env)
    tenant = _one_error_line(cli("login", "--tenant-id", "not a tenant!"))
    assert tenant.startswith("azlogin: error: --tenant-id must be a tenant ID")
    suffix = _one_error_line(cli("login", "--trusted-microsoft-suffixes", "*.com"))
    assert suffix.startswith("azlogin: error: --trusted-microsoft-suffixes: ")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["login", "--bogus"], "unrecognized arguments: --bogus"),
        (["login", "--identity", "--service-principal"],
         "--identity and --service-principal cannot be used together"),
        (["login", "--service-principal"], "--service-principal needs --application-id"),
        (["login", "--service-principal", "--identity-client-id", "x", "--application-id", "a"],
         "--identity-client-id goes with --identity, not with --service-principal"),
        (["login", "--identity", "--tenant-id", "t"],
         "--tenant-id goes with a DEVICE login (no type flag) or --service-principal, "
         "not with --identity"),
        (["login", "--application-id", "x"], "--application-id needs --service-principal"),
        (["login", "--identity", "status"], "--identity: for logging in, not for `login status`"),
    ],
)  # fmt: skip
def test_usage_errors_show_the_login_usage_and_exit_2(
    cli: Cli, flags: list[str], message: str
) -> None:
    result = cli(*flags)
    assert result.returncode == 2
    assert result.stdout == ""
    assert USAGE_LINE.search(result.stderr), result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith(f"azlogin login: error: {message}")


def test_an_unknown_or_abbreviated_option_shows_the_usage_of_its_command(cli: Cli) -> None:
    abbreviated = cli("login", "--tenant", "contoso")  # --tenant is login status's flag
    assert abbreviated.returncode == 2
    assert USAGE_LINE.search(abbreviated.stderr)
    assert "azlogin login: error: " in abbreviated.stderr
    result = cli("login", "status", "--bogus")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: azlogin login status [-h]")
    assert result.stderr.rstrip().endswith("azlogin login status: error: unrecognized arguments: "
                                           "--bogus")  # fmt: skip


def test_common_options_work_before_or_after_the_subcommand(cli: Cli) -> None:
    for args in (
        ["--output-type", "json", "login", "status"],
        ["login", "--output-type", "json", "status"],
        ["login", "status", "--output-type", "json"],
        ["--debug", "login", "status", "--output-type", "json"],
        ["login", "--debug", "status", "--output-type", "json"],
    ):
        result = cli(*args)
        assert result.returncode == 1, args  # not logged in
        assert json.loads(result.stdout)["error"] == "not logged in", args


def test_debug_before_or_after_the_subcommand_shows_log_records(
    cli: Cli, emulator: EntraEmulator
) -> None:
    cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    quiet = cli("login", "status")
    assert (quiet.returncode, quiet.stderr) == (0, "")
    for args in (["--debug", "login", "status"], ["login", "status", "--debug"]):
        result = cli(*args)
        assert result.returncode == 0
        assert "DEBUG azlogin.persistence: Token store: " in result.stderr, args


def test_output_type_before_env_and_logout(cli: Cli) -> None:
    rows = json.loads(cli("--output-type", "json", "env").stdout)
    assert rows[0]["name"] == "AZCOPY_AUTO_LOGIN_TYPE"
    assert json.loads(cli("--output-type", "json", "logout").stdout)["removed"] is False


def test_a_closed_pipe_is_a_quiet_exit_141(cli: Cli) -> None:
    read, write = os.pipe()
    os.close(read)  # as `azlogin env | head -1` once head has gone
    try:
        result = subprocess.run(
            [str(CONSOLE_SCRIPT), "env"], env=cli.env, stdout=write, stderr=subprocess.PIPE,
            text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")
