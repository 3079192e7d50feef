"""The loopback Entra emulator, driven by real azure-identity credentials and raw HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    AzureCliCredential,
    AzurePowerShellCredential,
    CertificateCredential,
    ClientSecretCredential,
    CredentialUnavailableError,
    DeviceCodeCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from azlogin.testing import _jwt
from azlogin.testing._certificates import new_certificate
from azlogin.testing.emulator import (
    AZURE_CLI_CLIENT_ID,
    AZURE_POWERSHELL_CLIENT_ID,
    EntraEmulator,
)

STORAGE_SCOPE = "https://storage.azure.com/.default"
STORAGE = "https://storage.azure.com"
DEVICE_CLIENT_ID = "579a7132-0e58-4d80-b1e1-7a1e2d337859"
PASSWORD = "pfx-Password-That-Must-Never-Leak"
OTHER_TENANT = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
IDENTITY_VARIABLES = (
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_CLIENT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
)


# --------------------------------------------------------------------------- helpers


def _entra(emu: EntraEmulator) -> dict[str, Any]:
    """The keyword arguments that point an Entra credential at the emulator."""
    return {
        "authority": emu.authority,
        "disable_instance_discovery": True,
        "connection_verify": emu.ca_path,
    }


def _secret_credential(emu: EntraEmulator, **kwargs: Any) -> ClientSecretCredential:
    return ClientSecretCredential(
        emu.tenant_id, emu.client_id, emu.client_secret, **_entra(emu), **kwargs
    )


def _call(
    emu: EntraEmulator,
    method: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    tls: bool = True,
) -> tuple[int, http.client.HTTPResponse, dict[str, Any]]:
    """Send one raw request; return the status, the response and its JSON body."""
    base = emu.authority if tls else emu.imds_endpoint
    port = urlsplit(base).port
    assert port is not None
    connection: http.client.HTTPConnection
    if tls:
        context = ssl.create_default_context(cafile=emu.ca_path)
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = urlencode(form) if form is not None else None
    all_headers = dict(headers or {})
    if form is not None:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        payload = json.loads(response.read().decode("utf-8"))
    finally:
        connection.close()
    return response.status, response, payload


def _self_signed(tmp_path: Path) -> Path:
    """A certificate the emulator has never seen, with its key, as PEM."""
    _, data = new_certificate("stranger", fmt="pem", password=None, include_key=True)
    path = tmp_path / "stranger.pem"
    path.write_bytes(data)
    return path


@pytest.fixture
def identity_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A process environment without any managed identity platform variables."""
    for name in IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --------------------------------------------------------------------------- client secret


def test_client_secret_credential_gets_a_storage_token(emulator: EntraEmulator) -> None:
    before = int(time.time())
    token = _secret_credential(emulator).get_token(STORAGE_SCOPE)

    claims = emulator.decode(token.token)
    assert claims["aud"] == STORAGE
    assert claims["iss"] == f"https://sts.windows.net/{emulator.tenant_id}/"
    assert claims["tid"] == emulator.tenant_id
    assert claims["appid"] == emulator.client_id
    assert claims["oid"] == emulator.sp_object_id
    # azure-identity adds expires_in to its own clock, read before the request: allow a tick.
    assert 0 <= claims["exp"] - token.expires_on <= 2
    assert before + 3600 <= token.expires_on <= int(time.time()) + 3600
    assert _jwt.decode_header(token.token)["alg"] == "RS256"
    assert emulator.requests == {"openid-configuration": 1, "token": 1}
    assert emulator.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": emulator.client_id,
            "scope": STORAGE_SCOPE,
            "tenant": emulator.tenant_id,
            "auth": "secret",
        }
    ]


