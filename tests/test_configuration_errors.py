"""Every kind of bad input: a ConfigurationError that names the variable, never the secret."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest

import azlogin
from azlogin import ConfigurationError
from tests.support import SECRET

SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "11111111-2222-3333-4444-555555555555",
    "AZCOPY_SPA_CLIENT_SECRET": SECRET,
    "AZCOPY_TENANT_ID": "contoso.onmicrosoft.com",
}
# A certificate password is set in every certificate case, so that a leak would show.
CERT = {**SPN, "AZCOPY_SPA_CERT_PASSWORD": SECRET}
del CERT["AZCOPY_SPA_CLIENT_SECRET"]


def _without(env: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in env.items() if key != name}


def _mismatched_pair(certificates: dict[str, str], tmp_path: Path) -> str:
    """A PEM whose certificate and key come from two different files."""
    certificate = Path(certificates["pem_no_key"]).read_text()
    other = Path(certificates["pem"]).read_text()
    key = other[other.index("-----BEGIN PRIVATE KEY-----") :]
    path = tmp_path / "mismatched.pem"
    path.write_text(certificate + key)
    return str(path)


def _junk_file(tmp_path: Path) -> str:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00\x01 not a certificate")
    return str(path)


# (case id, env builder, keywords, substrings the message must contain)
CASES: list[tuple[str, Any, dict[str, Any], tuple[str, ...]]] = [
    (
        "unknown login type",
        lambda c, t: {**SPN, "AZCOPY_AUTO_LOGIN_TYPE": "spnn"},
        {},
        ("AZCOPY_AUTO_LOGIN_TYPE", "DEVICE, MSI, SPN, AZCLI, PSCRED, WORKLOAD"),
    ),
    (
        "unknown login type by keyword",
        lambda c, t: SPN,
        {"login_type": "KERBEROS"},
        ("login_type= keyword", "valid values are"),
    ),
    (
        "several distinct MSI ids",
        lambda c, t: {
            "AZCOPY_AUTO_LOGIN_TYPE": "msi",
            "AZCOPY_MSI_CLIENT_ID": "a",
            "AZCOPY_MSI_RESOURCE_STRING": "b",
            "AZCOPY_SPA_CLIENT_SECRET": SECRET,
        },
        {},
        ("AZCOPY_MSI_CLIENT_ID", "AZCOPY_MSI_RESOURCE_STRING", "at most one"),
    ),
    (
        "SPN without application id",
        lambda c, t: _without(SPN, "AZCOPY_SPA_APPLICATION_ID"),
        {},
        ("AZCOPY_SPA_APPLICATION_ID", "application_id="),
    ),
    (
        "SPN without tenant",
        lambda c, t: _without(SPN, "AZCOPY_TENANT_ID"),
        {},
        ("AZCOPY_TENANT_ID",),
    ),
    (
        "SPN without secret or certificate",
        lambda c, t: _without(SPN, "AZCOPY_SPA_CLIENT_SECRET"),
        {},
        ("AZCOPY_SPA_CLIENT_SECRET", "AZCOPY_SPA_CERT_PATH"),
    ),
    (
        "missing certificate file",
        lambda c, t: {**CERT, "AZCOPY_SPA_CERT_PATH": str(t / "absent.pem")},
        {},
        ("AZCOPY_SPA_CERT_PATH", "does not exist"),
    ),
    (
        "unreadable certificate file",
        lambda c, t: {**CERT, "AZCOPY_SPA_CERT_PATH": str(t)},
        {},
        ("AZCOPY_SPA_CERT_PATH", "cannot be read"),
    ),
    (
        "wrong PEM key password",
        lambda c, t: {
            **CERT,
            "AZCOPY_SPA_CERT_PATH": c["pem_encrypted"],
            "AZCOPY_SPA_CERT_PASSWORD": SECRET + "-wrong",
        },
        {},
        ("AZCOPY_SPA_CERT_PASSWORD", "wrong password"),
    ),
    (
        "encrypted PEM key without password",
        lambda c, t: _without(
            {**CERT, "AZCOPY_SPA_CERT_PATH": c["pem_encrypted"]}, "AZCOPY_SPA_CERT_PASSWORD"
        ),
        {},
        ("AZCOPY_SPA_CERT_PASSWORD", "encrypted"),
    ),
    (
        "wrong PKCS12 password",
        lambda c, t: {
            **CERT,
            "AZCOPY_SPA_CERT_PATH": c["pkcs12"],
            "AZCOPY_SPA_CERT_PASSWORD": SECRET + "-wrong",
        },
        {},
        ("AZCOPY_SPA_CERT_PASSWORD", "wrong password"),
    ),
    (
        "PEM without private key",
        lambda c, t: {**CERT, "AZCOPY_SPA_CERT_PATH": c["pem_no_key"]},
        {},
        ("AZCOPY_SPA_CERT_PATH", "without a private key"),
    ),
    (
        "key of another certificate",
        lambda c, t: {**CERT, "AZCOPY_SPA_CERT_PATH": _mismatched_pair(c, t)},
        {},
        ("AZCOPY_SPA_CERT_PATH", "does not belong"),
    ),
    (
        "not a certificate at all",
        lambda c, t: {**CERT, "AZCOPY_SPA_CERT_PATH": _junk_file(t)},
        {},
        ("AZCOPY_SPA_CERT_PATH", "PKCS12"),
    ),
    (
        "http endpoint",
        lambda c, t: {**SPN, "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": "http://login.example.test"},
        {},
        ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "https"),
    ),
    (
        "endpoint with a path",
        lambda c, t: {
            **SPN,
            "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": "https://login.microsoftonline.com/tenant",
        },
        {},
        ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "no path"),
    ),
    (
        "endpoint with a bad port",
        lambda c, t: {**SPN, "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": "https://login.test:99999"},
        {},
        ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "not a valid URL"),
    ),
    (
        "endpoint with user info",
        lambda c, t: {
            **SPN,
            "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT": f"https://user:{SECRET}@login.test",
        },
        {},
        ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "no user info"),
    ),
    (
        "endpoint by keyword",
        lambda c, t: SPN,
        {"aad_endpoint": "ftp://login.test"},
        ("aad_endpoint= keyword", "https"),
    ),
    (
        "malformed tenant",
        lambda c, t: {**SPN, "AZCOPY_TENANT_ID": "contoso/../evil"},
        {},
        ("AZCOPY_TENANT_ID", "GUID"),
    ),
    (
        "WORKLOAD without token file variable",
        lambda c, t: {
            "AZCOPY_AUTO_LOGIN_TYPE": "workload",
            "AZURE_CLIENT_ID": "client",
            "AZURE_TENANT_ID": "tenant",
            "AZCOPY_SPA_CLIENT_SECRET": SECRET,
        },
        {},
        ("AZURE_FEDERATED_TOKEN_FILE",),
    ),
    (
        "WORKLOAD with a missing token file",
        lambda c, t: {
            "AZCOPY_AUTO_LOGIN_TYPE": "WORKLOAD",
            "AZURE_CLIENT_ID": "client",
            "AZURE_TENANT_ID": "tenant",
            "AZURE_FEDERATED_TOKEN_FILE": str(t / "no-token"),
        },
        {},
        ("AZURE_FEDERATED_TOKEN_FILE", "does not exist"),
    ),
    (
        "WORKLOAD without client id",
        lambda c, t: {
            "AZCOPY_AUTO_LOGIN_TYPE": "WORKLOAD",
            "AZURE_TENANT_ID": "tenant",
            "AZURE_FEDERATED_TOKEN_FILE": __file__,
        },
        {},
        ("AZURE_CLIENT_ID",),
    ),
    (
        "bad trusted suffix",
        lambda c, t: SPN,
        {"trusted_microsoft_suffixes": "*.core.windows.net;;"},
        ("empty",),
    ),
    (
        "lone star suffix",
        lambda c, t: SPN,
        {"trusted_microsoft_suffixes": ["*"]},
        ("'*'",),
    ),
]


@pytest.mark.parametrize(
    ("make_env", "keywords", "expected"),
    [pytest.param(env, kw, exp, id=name) for name, env, kw, exp in CASES],
)
def test_bad_input_names_the_setting_and_never_the_secret(
    make_env: Any,
    keywords: dict[str, Any],
    expected: tuple[str, ...],
    certificates: dict[str, str],
    tmp_path: Path,
) -> None:
    env = make_env(certificates, tmp_path)
    with pytest.raises(ConfigurationError) as caught:
        azlogin.get_credential(env, **keywords)
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message
    rendered = "".join(traceback.format_exception(caught.type, caught.value, caught.tb))
    assert SECRET not in rendered
    assert SECRET not in repr(caught.value)


# The error's fields, by case: (environment variable, override keyword).
FIELDS: dict[str, tuple[str | None, str | None]] = {
    "unknown login type": ("AZCOPY_AUTO_LOGIN_TYPE", "login_type"),
    "unknown login type by keyword": ("AZCOPY_AUTO_LOGIN_TYPE", "login_type"),
    "several distinct MSI ids": ("AZCOPY_MSI_RESOURCE_STRING", "identity_resource_id"),
    "SPN without application id": ("AZCOPY_SPA_APPLICATION_ID", "application_id"),
    "SPN without tenant": ("AZCOPY_TENANT_ID", "tenant_id"),
    "SPN without secret or certificate": ("AZCOPY_SPA_CLIENT_SECRET", "client_secret"),
    "missing certificate file": ("AZCOPY_SPA_CERT_PATH", "certificate_path"),
    "unreadable certificate file": ("AZCOPY_SPA_CERT_PATH", "certificate_path"),
    "wrong PEM key password": ("AZCOPY_SPA_CERT_PASSWORD", "certificate_password"),
    "encrypted PEM key without password": ("AZCOPY_SPA_CERT_PASSWORD", "certificate_password"),
    "wrong PKCS12 password": ("AZCOPY_SPA_CERT_PASSWORD", "certificate_password"),
    "PEM without private key": ("AZCOPY_SPA_CERT_PATH", "certificate_path"),
    "key of another certificate": ("AZCOPY_SPA_CERT_PATH", "certificate_path"),
    "not a certificate at all": ("AZCOPY_SPA_CERT_PASSWORD", "certificate_password"),
    "http endpoint": ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "aad_endpoint"),
    "endpoint with a path": ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "aad_endpoint"),
    "endpoint with a bad port": ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "aad_endpoint"),
    "endpoint with user info": ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "aad_endpoint"),
    "endpoint by keyword": ("AZCOPY_ACTIVE_DIRECTORY_ENDPOINT", "aad_endpoint"),
    "malformed tenant": ("AZCOPY_TENANT_ID", "tenant_id"),
    "WORKLOAD without token file variable": ("AZURE_FEDERATED_TOKEN_FILE", "federated_token_file"),
    "WORKLOAD with a missing token file": ("AZURE_FEDERATED_TOKEN_FILE", "federated_token_file"),
    "WORKLOAD without client id": ("AZURE_CLIENT_ID", "application_id"),
    "bad trusted suffix": (None, "trusted_microsoft_suffixes"),
    "lone star suffix": (None, "trusted_microsoft_suffixes"),
}


@pytest.mark.parametrize(
    ("make_env", "keywords", "fields"),
    [pytest.param(env, kw, FIELDS.get(name), id=name) for name, env, kw, _ in CASES],
)
def test_the_error_names_the_variable_and_keyword_in_fields(
    make_env: Any,
    keywords: dict[str, Any],
    fields: tuple[str | None, str | None] | None,
    certificates: dict[str, str],
    tmp_path: Path,
) -> None:
    assert fields is not None, "every case says which variable and keyword its error names"
    with pytest.raises(ConfigurationError) as caught:
        azlogin.get_credential(make_env(certificates, tmp_path), **keywords)
    assert (caught.value.variable, caught.value.keyword) == fields


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="AZCOPY_AUTO_LOGIN_TYPE"):
        azlogin.get_credential({"AZCOPY_AUTO_LOGIN_TYPE": "nope"})


def test_nothing_configured_says_what_to_set() -> None:
    with pytest.raises(azlogin.NotLoggedInError) as caught:
        azlogin.get_credential({"AZCOPY_AUTO_LOGIN_TYPE": "  "})
    assert "AZCOPY_AUTO_LOGIN_TYPE" in str(caught.value)
    assert "login_type=" in str(caught.value)
    assert not isinstance(caught.value, ConfigurationError)


def test_looking_for_a_saved_login_leaves_no_trace(private_home: Path) -> None:
    with pytest.raises(azlogin.NotLoggedInError):
        azlogin.get_credential({})
    assert not (private_home / ".azlogin").exists()


def test_a_saved_login_and_its_token_store_look_up_the_key_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azlogin._config.saved import SavedLogin
    from azlogin.persistence import StaticKey
    from azlogin.persistence import _default as default_module
    from azlogin.persistence._default import StoreOpener

    lookups: list[str] = []

    class CountingKey(StaticKey):
        def key_for(self, store_id: str, directory: Path) -> bytes:
            lookups.append(store_id)
            return super().key_for(store_id, directory)

    monkeypatch.setattr(default_module, "key_sources", lambda env: [CountingKey(bytes(32))])
    StoreOpener({}).save_login(SavedLogin("MSI", {"AZCOPY_MSI_OBJECT_ID": "oid"}))
    lookups.clear()
    credential = azlogin.get_credential({})
    assert credential.login_type == "MSI"
    assert credential.recipe.login_type is None  # made from the saved login
    assert len(lookups) == 1  # the saved login's store is the token store


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="tenantid"):
        azlogin.get_credential(SPN, tenantid="x")


def test_override_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="tenant_id"):
        azlogin.get_credential(SPN, tenant_id=42)
