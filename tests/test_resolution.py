"""Which login type and which settings get_credential picks, without any network I/O."""

from __future__ import annotations

import pytest

import azlogin
from azlogin._config.keywords import parse_keywords
from azlogin._config.login_types import LoginType
from azlogin._config.plan import make_plan
from azlogin._config.saved import SavedLogin
from azlogin._config.settings import Settings
from tests.support import SECRET


def resolve_settings(
    env: dict[str, str], keywords: dict[str, str], *, saved_login: SavedLogin | None = None
) -> tuple[Settings, LoginType]:
    """The plan's login type and settings (the pure function: no store is opened)."""
    plan = make_plan(parse_keywords(keywords), env, saved_login)
    return plan.settings, plan.login_type


SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "app-id",
    "AZCOPY_SPA_CLIENT_SECRET": SECRET,
    "AZCOPY_TENANT_ID": "tenant-a",
}


@pytest.mark.parametrize("value", ["spn", " SPN ", "Spn\n", "sPn"])
def test_login_type_is_case_insensitive_and_whitespace_is_ignored(value: str) -> None:
    settings, login_type = resolve_settings({**SPN, "AZCOPY_AUTO_LOGIN_TYPE": value}, {})
    assert login_type.name == "SPN"
    assert settings.get("application_id") == "app-id"


def test_override_beats_its_variable() -> None:
    settings, login_type = resolve_settings(
        SPN, {"login_type": "device", "tenant_id": "tenant-b", "aad_endpoint": "https://x.test"}
    )
    assert login_type.name == "DEVICE"
    assert settings.get("tenant_id") == "tenant-b"
    assert settings.label("tenant_id") == "the tenant_id= keyword"
    assert settings.label("aad_endpoint") == "the aad_endpoint= keyword"


def test_blank_variables_count_as_unset() -> None:
    settings, _ = resolve_settings({**SPN, "AZCOPY_TENANT_ID": "   "}, {})
    assert settings.get("tenant_id") is None


def test_each_login_type_reads_only_its_own_variables() -> None:
    env = {**SPN, "AZCOPY_AUTO_LOGIN_TYPE": "MSI", "AZCOPY_MSI_CLIENT_ID": "mi"}
    settings, _ = resolve_settings(env, {})
    assert dict(settings.values) == {"identity_client_id": "mi"}


def test_workload_reads_the_azure_variables() -> None:
    env = {
        "AZCOPY_AUTO_LOGIN_TYPE": "WORKLOAD",
        "AZURE_CLIENT_ID": "c",
        "AZURE_TENANT_ID": "t",
        "AZURE_FEDERATED_TOKEN_FILE": "/f",
        "AZURE_AUTHORITY_HOST": "https://login.test",
        "AZCOPY_TENANT_ID": "ignored",
    }
    settings, _ = resolve_settings(env, {})
    assert settings.get("tenant_id") == "t"
    assert settings.get("aad_endpoint") == "https://login.test"
    assert settings.label("federated_token_file") == "AZURE_FEDERATED_TOKEN_FILE"


def test_a_saved_login_is_used_when_no_type_is_set() -> None:
    saved = SavedLogin("MSI", {"AZCOPY_MSI_OBJECT_ID": "oid"})
    settings, login_type = resolve_settings({}, {}, saved_login=saved)
    assert login_type.name == "MSI"
    assert settings.get("identity_object_id") == "oid"


def test_an_explicit_login_type_beats_a_saved_login() -> None:
    saved = SavedLogin("MSI", {"AZCOPY_MSI_OBJECT_ID": "oid"})
    _, login_type = resolve_settings(SPN, {}, saved_login=saved)
    assert login_type.name == "SPN"


def test_repr_shows_type_and_ids_but_never_the_secret() -> None:
    credential = azlogin.get_credential(SPN)
    text = repr(credential)
    assert "SPN" in text
    assert "app-id" in text
    assert "tenant-a" in text
    assert SECRET not in text
    assert SECRET not in repr(resolve_settings(SPN, {})[0])


def test_same_msi_id_in_two_variables_is_one_identity() -> None:
    credential = azlogin.get_credential(
        {"AZCOPY_AUTO_LOGIN_TYPE": "MSI", "AZCOPY_MSI_CLIENT_ID": "x", "AZCOPY_MSI_OBJECT_ID": "x"}
    )
    assert credential.login_type == "MSI"


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SPN.items():
        monkeypatch.setenv(name, value)
    assert azlogin.get_credential().details["application_id"] == "app-id"


def test_trusted_suffixes_keyword_reaches_the_credential() -> None:
    credential = azlogin.get_credential(SPN, trusted_microsoft_suffixes="127.0.0.1;*.contoso.test")
    assert credential.trusted_suffixes.is_trusted("https://127.0.0.1:10000/acct")
    assert credential.trusted_suffixes.is_trusted("a.contoso.test")
    assert not azlogin.get_credential(SPN).trusted_suffixes.is_trusted("a.contoso.test")


def test_credential_is_a_context_manager_and_closes() -> None:
    with azlogin.get_credential(SPN) as credential:
        assert isinstance(credential, azlogin.Credential)
    credential.close()  # closing twice is harmless
