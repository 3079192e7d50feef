"""Keywords and variables azure-identity users bring with them: additionally_allowed_tenants
(and AZURE_ADDITIONALLY_ALLOWED_TENANTS), ``authority`` as aad_endpoint, logging_enable, the
retry keywords, the hint for EnvironmentCredential's variables, and one CA bundle setting
(connection_verify / REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE / SSL_CERT_FILE) for sync and async."""

from __future__ import annotations

import asyncio
import logging
import pickle
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from azure.core.exceptions import ClientAuthenticationError

import azlogin
from azlogin import STORAGE_SCOPE, NotLoggedInError
from azlogin._config.keywords import ALL_KEYWORDS, CredentialKeywords, parse_keywords
from azlogin.testing import Azurite, EntraEmulator

OTHER_TENANT = "22222222-2222-4222-8222-222222222222"


def spn_env(emulator: EntraEmulator, **extra: str) -> dict[str, str]:
    return {**emulator.env("SPN"), "AZLOGIN_TOKEN_STORE": "memory", **extra}


# ---- the keyword table --------------------------------------------------------------------


def test_the_typed_keywords_are_exactly_the_accepted_ones() -> None:
    assert set(CredentialKeywords.__annotations__) == set(ALL_KEYWORDS)


def test_authority_is_aad_endpoint_under_azure_identity_s_name() -> None:
    request = parse_keywords({"authority": "https://login.microsoftonline.us"})
    assert request.overrides["aad_endpoint"] == "https://login.microsoftonline.us"
    same = parse_keywords({"authority": "https://x.example", "aad_endpoint": "https://x.example"})
    assert same.overrides["aad_endpoint"] == "https://x.example"
    with pytest.raises(TypeError, match=r"both authority= and aad_endpoint="):
        parse_keywords({"authority": "https://a.example", "aad_endpoint": "https://b.example"})


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"additionally_allowed_tenants": "tenant-a"}, "additionally_allowed_tenants="),
        ({"additionally_allowed_tenants": [1]}, "additionally_allowed_tenants="),
        ({"retry_total": "3"}, "retry_total="),
        ({"retry_total": -1}, "retry_total="),
        ({"retry_backoff_factor": "fast"}, "retry_backoff_factor="),
        ({"logging_enable": "yes"}, "logging_enable="),
        ({"tenant_idd": "x"}, "tenant_idd"),
    ],
)
def test_mistyped_or_unknown_keywords_are_type_errors_naming_them(
    keywords: dict[str, object], named: str
) -> None:
    with pytest.raises(TypeError, match=named):
        parse_keywords(keywords)


def test_retry_keywords_reach_every_http_credential() -> None:
    options = parse_keywords({"retry_total": 2, "retry_backoff_factor": 0.5}).options
    assert options.pipeline_kwargs() == {"retry_total": 2, "retry_backoff_factor": 0.5}


# ---- additionally_allowed_tenants ---------------------------------------------------------


def test_a_cross_tenant_request_is_refused_naming_the_keyword_and_the_variable(
    emulator: EntraEmulator,
) -> None:
    credential = azlogin.get_credential(env=spn_env(emulator), connection_verify=emulator.ca_path)
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(STORAGE_SCOPE, tenant_id=OTHER_TENANT)
    assert "additionally_allowed_tenants" in str(raised.value)
    assert emulator.requests["token"] == 0


