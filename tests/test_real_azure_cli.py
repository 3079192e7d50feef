"""AZCLI against the real Azure CLI (azure-cli from PyPI, in its own virtualenv), signed in to
EntraEmulator as a service principal. Run by ``nox -s azure_cli``, which installs the CLI and
sets AZLOGIN_AZURE_CLI; the default test run deselects the ``azure_cli`` marker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import azlogin
from azlogin import storage
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite

pytestmark = pytest.mark.azure_cli

CLOUD = "AzloginEmulator"
EXPLICIT = "the emulator's tenant, passed as --tenant"


@pytest.fixture(scope="module")
def az_binary() -> str:
    path = os.environ.get("AZLOGIN_AZURE_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("Set AZLOGIN_AZURE_CLI to a real `az` (nox -s azure_cli does this).")
    return path


@pytest.fixture
def logged_in_az(
    az_binary: str, emulator: EntraEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real CLI, first on PATH, logged in to the emulator in a private config folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").symlink_to(Path(az_binary).resolve())
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "azure-config"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)  # the CLI trusts the emulator's CA
    monkeypatch.setenv("AZURE_CORE_COLLECT_TELEMETRY", "false")

    def az(*args: str) -> None:
        result = subprocess.run(["az", *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr.replace(emulator.client_secret, "***")

    az("config", "set", "core.instance_discovery=false", "core.collect_telemetry=false")
    az(
        "cloud", "register", "-n", CLOUD, "--skip-endpoint-discovery",
        "--endpoint-active-directory", emulator.authority,
        "--endpoint-resource-manager", emulator.authority + "/",
        "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
        "--endpoint-active-directory-graph-resource-id", "https://graph.windows.net/",
        "--suffix-storage-endpoint", "core.windows.net",
    )  # fmt: skip
    az("cloud", "set", "-n", CLOUD)
    az(
        "login", "--service-principal", "-u", emulator.client_id,
        "-p", emulator.client_secret, "--tenant", emulator.tenant_id,
    )  # fmt: skip
    emulator.reset()


@pytest.mark.usefixtures("logged_in_az")
@pytest.mark.parametrize("tenant", ["", "common", EXPLICIT])
def test_azcli_uses_the_real_cli_login(tenant: str, emulator: EntraEmulator) -> None:
    tenant_id = emulator.tenant_id if tenant == EXPLICIT else tenant
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "azcli", "AZCOPY_TENANT_ID": tenant_id}
    token = azlogin.get_credential(env).get_token_info()
    claims = emulator.decode(token.token)
    assert claims["aud"] == "https://storage.azure.com"
    assert claims["appid"] == emulator.client_id  # the CLI's service-principal login
    assert claims["tid"] == emulator.tenant_id
    assert emulator.requests["token"] == 1  # the real CLI asked the emulator


@pytest.mark.usefixtures("logged_in_az")
def test_azcli_round_trip_through_azurite(emulator: EntraEmulator, azurite: Azurite) -> None:
    client = storage.blob_service_client(
        azurite.account_url,
        env={"AZCOPY_AUTO_LOGIN_TYPE": "AZCLI"},
        trusted_microsoft_suffixes="127.0.0.1",
        connection_verify=emulator.ca_path,
    )
    container = client.create_container("realcli")
    container.upload_blob("b.txt", b"from the real az")
    assert container.download_blob("b.txt").readall() == b"from the real az"
    client.delete_container("realcli")
    assert emulator.requests["token"] == 1