def test_wrong_client_secret_is_rejected_without_echoing_it(emulator: EntraEmulator) -> None:
    wrong = "Wrong-Secret-" + uuid.uuid4().hex
    credential = ClientSecretCredential(
        emulator.tenant_id, emulator.client_id, wrong, **_entra(emulator)
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(STORAGE_SCOPE)

    assert "AADSTS7000215" in str(caught.value)
    assert wrong not in str(caught.value)
    assert emulator.client_secret not in str(caught.value)
    assert wrong not in json.dumps(emulator.token_requests)
    assert emulator.requests["token"] == 1


def test_client_credentials_need_a_default_scope(emulator: EntraEmulator) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "scope": "https://storage.azure.com/user_impersonation",
    }
    status, _, body = _call(emulator, "POST", f"/{emulator.tenant_id}/oauth2/v2.0/token", form=form)
    assert (status, body["error"]) == (400, "invalid_scope")
    assert emulator.client_secret not in json.dumps(body)


def test_unknown_client_and_grant_type_are_rejected(emulator: EntraEmulator) -> None:
    path = f"/{emulator.tenant_id}/oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": str(uuid.uuid4()), "scope": "x"}
    status, _, body = _call(emulator, "POST", path, form=form)
    assert (status, body["error"]) == (400, "unauthorized_client")

    status, _, body = _call(emulator, "POST", path, form={"grant_type": "password"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    assert [r["auth"] for r in emulator.token_requests] == ["none", "none"]


# --------------------------------------------------------------------------- certificates


@pytest.mark.parametrize(
    ("fmt", "password", "as_data"),
    [("pem", None, False), ("pem", PASSWORD, False), ("pkcs12", PASSWORD, True)],
    ids=["pem", "pem-encrypted", "pkcs12-data"],
)
def test_certificate_credential(
    emulator: EntraEmulator, tmp_path: Path, fmt: str, password: str | None, as_data: bool
) -> None:
    path = emulator.write_certificate(tmp_path / f"cert.{fmt}", fmt=fmt, password=password)
    source: dict[str, Any] = (
        {"certificate_data": Path(path).read_bytes()} if as_data else {"certificate_path": path}
    )
    credential = CertificateCredential(
        emulator.tenant_id, emulator.client_id, password=password, **source, **_entra(emulator)
    )
    token = credential.get_token(STORAGE_SCOPE)

    assert emulator.decode(token.token)["appid"] == emulator.client_id
    assert [r["auth"] for r in emulator.token_requests] == ["assertion"]
    assert PASSWORD not in json.dumps(emulator.token_requests)


def test_certificate_files_have_the_requested_shape(
    emulator: EntraEmulator, tmp_path: Path
) -> None:
    encrypted = Path(emulator.write_certificate(tmp_path / "e.pem", password=PASSWORD)).read_text()
    assert "BEGIN CERTIFICATE" in encrypted
    assert "BEGIN ENCRYPTED PRIVATE KEY" in encrypted
    no_key = Path(emulator.write_certificate(tmp_path / "c.pem", include_key=False)).read_text()
    assert "BEGIN CERTIFICATE" in no_key
    assert "PRIVATE KEY" not in no_key
    pfx = Path(emulator.write_certificate(tmp_path / "c.pfx", fmt="pkcs12", password=PASSWORD))
    key, cert, _ = pkcs12.load_key_and_certificates(pfx.read_bytes(), PASSWORD.encode())
    assert key is not None
    assert cert is not None
    assert (pfx.stat().st_mode & 0o777) == 0o600
    with pytest.raises(ValueError, match="format"):
        emulator.write_certificate(tmp_path / "x", fmt="der")


def test_unregistered_certificate_is_rejected(emulator: EntraEmulator, tmp_path: Path) -> None:
    credential = CertificateCredential(
        emulator.tenant_id,
        emulator.client_id,
        certificate_path=str(_self_signed(tmp_path)),
        **_entra(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        credential.get_token(STORAGE_SCOPE)


def _assertion(emu: EntraEmulator, pem: Path, alg: str, **overrides: Any) -> str:
    """A client assertion signed with the key in ``pem``, with the thumbprint MSAL sends."""
    data = pem.read_bytes()
    cert = x509.load_pem_x509_certificate(data)
    key = serialization.load_pem_private_key(data, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    if alg == "PS256":
        header = {
            "alg": alg,
            "typ": "JWT",
            "x5t#S256": _jwt.b64url_encode(cert.fingerprint(hashes.SHA256())),
        }
    else:
        header = {
            "alg": alg,
            "typ": "JWT",
            "x5t": _jwt.b64url_encode(cert.fingerprint(hashes.SHA1())),  # noqa: S303 - x5t is SHA-1
        }
    now = int(time.time())
    claims = {
        "aud": emu.token_url,
        "iss": emu.client_id,
        "sub": emu.client_id,
        "exp": now + 600,
        "iat": now,
        "jti": str(uuid.uuid4()),
        **overrides,
    }
    return _jwt.encode_signed(header, claims, key)


@pytest.mark.parametrize(
    ("alg", "overrides", "status"),
    [
        ("PS256", {}, 200),
        ("RS256", {}, 200),
        ("RS256", {"aud": "https://login.microsoftonline.com/x/oauth2/v2.0/token"}, 401),
        ("PS256", {"exp": int(time.time()) - 3600}, 401),
        ("RS256", {"iss": "someone-else"}, 401),
    ],
    ids=["ps256", "rs256", "wrong-audience", "expired", "wrong-issuer"],
)
def test_client_assertions_are_verified(
    emulator: EntraEmulator, tmp_path: Path, alg: str, overrides: dict[str, Any], status: int
) -> None:
    pem = Path(emulator.write_certificate(tmp_path / "c.pem"))
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "scope": STORAGE_SCOPE,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": _assertion(emulator, pem, alg, **overrides),
    }
    got, _, body = _call(emulator, "POST", f"/{emulator.tenant_id}/oauth2/v2.0/token", form=form)
    assert got == status
    if status == 200:
        assert emulator.decode(body["access_token"])["aud"] == STORAGE
    else:
        assert body["error"] == "invalid_client"
        assert "AADSTS700027" in body["error_description"]


def test_tampered_assertion_signature_is_rejected(emulator: EntraEmulator, tmp_path: Path) -> None:
    pem = Path(emulator.write_certificate(tmp_path / "c.pem"))
    header, _, signature = _assertion(emulator, pem, "RS256").split(".")
    forged_claims: dict[str, Any] = {
        "aud": emulator.token_url,
        "iss": emulator.client_id,
        "sub": emulator.client_id,
        "exp": int(time.time()) + 600,
    }
    payload = _jwt.b64url_encode(json.dumps(forged_claims).encode())
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "scope": STORAGE_SCOPE,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": f"{header}.{payload}.{signature}",
    }
    status, _, body = _call(emulator, "POST", f"/{emulator.tenant_id}/oauth2/v2.0/token", form=form)
    assert (status, body["error"]) == (401, "invalid_client")


# --------------------------------------------------------------------------- device code


def test_device_code_credential_then_refresh_token(emulator: EntraEmulator) -> None:
    prompts: list[tuple[str, str]] = []
    credential = DeviceCodeCredential(
        client_id=DEVICE_CLIENT_ID,
        tenant_id="common",
        prompt_callback=lambda uri, code, _expires: prompts.append((uri, code)),
        timeout=10,  # a broken emulator fails the test instead of hanging it
        **_entra(emulator),
    )
    token = credential.get_token(STORAGE_SCOPE)

    [(uri, user_code)] = prompts
    assert uri == f"{emulator.authority}/devicelogin"
    assert len(user_code) == 8
    assert user_code.isalpha()
    assert user_code.isupper()
    claims = emulator.decode(token.token)
    assert claims["aud"] == STORAGE
    assert claims["tid"] == emulator.tenant_id
    assert claims["oid"] == emulator.user_object_id
    assert claims["appid"] == DEVICE_CLIENT_ID
    assert emulator.requests["devicecode"] == 1
    assert emulator.requests["token"] == emulator.device_code_pending_polls + 1
    assert {r["auth"] for r in emulator.token_requests} == {"device_code"}
    assert {r["tenant"] for r in emulator.token_requests} == {"common"}

    emulator.reset()
    other = credential.get_token("https://management.azure.com/.default")
    assert emulator.decode(other.token)["aud"] == "https://management.azure.com"
    assert [r["auth"] for r in emulator.token_requests] == ["refresh_token"]
    assert emulator.requests["devicecode"] == 0


def test_device_code_and_refresh_token_must_be_issued_here(emulator: EntraEmulator) -> None:
    path = "/organizations/oauth2/v2.0/token"
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "client_id": DEVICE_CLIENT_ID,
        "device_code": "made-up",
    }
    status, _, body = _call(emulator, "POST", path, form=form)
    assert (status, body["error"]) == (400, "invalid_grant")
    form = {"grant_type": "refresh_token", "client_id": DEVICE_CLIENT_ID, "refresh_token": "x"}
    status, _, body = _call(emulator, "POST", path, form=form)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "AADSTS70000" in body["error_description"]


def test_device_code_polling_and_user_tokens_raw(emulator: EntraEmulator) -> None:
    tenant = "organizations"
    status, _, flow = _call(
        emulator,
        "POST",
        f"/{tenant}/oauth2/v2.0/devicecode",
        form={"client_id": DEVICE_CLIENT_ID, "scope": f"{STORAGE_SCOPE} offline_access openid"},
    )
    assert status == 200
    assert flow["interval"] == emulator.device_code_interval
    assert flow["user_code"] in flow["message"]
    poll = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "client_id": DEVICE_CLIENT_ID,
        "device_code": flow["device_code"],
    }
    path = f"/{tenant}/oauth2/v2.0/token"
    results = [_call(emulator, "POST", path, form=poll) for _ in range(2)]
    assert [(s, b.get("error")) for s, _, b in results] == [
        (400, "authorization_pending"),
        (200, None),
    ]

    body = results[1][2]
    assert body["scope"] == STORAGE_SCOPE
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == emulator.token_lifetime
    id_claims = emulator.decode(body["id_token"])
    assert id_claims["iss"] == f"{emulator.authority}/{emulator.tenant_id}/v2.0"
    assert id_claims["aud"] == DEVICE_CLIENT_ID
    assert id_claims["preferred_username"] == "user@azlogin.test"
    client_info = json.loads(_jwt.b64url_decode(body["client_info"]))
    assert client_info == {"uid": emulator.user_object_id, "utid": emulator.tenant_id}
    replay_status, _, _ = _call(emulator, "POST", path, form=poll)
    assert replay_status == 400
    for secret in (flow["device_code"], body["refresh_token"], body["access_token"]):
        assert secret not in json.dumps(emulator.token_requests)


# --------------------------------------------------------------------------- managed identity


def _identity_cases(emu: EntraEmulator) -> dict[str, tuple[dict[str, Any], str, str]]:
    return {
        "system": ({}, emu.system_identity_object_id, emu.system_identity_client_id),
        "client_id": ({"client_id": emu.msi_client_id}, emu.msi_object_id, emu.msi_client_id),
        "object_id": (
            {"identity_config": {"object_id": emu.msi_object_id}},
            emu.msi_object_id,
            emu.msi_client_id,
        ),
        "resource_id": (
            {"identity_config": {"resource_id": emu.msi_resource_id}},
            emu.msi_object_id,
            emu.msi_client_id,
        ),
    }


def _use_platform(emu: EntraEmulator, monkeypatch: pytest.MonkeyPatch, via: str) -> None:
    if via == "imds":
        monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", emu.imds_endpoint)
    else:
        monkeypatch.setenv("IDENTITY_ENDPOINT", emu.app_service_endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", emu.identity_header)


@pytest.mark.parametrize("via", ["imds", "app_service"])
@pytest.mark.parametrize("case", ["system", "client_id", "object_id", "resource_id"])
def test_managed_identity_credential(
    emulator: EntraEmulator, identity_env: pytest.MonkeyPatch, via: str, case: str
) -> None:
    _use_platform(emulator, identity_env, via)
    kwargs, object_id, client_id = _identity_cases(emulator)[case]
    token = ManagedIdentityCredential(**kwargs).get_token(STORAGE_SCOPE)

    claims = emulator.decode(token.token)
    assert (claims["oid"], claims["appid"]) == (object_id, client_id)
    assert claims["aud"] == STORAGE
    assert claims["tid"] == emulator.tenant_id
    assert abs(token.expires_on - claims["exp"]) <= 2  # the client adds expires_in to its clock
    assert emulator.requests == {via: 1}


@pytest.mark.parametrize("via", ["imds", "app_service"])
def test_managed_identity_unknown_identity(
    emulator: EntraEmulator, identity_env: pytest.MonkeyPatch, via: str
) -> None:
    _use_platform(emulator, identity_env, via)
    credential = ManagedIdentityCredential(client_id=str(uuid.uuid4()))
    # How much of "Identity not found" azure-identity repeats depends on its version.
    with pytest.raises(ClientAuthenticationError):
        credential.get_token(STORAGE_SCOPE)
    assert emulator.requests == {via: 1}


def test_identity_endpoints_check_their_headers(emulator: EntraEmulator) -> None:
    query = urlencode({"api-version": "2018-02-01", "resource": STORAGE})
    status, _, body = _call(emulator, "GET", f"/metadata/identity/oauth2/token?{query}", tls=False)
    assert (status, body["error"]) == (400, "invalid_request")

    status, _, body = _call(
        emulator,
        "GET",
        f"/metadata/identity/oauth2/token?{query}",
        headers={"Metadata": "true"},
        tls=False,
    )
    assert status == 200
    assert body["expires_in"] == str(emulator.token_lifetime)
    assert int(body["expires_on"]) == emulator.decode(body["access_token"])["exp"]

    wrong = {"X-IDENTITY-HEADER": "nope"}
    status, _, body = _call(emulator, "GET", f"/msi/token?{query}", headers=wrong, tls=False)
    assert status == 401
    assert emulator.identity_header not in json.dumps(body)
    assert emulator.requests == {"imds": 2, "app_service": 1}


# --------------------------------------------------------------------------- workload identity


def test_workload_identity_credential(emulator: EntraEmulator, tmp_path: Path) -> None:
    token_file = emulator.write_federated_token(tmp_path / "token")
    federated = emulator.decode(Path(token_file).read_text())
    assert federated["aud"] == "api://AzureADTokenExchange"
    assert federated["iss"] == "https://kubernetes.default.svc"

    credential = WorkloadIdentityCredential(
        tenant_id=emulator.tenant_id,
        client_id=emulator.client_id,
        token_file_path=token_file,
        **_entra(emulator),
    )
    token = credential.get_token(STORAGE_SCOPE)

    assert emulator.decode(token.token)["appid"] == emulator.client_id
    assert [r["auth"] for r in emulator.token_requests] == ["federated"]


def test_unknown_federated_token_is_rejected(emulator: EntraEmulator, tmp_path: Path) -> None:
    stranger = tmp_path / "token"
    stranger.write_text(_jwt.encode_unsigned({"alg": "RS256"}, {"sub": "x", "exp": 2**31}))
    credential = WorkloadIdentityCredential(
        tenant_id=emulator.tenant_id,
        client_id=emulator.client_id,
        token_file_path=str(stranger),
        **_entra(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        credential.get_token(STORAGE_SCOPE)


# --------------------------------------------------------------------------- CLI stand-ins


@pytest.mark.parametrize("tenant", [None, OTHER_TENANT])
def test_azure_cli_credential_with_standin(
    emulator: EntraEmulator, cli_standins: Path, tenant: str | None
) -> None:
    token = AzureCliCredential(tenant_id=tenant or "").get_token(STORAGE_SCOPE)

    claims = emulator.decode(token.token)
    assert claims["aud"] == STORAGE
    assert claims["tid"] == (tenant or emulator.tenant_id)
    assert claims["iss"] == f"https://sts.windows.net/{tenant or emulator.tenant_id}/"
    assert claims["appid"] == AZURE_CLI_CLIENT_ID
    assert token.expires_on == claims["exp"]
    assert emulator.requests == {"cli": 1}


@pytest.mark.parametrize("tenant", [None, OTHER_TENANT])
def test_azure_powershell_credential_with_standin(
    emulator: EntraEmulator, cli_standins: Path, tenant: str | None
) -> None:
    token = AzurePowerShellCredential(tenant_id=tenant or "").get_token(STORAGE_SCOPE)

    claims = emulator.decode(token.token)
    assert claims["aud"] == STORAGE
    assert claims["tid"] == (tenant or emulator.tenant_id)
    assert claims["appid"] == AZURE_POWERSHELL_CLIENT_ID
    assert token.expires_on == claims["exp"]
    assert emulator.requests == {"cli": 1}


def test_az_standin_output_and_other_commands(emulator: EntraEmulator, cli_standins: Path) -> None:
    az = str(cli_standins / "az")
    done = subprocess.run(
        [az, "account", "get-access-token", "--output", "json", "--resource", STORAGE],
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(done.stdout)
    assert set(document) == {
        "accessToken",
        "expiresOn",
        "expires_on",
        "subscription",
        "tenant",
        "tokenType",
    }
    expected_local = datetime.fromtimestamp(document["expires_on"]).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert document["expiresOn"] == expected_local
    assert document["subscription"] == emulator.subscription_id

    other = subprocess.run([az, "login"], capture_output=True, text=True, check=False)
    assert other.returncode == 2
    assert other.stderr.startswith("ERROR:")
    assert emulator.requests == {"cli": 1}


def test_cli_fault_reads_as_logged_out(emulator: EntraEmulator, cli_standins: Path) -> None:
    emulator.fail(
        "cli",
        status=400,
        times=2,
        body={
            "error": "not_logged_in",
            "error_description": "Please run 'az login' to setup account.",
        },
    )
    with pytest.raises(CredentialUnavailableError, match="az login"):
        AzureCliCredential().get_token(STORAGE_SCOPE)
    with pytest.raises(CredentialUnavailableError):
        AzurePowerShellCredential().get_token(STORAGE_SCOPE)
    assert emulator.requests == {"cli": 2}


def test_pwsh_standin_decodes_the_encoded_script(
    emulator: EntraEmulator, cli_standins: Path
) -> None:
    script = "$t = Get-AzAccessToken -ResourceUrl 'https://vault.azure.net' -TenantId 'abc'"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    done = subprocess.run(
        [str(cli_standins / "pwsh"), "-NoProfile", "-EncodedCommand", encoded],
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = [item for item in done.stdout.split() if item.startswith("azsdk%")]
    _, token, expires_on = line.split("%")
    claims = emulator.decode(token)
    assert (claims["aud"], claims["tid"], claims["exp"]) == (
        "https://vault.azure.net",
        "abc",
        int(expires_on),
    )


# --------------------------------------------------------------------------- faults


def test_token_fault_is_retried_by_the_pipeline(emulator: EntraEmulator) -> None:
    emulator.fail("token", status=500, times=1)
    token = _secret_credential(emulator).get_token(STORAGE_SCOPE)
    assert emulator.decode(token.token)["aud"] == STORAGE
    assert emulator.requests["token"] == 2
    assert len(emulator.token_requests) == 2


def test_token_fault_without_retries_fails(emulator: EntraEmulator) -> None:
    emulator.fail("token", status=503, times=-1, retry_after=0)
    with pytest.raises(ClientAuthenticationError):
        _secret_credential(emulator, retry_total=0).get_token(STORAGE_SCOPE)
    assert emulator.requests["token"] == 1


def test_fault_response_shape_and_order(emulator: EntraEmulator) -> None:
    emulator.fail("token", status=429, retry_after=7)
    emulator.fail("token", status=502, body={"error": "custom"})
    path = f"/{emulator.tenant_id}/oauth2/v2.0/token"
    form = {"grant_type": "password"}

    status, response, body = _call(emulator, "POST", path, form=form)
    assert status == 429
    assert response.getheader("Retry-After") == "7"
    assert body["error"] == "temporarily_unavailable"
    status, response, body = _call(emulator, "POST", path, form=form)
    assert (status, body, response.getheader("Retry-After")) == (502, {"error": "custom"}, None)
    status, _, body = _call(emulator, "POST", path, form=form)
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    assert emulator.requests["token"] == 3


def test_imds_fault_is_retried(emulator: EntraEmulator, identity_env: pytest.MonkeyPatch) -> None:
    _use_platform(emulator, identity_env, "imds")
    emulator.fail("imds", status=500, times=1)
    ManagedIdentityCredential().get_token(STORAGE_SCOPE)
    assert emulator.requests == {"imds": 2}


def test_delay_only_fault_answers_normally(emulator: EntraEmulator) -> None:
    emulator.fail("openid-configuration", status=None, delay=0.2)
    started = time.monotonic()
    _secret_credential(emulator).get_token(STORAGE_SCOPE)
    assert time.monotonic() - started >= 0.2
    assert emulator.requests == {"openid-configuration": 1, "token": 1}


def test_fail_rejects_unknown_routes_and_counts(emulator: EntraEmulator) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        emulator.fail("tokens")
    with pytest.raises(ValueError, match="times"):
        emulator.fail("token", times=0)


def test_reset_clears_counters_and_faults_but_keeps_registrations(
    emulator: EntraEmulator,
) -> None:
    emulator.fail("token", status=500, times=-1)
    with pytest.raises(ClientAuthenticationError):
        _secret_credential(emulator, retry_total=0).get_token(STORAGE_SCOPE)
    assert emulator.requests["token"] == 1

    emulator.reset()
    assert emulator.requests == {}
    assert emulator.token_requests == []
    _secret_credential(emulator).get_token(STORAGE_SCOPE)
    assert emulator.requests["token"] == 1


# --------------------------------------------------------------------------- plumbing


def test_discovery_document(emulator: EntraEmulator) -> None:
    for path in (
        "/organizations/v2.0/.well-known/openid-configuration",
        "/organizations/.well-known/openid-configuration",
    ):
        status, _, config = _call(emulator, "GET", path)
        assert status == 200
        base = f"{emulator.authority}/organizations"
        assert config["issuer"] == f"{base}/v2.0"
        assert config["token_endpoint"] == f"{base}/oauth2/v2.0/token"
        assert config["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
        assert config["device_authorization_endpoint"] == f"{base}/oauth2/v2.0/devicecode"
    assert emulator.requests == {"openid-configuration": 2}


def test_unknown_paths_count_as_other_on_a_kept_alive_connection(emulator: EntraEmulator) -> None:
    port = urlsplit(emulator.authority).port
    context = ssl.create_default_context(cafile=emulator.ca_path)
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
    try:
        statuses = []
        for path in ("/nowhere", f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"):
            connection.request("GET", path)
            response = connection.getresponse()
            json.loads(response.read())
            statuses.append(response.status)
    finally:
        connection.close()
    assert statuses == [404, 200]
    assert emulator.requests == {"other": 1, "openid-configuration": 1}


def test_mint_token_and_audiences(emulator: EntraEmulator) -> None:
    token, expires_on = emulator.mint_token(
        resource="https://storage.azure.com/", tenant_id="t1", lifetime=60, issued_at=1000
    )
    claims = emulator.decode(token)
    assert (claims["aud"], claims["iat"], claims["nbf"], claims["exp"], expires_on) == (
        STORAGE,
        1000,
        1000,
        1060,
        1060,
    )
    assert claims["iss"] == "https://sts.windows.net/t1/"
    assert claims["ver"] == "1.0"
    assert _jwt.decode_header(token)["typ"] == "JWT"
    vault, _ = emulator.mint_token(resource="https://vault.azure.net/.default")
    assert emulator.decode(vault)["aud"] == "https://vault.azure.net"
    other, _ = emulator.mint_token(resource="https://example.com/")
    assert emulator.decode(other)["aud"] == "https://example.com/"


def test_env_for_each_login_type(emulator: EntraEmulator) -> None:
    spn = emulator.env("spn")
    assert spn["AZCOPY_AUTO_LOGIN_TYPE"] == "SPN"
    assert spn["AZCOPY_SPA_CLIENT_SECRET"] == emulator.client_secret
    assert spn["AZCOPY_ACTIVE_DIRECTORY_ENDPOINT"] == emulator.authority
    cert = emulator.env("SPN", certificate_path="/c.pfx", certificate_password=PASSWORD)
    assert "AZCOPY_SPA_CLIENT_SECRET" not in cert
    assert (cert["AZCOPY_SPA_CERT_PATH"], cert["AZCOPY_SPA_CERT_PASSWORD"]) == ("/c.pfx", PASSWORD)
    assert emulator.env("MSI") == {
        "AZCOPY_AUTO_LOGIN_TYPE": "MSI",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.imds_endpoint,
    }
    app = emulator.env("MSI", via="app_service", identity="resource_id")
    assert app["IDENTITY_HEADER"] == emulator.identity_header
    assert app["AZCOPY_MSI_RESOURCE_STRING"] == emulator.msi_resource_id
    assert (
        emulator.env("MSI", identity="object_id")["AZCOPY_MSI_OBJECT_ID"] == emulator.msi_object_id
    )
    assert emulator.env("WORKLOAD", token_file="/t")["AZURE_FEDERATED_TOKEN_FILE"] == "/t"
    assert emulator.env("PSCRED", tenant_id="abc") == {
        "AZCOPY_AUTO_LOGIN_TYPE": "PSCRED",
        "AZCOPY_TENANT_ID": "abc",
    }
    assert emulator.env("DEVICE")["AZCOPY_TENANT_ID"] == emulator.tenant_id
    with pytest.raises(ValueError, match="not a login type azlogin knows; valid values are"):
        emulator.env("KERBEROS")
    with pytest.raises(ValueError, match="unknown option"):
        emulator.env("AZCLI", tenant="x")
    with pytest.raises(ValueError, match="unknown MSI identity 'name'"):
        emulator.env("MSI", identity="name")
    with pytest.raises(ValueError, match="unknown MSI via 'arc'"):
        emulator.env("MSI", via="arc")
    with pytest.raises(ValueError, match="certificate_password needs certificate_path"):
        emulator.env("SPN", certificate_password=PASSWORD)


def test_workload_env_writes_a_federated_token_file_it_trusts(emulator: EntraEmulator) -> None:
    env = emulator.env("WORKLOAD")
    token_file = env["AZURE_FEDERATED_TOKEN_FILE"]
    assert env["AZURE_CLIENT_ID"] == emulator.client_id
    assert env["AZURE_AUTHORITY_HOST"] == emulator.authority
    assert emulator.env("WORKLOAD")["AZURE_FEDERATED_TOKEN_FILE"] == token_file  # written once
    credential = WorkloadIdentityCredential(
        tenant_id=env["AZURE_TENANT_ID"],
        client_id=env["AZURE_CLIENT_ID"],
        token_file_path=token_file,
        **_entra(emulator),
    )
    credential.get_token(STORAGE_SCOPE)
    assert [r["auth"] for r in emulator.token_requests] == ["federated"]


def test_lifecycle_is_idempotent_and_repr_hides_secrets() -> None:
    emu = EntraEmulator()
    with emu:
        ca_path = emu.ca_path
        port = urlsplit(emu.authority).port
        assert emu.client_secret not in repr(emu)
        assert emu.identity_header not in repr(emu)
        with pytest.raises(RuntimeError, match="already"):
            emu.start()
    emu.stop()
    assert not os.path.exists(ca_path)
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.authority
    with pytest.raises(OSError):  # noqa: PT011 - any refusal will do
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")
    assert "stopped" in repr(emu)
