"""EntraEmulator.env() is generated from the login-type table: for every row it names only that
row's variables (and, for a managed identity, the platform's endpoint), and what it gives
signs in for real through azlogin.get_credential."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import azlogin
from azlogin._config.login_types import LOGIN_TYPES, LoginType
from azlogin.testing import EntraEmulator
from tests.support import PLATFORM_VARIABLES

ROWS = pytest.mark.parametrize("row", LOGIN_TYPES, ids=[row.name for row in LOGIN_TYPES])
# The settings the emulator has a value of its own for: a row's variable of one is always set.
SUPPLIED = {"tenant_id", "aad_endpoint", "application_id", "client_secret", "federated_token_file"}


@ROWS
def test_env_names_the_rows_variables_only(row: LoginType, entra_emulator: EntraEmulator) -> None:
    env = entra_emulator.env(row.name.lower())
    assert env["AZCOPY_AUTO_LOGIN_TYPE"] == row.name
    own = {variable.name for variable in row.variables}
    assert set(env) - {"AZCOPY_AUTO_LOGIN_TYPE"} <= own | set(PLATFORM_VARIABLES)
    supplied = {variable.name for variable in row.variables if variable.setting in SUPPLIED}
    assert supplied <= set(env)


@ROWS
def test_env_signs_in_end_to_end(
    row: LoginType,
    entra_emulator: EntraEmulator,
    cli_standins: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = entra_emulator.env(row.name)
    for name in PLATFORM_VARIABLES:  # azure-identity reads the platform's from os.environ
        if name in env:
            monkeypatch.setenv(name, env.pop(name))
        else:
            monkeypatch.delenv(name, raising=False)
    keywords: dict[str, Any] = {"connection_verify": entra_emulator.ca_path, "token_store": "none"}
    if row.name == "DEVICE":
        keywords["prompt_callback"] = lambda uri, code, expires: None
    token = azlogin.get_credential(env, **keywords).get_token()
    claims = entra_emulator.decode(token.token)
    assert claims["aud"] == "https://storage.azure.com"
    assert claims["tid"] == entra_emulator.tenant_id


@pytest.mark.parametrize(
    ("identity", "variable", "attribute"),
    [
        ("client_id", "AZCOPY_MSI_CLIENT_ID", "msi_client_id"),
        ("object_id", "AZCOPY_MSI_OBJECT_ID", "msi_object_id"),
        ("resource_id", "AZCOPY_MSI_RESOURCE_STRING", "msi_resource_id"),
    ],
)
def test_msi_names_the_user_assigned_identity_one_way(
    entra_emulator: EntraEmulator, identity: str, variable: str, attribute: str
) -> None:
    env = entra_emulator.env("MSI", via="app_service", identity=identity)
    assert {name for name in env if name.startswith("AZCOPY_MSI_")} == {variable}
    assert env[variable] == getattr(entra_emulator, attribute)
    assert env["IDENTITY_ENDPOINT"] == entra_emulator.app_service_endpoint


def test_options_are_the_settings_keywords(entra_emulator: EntraEmulator) -> None:
    spn = entra_emulator.env("SPN", tenant_id="other", client_secret="wrong")
    assert (spn["AZCOPY_TENANT_ID"], spn["AZCOPY_SPA_CLIENT_SECRET"]) == ("other", "wrong")
    workload = entra_emulator.env("WORKLOAD", federated_token_file="/var/run/token")
    assert workload["AZURE_FEDERATED_TOKEN_FILE"] == "/var/run/token"
    with pytest.raises(ValueError, match=r"unknown option\(s\) for DEVICE: via; expected some of"):
        entra_emulator.env("DEVICE", via="imds")
    with pytest.raises(ValueError, match="unknown option"):
        entra_emulator.env("AZCLI", token_file="/t")