@pytest.mark.parametrize("how", ["keyword", "variable"])
def test_additionally_allowed_tenants_lets_get_token_ask_another_tenant(
    emulator: EntraEmulator, how: str
) -> None:
    if how == "keyword":
        credential = azlogin.get_credential(
            env=spn_env(emulator),
            connection_verify=emulator.ca_path,
            additionally_allowed_tenants=[OTHER_TENANT],
        )
    else:
        env = spn_env(emulator, AZURE_ADDITIONALLY_ALLOWED_TENANTS=f"x; {OTHER_TENANT}")
        credential = azlogin.get_credential(env=env, connection_verify=emulator.ca_path)
    token = credential.get_token(STORAGE_SCOPE, tenant_id=OTHER_TENANT)
    assert EntraEmulator.decode(token.token)["tid"] == OTHER_TENANT
    home = credential.get_token(STORAGE_SCOPE)
    assert EntraEmulator.decode(home.token)["tid"] == emulator.tenant_id
    assert emulator.requests["token"] == 2  # one per tenant: never the other tenant's token


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"])
def test_a_pickled_credential_keeps_its_allowed_tenants(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch, dumps: Any
) -> None:
    """A worker's copy (rebuilt from the recipe, its secret from the worker's environment) may
    still ask the other tenant: the keyword travels with the plain options."""
    env = spn_env(emulator)
    credential = azlogin.get_credential(
        env=env, connection_verify=emulator.ca_path, additionally_allowed_tenants=[OTHER_TENANT]
    )
    blob = dumps(credential)
    assert emulator.client_secret.encode() not in blob
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    copy = pickle.loads(blob)
    token = copy.get_token(STORAGE_SCOPE, tenant_id=OTHER_TENANT)
    assert EntraEmulator.decode(token.token)["tid"] == OTHER_TENANT
    assert emulator.requests["token"] == 1


def test_the_recipe_keeps_plain_options_and_lists_of_them() -> None:
    from azlogin._config.plan import make_plan

    keywords = {"login_type": "MSI", "token_store": "none", "retry_total": 2,
                "retry_on_status_codes": [429, 503], "logging_enable": True,
                "additionally_allowed_tenants": ["a", "b"], "transport": object()}  # fmt: skip
    options = make_plan(parse_keywords(keywords), {}, None).recipe.options
    assert options["retry_total"] == 2
    assert options["retry_on_status_codes"] == (429, 503)
    assert options["additionally_allowed_tenants"] == ("a", "b")
    assert options["logging_enable"] is True
    assert "transport" not in options  # not a plain value: never pickled


# ---- logging_enable -----------------------------------------------------------------------


