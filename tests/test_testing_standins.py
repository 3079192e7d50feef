"""The `az` and `pwsh` stand-ins: their program (azlogin.testing._cli_standin) run in this
process against the real emulator, its command-line parsing, and the thin executables that
run it without importing azlogin."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from azlogin.testing import EntraEmulator, _cli_standin
from azlogin.testing._cli_standin import Config, StandinError, az_request, main, pwsh_request
from azlogin.testing._standins import render_standin
from azlogin.testing.emulator import AZURE_CLI_CLIENT_ID, AZURE_POWERSHELL_CLIENT_ID

STORAGE = "https://storage.azure.com"
GET_TOKEN = ["account", "get-access-token", "--output", "json"]


def _config(emulator: EntraEmulator, tool: str) -> Config:
    return Config(tool, emulator.authority, emulator.ca_path, emulator.tenant_id, "sub-1")


def _run(config: Config | str, args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(config, args, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _encoded(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def test_az_prints_what_the_real_az_prints(entra_emulator: EntraEmulator) -> None:
    args = [*GET_TOKEN, "--resource", STORAGE, "--tenant", "t2", "--only-show-errors"]
    status, out, err = _run(_config(entra_emulator, "az"), args)
    assert (status, err) == (0, "")
    document = json.loads(out)
    claims = entra_emulator.decode(document["accessToken"])
    assert (claims["aud"], claims["tid"], claims["appid"]) == (STORAGE, "t2", AZURE_CLI_CLIENT_ID)
    assert document["expires_on"] == claims["exp"]
    assert (document["subscription"], document["tenant"], document["tokenType"]) == (
        "sub-1",
        "t2",
        "Bearer",
    )
    assert entra_emulator.requests == {"cli": 1}


def test_pwsh_prints_the_azsdk_line(entra_emulator: EntraEmulator) -> None:
    script = f"Get-AzAccessToken -ResourceUrl '{STORAGE}'"
    config_json = json.dumps(_config(entra_emulator, "pwsh")._asdict())
    status, out, _ = _run(config_json, ["-NoProfile", "-EncodedCommand", _encoded(script)])
    assert status == 0
    [line] = [item for item in out.split() if item.startswith("azsdk%")]
    _, token, expires_on = line.split("%")
    claims = entra_emulator.decode(token)
    assert (claims["appid"], claims["tid"]) == (
        AZURE_POWERSHELL_CLIENT_ID,
        entra_emulator.tenant_id,
    )
    assert claims["exp"] == int(expires_on)


def test_an_emulator_error_reads_as_a_logged_out_tool(entra_emulator: EntraEmulator) -> None:
    entra_emulator.fail("cli", status=400, body={"error_description": "Please run 'az login'."})
    status, out, err = _run(_config(entra_emulator, "az"), [*GET_TOKEN, "--resource", STORAGE])
    assert (status, out, err) == (1, "", "ERROR: Please run 'az login'.\n")


@pytest.mark.parametrize(
    "change",
    [{"authority": "https://127.0.0.1:9"}, {"ca_path": "/nonexistent/ca.pem"}],
    ids=["nothing-listens", "emulator-stopped-its-ca-file-is-gone"],
)
def test_an_unreachable_emulator_is_a_plain_error(
    entra_emulator: EntraEmulator, change: dict[str, str]
) -> None:
    config = _config(entra_emulator, "pwsh")._replace(**change)
    script = f"Get-AzAccessToken -ResourceUrl '{STORAGE}'"
    status, _, err = _run(config, ["-Command", script])
    assert status == 1
    assert err.startswith("Get-AzAccessToken: cannot reach the Entra emulator:")
    assert entra_emulator.requests == {}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([*GET_TOKEN, "--resource", "r"], ("r", "home", "")),
        (
            [*GET_TOKEN, "--scope", "https://vault.azure.net/.default", "-t", "t"],
            ("https://vault.azure.net", "t", ""),
        ),
        (
            ["account", "get-access-token", "-s", "sub"],
            ("https://management.core.windows.net/", "home", "sub"),
        ),
    ],
    ids=["resource", "scope-and-tenant", "default-resource"],
)
def test_az_command_lines(args: list[str], expected: tuple[str, str, str]) -> None:
    assert tuple(az_request(args, "home")) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["login"], "'az login' is not supported by the azlogin test stand-in."),
        ([*GET_TOKEN, "--resource"], "unrecognized arguments: --resource"),
        ([*GET_TOKEN, "--bogus", "x"], "unrecognized arguments: --bogus x"),
        (["account", "get-access-token", "-o", "tsv"], "the stand-in only prints --output json"),
    ],
)
def test_az_refuses_what_it_does_not_answer(args: list[str], message: str) -> None:
    with pytest.raises(StandinError) as caught:
        az_request(args, "home")
    assert (str(caught.value), caught.value.status) == (message, _cli_standin.AZ_USAGE_ERROR)


def test_pwsh_reads_resource_and_tenant_from_the_script() -> None:
    script = "$tenantId = 'abc'\n$t = Get-AzAccessToken -ResourceUrl 'https://vault.azure.net'"
    assert tuple(pwsh_request(["-enc", _encoded(script)], "home"))[:2] == (
        "https://vault.azure.net",
        "abc",
    )
    hashtable = "$p = @{ 'ResourceUrl' = 'https://r'; 'TenantId' = 't' }; Get-AzAccessToken @p"
    assert tuple(pwsh_request(["-Command", hashtable], "home"))[:2] == ("https://r", "t")


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["-NoProfile"], "only runs Get-AzAccessToken scripts", 64),
        (["-Command", "Get-Date"], "only runs Get-AzAccessToken scripts", 64),
        (["-EncodedCommand", "not base64!"], "-EncodedCommand is not base64", 1),
        (["-Command", "Get-AzAccessToken"], "Get-AzAccessToken: no ResourceUrl given.", 1),
    ],
)
def test_pwsh_refuses_what_it_does_not_answer(args: list[str], message: str, status: int) -> None:
    with pytest.raises(StandinError, match=message) as caught:
        pwsh_request(args, "home")
    assert caught.value.status == status


def test_the_executables_run_the_program_without_importing_azlogin(
    entra_emulator: EntraEmulator, cli_standins: Path
) -> None:
    command = [sys.executable, "-X", "importtime", str(cli_standins / "az"), *GET_TOKEN]
    done = subprocess.run(
        [*command, "--resource", STORAGE], capture_output=True, text=True, check=True, timeout=60
    )
    assert entra_emulator.decode(json.loads(done.stdout)["accessToken"])["aud"] == STORAGE
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "urllib.request" in imported  # the program's own imports
    assert not [name for name in imported if name.startswith("azlogin.")]


def test_an_executable_is_a_shebang_and_a_loader(tmp_path: Path) -> None:
    source = render_standin(
        "pwsh",
        authority="https://127.0.0.1:1",
        ca_path="/ca.pem",
        tenant_id="t",
        subscription_id="s",
    )
    assert source.startswith(f"#!{sys.executable}\n")
    assert repr(str(Path(_cli_standin.__file__).resolve())) in source
    assert len(source.splitlines()) < 15
    compile(source, "pwsh", "exec")
    with pytest.raises(ValueError, match="unknown stand-in 'bash'"):
        render_standin("bash", authority="", ca_path="", tenant_id="", subscription_id="")
