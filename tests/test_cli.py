"""The real `azlogin` console script in subprocesses, against EntraEmulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from azure.identity import AuthenticationRequiredError

import azlogin
from azlogin._config.variables import VARIABLES
from azlogin.testing import EntraEmulator
from tests.support import SECRET

CONSOLE_SCRIPT = Path(sys.executable).parent / "azlogin"


class Cli:
    """Runs the console script with this test's HOME and the emulator's CA; remembers every
    output so that no secret can slip through unnoticed."""

    def __init__(self, emulator: EntraEmulator, home: Path) -> None:
        assert CONSOLE_SCRIPT.exists(), "install the package (pip install -e .) for its script"
        self.emulator = emulator
        self.env = {
            **os.environ,
            "HOME": str(home),
            "REQUESTS_CA_BUNDLE": emulator.ca_path,  # how a user trusts a private CA
            "COLUMNS": "100",
        }
        for name in list(self.env):
            if name.startswith(("AZCOPY_", "AZURE_", "IDENTITY_")):
                del self.env[name]

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, secrets: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(CONSOLE_SCRIPT), *args], env={**self.env, **(env or {})}, text=True,
            capture_output=True, stdin=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip
        for secret in (SECRET, self.emulator.client_secret, *secrets):
            assert secret not in result.stdout + result.stderr, f"secret leaked by {args}"
        return result


def spn_flags(emulator: EntraEmulator) -> list[str]:
    return ["login", "--service-principal", "--application-id", emulator.client_id,
            "--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority]  # fmt: skip


def _status(cli: Cli) -> dict[str, object]:
    result = cli("login", "status", "--output-type", "json")
    data: dict[str, object] = json.loads(result.stdout)
    assert result.returncode == (0 if data["valid"] else 1)
    return data


def test_status_and_logout_without_a_login(cli: Cli) -> None:
    result = cli("login", "status")
    assert result.returncode == 1
    assert "Not logged in: run `azlogin login`." in result.stdout
    assert "Token store: encrypted files in" in result.stdout
    data = _status(cli)
    assert data["valid"] is False
    assert data["error"] == "not logged in"
    logout = cli("logout")
    assert logout.returncode == 0
    assert "Nothing to remove" in logout.stdout


def test_service_principal_with_a_secret(cli: Cli, emulator: EntraEmulator) -> None:
    secret = {"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret}
    result = cli(*spn_flags(emulator), env=secret)
    assert result.returncode == 0, result.stderr
    assert "Login succeeded: service principal" in result.stdout
    assert emulator.requests["token"] == 1  # verified before it was saved

    status = cli("login", "status", "--tenant", "--endpoint", "--method")
    assert status.returncode == 0
    assert "Your login session is valid" in status.stdout
    assert f"Tenant ID: {emulator.tenant_id}" in status.stdout
    assert f"Active directory endpoint: {emulator.authority}" in status.stdout
    assert "Login method: service principal (SPN)" in status.stdout
    plain = cli("login", "status")
    assert "Tenant ID" not in plain.stdout

    data = _status(cli)
    assert data["valid"] is True
    assert data["login_type"] == "SPN"
    assert data["tenant_id"] == emulator.tenant_id
    assert data["endpoint"] == emulator.authority
    assert isinstance(data["expires_on"], int)
    assert emulator.requests["token"] == 1  # status used the stored token

    assert "Logged out: removed the saved SPN login" in cli("logout").stdout
    assert "Nothing to remove" in cli("logout").stdout
    assert _status(cli)["valid"] is False


def test_service_principal_with_a_certificate(
    cli: Cli, emulator: EntraEmulator, certificates: dict[str, str]
) -> None:
    flags = [*spn_flags(emulator), "--certificate-path", certificates["pkcs12"]]
    result = cli(*flags, env={"AZCOPY_SPA_CERT_PASSWORD": SECRET}, secrets=(SECRET,))
    assert result.returncode == 0, result.stderr
    assert [request["auth"] for request in emulator.token_requests] == ["assertion"]
    assert _status(cli)["valid"] is True


def test_a_saved_login_is_what_get_credential_uses(cli: Cli, emulator: EntraEmulator) -> None:
    with pytest.raises(azlogin.NotLoggedInError, match="azlogin login"):
        azlogin.get_credential({})
    cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    emulator.reset()
    credential = azlogin.get_credential({})
    assert credential.login_type == "SPN"
    assert credential.get_token().token
    assert emulator.requests["token"] == 0  # the token the login stored
    explicit = azlogin.get_credential({"AZCOPY_AUTO_LOGIN_TYPE": "MSI"})
    assert explicit.login_type == "MSI"  # an explicit login type always wins


def test_the_trusted_suffixes_flag_is_saved_with_the_login(
    cli: Cli, emulator: EntraEmulator
) -> None:
    flags = [*spn_flags(emulator), "--trusted-microsoft-suffixes", "*.contoso.test;127.0.0.1"]
    cli(*flags, env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    suffixes = azlogin.get_credential({}).trusted_suffixes
    assert suffixes.is_trusted("https://acct.contoso.test/")
    assert suffixes.is_trusted("127.0.0.1:10000")


@pytest.mark.parametrize("identity", [None, "client_id", "object_id", "resource_id"])
def test_managed_identity(cli: Cli, emulator: EntraEmulator, identity: str | None) -> None:
    platform = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.imds_endpoint}
    flags = ["login", "--identity"]
    if identity:
        value = getattr(emulator, {"client_id": "msi_client_id", "object_id": "msi_object_id",
                                   "resource_id": "msi_resource_id"}[identity])  # fmt: skip
        flags += [f"--identity-{identity.replace('_', '-')}", value]
    result = cli(*flags, env=platform)
    assert result.returncode == 0, result.stderr
    assert "Login succeeded: managed identity" in result.stdout
    assert emulator.requests["imds"] == 1
    data = json.loads(cli("login", "status", "--output-type", "json", env=platform).stdout)
    assert data["valid"] is True
    assert data["login_type"] == "MSI"


def test_device_login_completes_then_later_runs_are_silent(
    cli: Cli, emulator: EntraEmulator
) -> None:
    result = cli("login", "--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority)
    assert result.returncode == 0, result.stderr
    assert "enter the code" in result.stderr  # the prompt, on stderr
    assert "Login succeeded: device code" in result.stdout
    emulator.reset()
    credential = azlogin.get_credential({}, connection_verify=emulator.ca_path)
    token = credential.get_token("https://management.azure.com/.default")
    assert emulator.decode(token.token)["aud"] == "https://management.azure.com"
    assert emulator.requests["devicecode"] == 0  # nobody was asked again

    assert emulator.revoke_refresh_tokens() >= 1
    # A typed error: "log in again", not "Entra ID is down" (still a ClientAuthenticationError).
    with pytest.raises(AuthenticationRequiredError, match="run `azlogin login` again"):
        azlogin.get_credential({}, connection_verify=emulator.ca_path).get_token(
            "https://graph.microsoft.com/.default"
        )
    assert emulator.requests["devicecode"] == 0  # a saved login never prompts


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["login", "--service-principal", "--application-id", "x", "--tenant-id", "t"],
         "AZCOPY_SPA_CLIENT_SECRET"),
        (["login", "--aad-endpoint", "http://login.test"], "--aad-endpoint must use https"),
    ],
)  # fmt: skip
def test_errors_are_one_line_on_stderr(cli: Cli, flags: list[str], fragment: str) -> None:
    result = cli(*flags)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("azlogin: error: ")
    assert fragment in result.stderr
    debug = cli(*flags, "--debug")
    assert "Traceback" in debug.stderr


def test_a_wrong_secret_fails_and_saves_nothing(cli: Cli, emulator: EntraEmulator) -> None:
    result = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": SECRET})
    assert result.returncode == 1
    assert "AADSTS7000215" in result.stderr
    assert _status(cli)["error"] == "not logged in"


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("login", "--output-type", "yaml").returncode == 2
    assert cli().returncode == 2
    assert cli("--version").stdout.startswith("azlogin ")


def test_env_lists_every_variable_and_redacts_secrets(cli: Cli) -> None:
    env = {"AZCOPY_SPA_CLIENT_SECRET": SECRET, "AZLOGIN_STORE_PASSPHRASE": SECRET,
           "AZCOPY_TENANT_ID": "contoso"}  # fmt: skip
    text = cli("env", env=env).stdout
    assert "AZCOPY_SPA_CLIENT_SECRET = REDACTED" in text
    assert "AZLOGIN_STORE_PASSPHRASE = REDACTED" in text
    assert "AZCOPY_TENANT_ID = contoso" in text
    rows = json.loads(cli("env", "--output-type", "json", env=env).stdout)
    names = [row["name"] for row in rows]
    assert names == [variable.name for variable in VARIABLES]
    shown = subprocess.run(
        [str(CONSOLE_SCRIPT), "env", "--show-sensitive"], env={**cli.env, **env},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"AZCOPY_SPA_CLIENT_SECRET = {SECRET}" in shown


def test_python_dash_m_is_the_same_cli(cli: Cli) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "azlogin", "login", "status", "--output-type", "json"],
        env=cli.env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert json.loads(result.stdout)["valid"] is False


def test_token_prints_the_saved_logins_token_then_serves_it_from_the_store(
    cli: Cli, emulator: EntraEmulator
) -> None:
    login = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    assert login.returncode == 0, login.stderr
    emulator.reset()
    text = cli("token")
    assert text.returncode == 0, text.stderr
    token = text.stdout.strip()
    assert "\n" not in token
    assert emulator.decode(token)["aud"] == "https://storage.azure.com"
    data = json.loads(cli("token", "--output-type", "json").stdout)
    assert set(data) == {"accessToken", "expiresOn", "expires_on", "tenant", "tokenType"}
    assert data["accessToken"] == token
    assert data["tenant"] == emulator.tenant_id
    assert data["tokenType"] == "Bearer"
    assert sum(emulator.requests.values()) == 0  # both from the store: no network request
    other = cli("token", "--scope", "https://management.azure.com/.default")
    assert emulator.decode(other.stdout.strip())["aud"] == "https://management.azure.com"


def test_token_without_a_login_is_one_line_and_exit_1(cli: Cli) -> None:
    result = cli("token")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("azlogin: error: No login is configured")