def test_logging_enable_is_accepted_and_never_logs_a_secret_or_token(
    emulator: EntraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    credential = azlogin.get_credential(
        env=spn_env(emulator), connection_verify=emulator.ca_path, logging_enable=True
    )
    token = credential.get_token(STORAGE_SCOPE)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert token.token not in text
    assert emulator.client_secret not in text
    assert emulator.requests["token"] == 1


# ---- azure-identity's variables -----------------------------------------------------------


def test_environment_credential_variables_get_their_azcopy_names(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "AZURE_CLIENT_ID": "app",
        "AZURE_CLIENT_SECRET": "not-a-real-secret-value",
        "AZURE_TENANT_ID": "tenant",
    }
    with pytest.raises(NotLoggedInError) as raised:
        azlogin.get_credential(env=env)
    message = str(raised.value)
    assert "AZCOPY_AUTO_LOGIN_TYPE=SPN" in message
    assert "AZCOPY_SPA_APPLICATION_ID (from AZURE_CLIENT_ID)" in message
    assert "AZCOPY_SPA_CLIENT_SECRET (from AZURE_CLIENT_SECRET)" in message
    assert "AZCOPY_TENANT_ID (from AZURE_TENANT_ID)" in message
    assert "not-a-real-secret-value" not in message


def test_no_hint_without_azure_identity_variables(tmp_path: Path) -> None:
    with pytest.raises(NotLoggedInError) as raised:
        azlogin.get_credential(env={"HOME": str(tmp_path)})
    assert "EnvironmentCredential" not in str(raised.value)


# ---- one CA bundle setting for every transport --------------------------------------------


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_ca_bundle_variable_serves_sync_and_async_credentials_alike(
    emulator: EntraEmulator, variable: str
) -> None:
    env = spn_env(emulator, **{variable: emulator.ca_path})
    sync_token = azlogin.get_credential(env=env).get_token(STORAGE_SCOPE)

    async def fetch() -> str:
        async with azlogin.get_async_credential(env=env) as credential:
            return (await credential.get_token(STORAGE_SCOPE)).token

    async_token = asyncio.run(fetch())
    assert EntraEmulator.decode(sync_token.token)["appid"] == emulator.client_id
    assert EntraEmulator.decode(async_token)["appid"] == emulator.client_id
    assert emulator.requests["token"] == 2


def test_connection_verify_beats_the_environment_s_bundle(
    emulator: EntraEmulator, tmp_path: Path
) -> None:
    empty = tmp_path / "other-ca.pem"
    empty.write_text("")
    env = spn_env(emulator, REQUESTS_CA_BUNDLE=str(empty))
    token = azlogin.get_credential(env=env, connection_verify=emulator.ca_path).get_token()
    assert EntraEmulator.decode(token.token)["appid"] == emulator.client_id


# ---- type checkers ------------------------------------------------------------------------


def test_mypy_catches_misspelt_and_mistyped_keywords(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent(
            """
            import azlogin

            azlogin.get_credential(tenant_id="x", authority="https://login.microsoftonline.us")
            azlogin.get_credential(additionally_allowed_tenants=["*"], retry_total=3)
            azlogin.get_async_credential(login_type="SPN", token_store="memory")
            """
        )
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        textwrap.dedent(
            """
            import azlogin

            azlogin.get_credential(tenant_idd="x")
            azlogin.get_credential(tenant_id=123)
            azlogin.get_async_credential(retry_total="3")
            """
        )
    )

    def mypy(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )

    assert mypy(good).returncode == 0, mypy(good).stdout
    result = mypy(bad)
    assert result.returncode == 1
    assert 'Unexpected keyword argument "tenant_idd"' in result.stdout
    assert result.stdout.count("error:") == 3, result.stdout


def test_a_redis_url_from_the_environment_keeps_its_case() -> None:
    from azlogin._config.keywords import store_spec

    url = "redis://:PassWord@Cache.Example:6380/0"
    spec = store_spec(None, {"AZLOGIN_TOKEN_STORE": f"  {url} "})
    assert (spec.choice, spec.given) == ("redis", url)
    assert store_spec(None, {"AZLOGIN_TOKEN_STORE": "Memory"}).choice == "memory"


# ---- the storage clients' own transports trust the same CA --------------------------------


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_storage_clients_sync_and_async_trust_the_environment_s_ca_bundle(
    emulator: EntraEmulator, azurite: Azurite, variable: str
) -> None:
    from azlogin import storage
    from azlogin.storage import aio

    env = spn_env(emulator, **{variable: emulator.ca_path})
    name = f"c{uuid.uuid4().hex[:12]}"
    sync_client = storage.blob_service_client(
        azurite.account_url, env=env, trusted_microsoft_suffixes="127.0.0.1"
    )
    sync_client.create_container(name)  # requests alone never reads SSL_CERT_FILE

    async def listed() -> list[str]:
        client = aio.blob_service_client(
            azurite.account_url, env=env, trusted_microsoft_suffixes="127.0.0.1"
        )
        async with client:  # aiohttp alone never reads REQUESTS_CA_BUNDLE
            found = [c.name async for c in client.list_containers(name_starts_with=name)]
            await client.credential.close()
            return found

    assert asyncio.run(listed()) == [name]
    sync_client.delete_container(name)


def test_the_guarded_filesystem_trusts_the_environment_s_ca_bundle(
    emulator: EntraEmulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azlogin.fsspec import filesystem

    for name, value in spn_env(emulator, REQUESTS_CA_BUNDLE=emulator.ca_path).items():
        monkeypatch.setenv(name, value)
    fs = filesystem(azurite.account_url, trusted_microsoft_suffixes="127.0.0.1")
    container = f"c{uuid.uuid4().hex[:12]}"
    fs.mkdir(container)
    fs.pipe(f"{container}/a.txt", b"one CA for every transport")
    assert fs.cat(f"{container}/a.txt") == b"one CA for every transport"
