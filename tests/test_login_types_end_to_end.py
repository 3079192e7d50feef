"""Every login type, end to end: get_credential builds a real azure-identity credential that
gets a token from the loopback EntraEmulator over HTTPS (or its IMDS / App Service endpoint)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

import azlogin
from azlogin.testing import EntraEmulator
from tests.support import SECRET, managed_identity_env

STORAGE_AUDIENCE = "https://storage.azure.com"


def _claims_of(credential: azlogin.Credential, emulator: EntraEmulator) -> dict[str, object]:
    info = credential.get_token_info()
    claims = emulator.decode(info.token)
    assert claims["aud"] == STORAGE_AUDIENCE
    assert str(claims["iss"]).startswith("https://sts.windows.net/")
    # The client adds expires_in to its own clock. Depending on the flow it reads that clock
    # before the request (up to a second early) or after the response (up to a second late).
    assert abs(int(claims["exp"]) - info.expires_on) <= 2
    return claims


def test_spn_with_client_secret(emulator: EntraEmulator) -> None:
    env = emulator.env("SPN")
    credential = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    claims = _claims_of(credential, emulator)
    assert claims["appid"] == emulator.client_id
    assert claims["tid"] == emulator.tenant_id
    assert emulator.requests["token"] == 1
    assert emulator.token_requests[0]["auth"] == "secret"


def test_spn_with_a_wrong_secret_fails_as_client_authentication_error(
    emulator: EntraEmulator,
) -> None:
    env = {**emulator.env("SPN"), "AZCOPY_SPA_CLIENT_SECRET": SECRET}
    credential = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token()
    assert "AADSTS7000215" in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("kind", ["pem", "pem_encrypted", "pkcs12"])
def test_spn_with_certificate(
    kind: str, emulator: EntraEmulator, certificates: dict[str, str]
) -> None:
    password = None if kind == "pem" else SECRET
    env = emulator.env("SPN", certificate_path=certificates[kind], certificate_password=password)
    assert "AZCOPY_SPA_CLIENT_SECRET" not in env
    credential = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    claims = _claims_of(credential, emulator)
    assert claims["appid"] == emulator.client_id
    assert [request["auth"] for request in emulator.token_requests] == ["assertion"]


def test_certificate_beats_a_secret_when_both_are_set(
    emulator: EntraEmulator, certificates: dict[str, str]
) -> None:
    env = {
        **emulator.env("SPN"),
        "AZCOPY_SPA_CERT_PATH": certificates["pkcs12"],
        "AZCOPY_SPA_CERT_PASSWORD": SECRET,
    }
    credential = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    _claims_of(credential, emulator)
    assert [request["auth"] for request in emulator.token_requests] == ["assertion"]


def test_device_code_completes_after_one_pending_poll(emulator: EntraEmulator) -> None:
    prompts: list[tuple[str, str, datetime]] = []
    env = emulator.env("DEVICE")
    credential = azlogin.get_credential(
        env,
        connection_verify=emulator.ca_path,
        prompt_callback=lambda uri, code, expires: prompts.append((uri, code, expires)),
    )
    claims = _claims_of(credential, emulator)
    assert len(prompts) == 1
    assert prompts[0][0].startswith(emulator.authority)
    assert emulator.requests["devicecode"] == 1
    assert emulator.requests["token"] == 2  # one "authorization_pending", then the token
    requests = emulator.token_requests
    assert {request["client_id"] for request in requests} == {
        "579a7132-0e58-4d80-b1e1-7a1e2d337859"
    }
    assert claims["tid"] == emulator.tenant_id


def test_device_code_prompt_goes_to_stderr_by_default(
    emulator: EntraEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**emulator.env("DEVICE"), "AZCOPY_TENANT_ID": ""}  # unset: "common"
    credential = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    credential.get_token()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "enter the code" in captured.err
    assert emulator.authority in captured.err
    assert emulator.token_requests[0]["tenant"] == "common"


MSI_CASES = [
    pytest.param(via, identity, id=f"{via}-{identity or 'system'}")
    for via in ("imds", "app_service")
    for identity in (None, "client_id", "object_id", "resource_id")
]


@pytest.mark.parametrize(("via", "identity"), MSI_CASES)
def test_managed_identity(
    via: str,
    identity: str | None,
    emulator: EntraEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = managed_identity_env(emulator.env("MSI", via=via, identity=identity), monkeypatch)
    credential = azlogin.get_credential(env)
    claims = _claims_of(credential, emulator)
    expected_oid = emulator.msi_object_id if identity else emulator.system_identity_object_id
    assert claims["oid"] == expected_oid
    assert emulator.requests[via] == 1
    assert sum(emulator.requests.values()) == 1


def test_managed_identity_by_keyword_beats_the_variable(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = managed_identity_env(emulator.env("MSI", identity="client_id"), monkeypatch)
    env["AZCOPY_MSI_CLIENT_ID"] = "not-a-known-identity"
    credential = azlogin.get_credential(env, identity_client_id=emulator.msi_client_id)
    assert _claims_of(credential, emulator)["oid"] == emulator.msi_object_id


def test_unknown_managed_identity_fails_as_client_authentication_error(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = managed_identity_env(emulator.env("MSI"), monkeypatch)
    credential = azlogin.get_credential(env, identity_object_id="no-such-identity")
    with pytest.raises(ClientAuthenticationError):
        credential.get_token()


def test_workload_identity(emulator: EntraEmulator, tmp_path: Path) -> None:
    token_file = emulator.write_federated_token(tmp_path / "token")
    env = emulator.env("WORKLOAD", token_file=token_file)
    credential = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    claims = _claims_of(credential, emulator)
    assert claims["appid"] == emulator.client_id
    assert [request["auth"] for request in emulator.token_requests] == ["federated"]


@pytest.mark.parametrize("login_type", ["AZCLI", "PSCRED"])
@pytest.mark.parametrize("tenant", ["", "common", "COMMON", "a1b2c3d4-0000-4000-8000-00000000abcd"])
def test_tool_logins_use_the_tool_on_path(
    login_type: str, tenant: str, emulator: EntraEmulator, standins_on_path: Path
) -> None:
    env = {**emulator.env(login_type), "AZCOPY_TENANT_ID": tenant}
    credential = azlogin.get_credential(env)
    claims = _claims_of(credential, emulator)
    # "common" (or unset) means the tool's own tenant: no --tenant / -TenantId is passed.
    own = tenant.lower() in ("", "common")
    assert claims["tid"] == (emulator.tenant_id if own else tenant)
    assert emulator.requests["cli"] == 1


def test_get_token_returns_an_access_token(emulator: EntraEmulator) -> None:
    credential = azlogin.get_credential(emulator.env("SPN"), connection_verify=emulator.ca_path)
    token = credential.get_token("https://storage.azure.com/.default")
    assert isinstance(token, AccessToken)
    assert emulator.decode(token.token)["aud"] == STORAGE_AUDIENCE


def test_other_scopes_are_passed_through(emulator: EntraEmulator) -> None:
    credential = azlogin.get_credential(emulator.env("SPN"), connection_verify=emulator.ca_path)
    token = credential.get_token_info("https://management.azure.com/.default")
    assert emulator.decode(token.token)["aud"] == "https://management.azure.com"
