"""What a hostile or unlucky user found (the hardening issue), each fixed where its mechanism
lives; every test here failed before its fix."""

from __future__ import annotations

import io
import pickle
import time
import traceback
from pathlib import Path

import pytest

import azlogin
from azlogin._build.certificates import Setting, parse_certificate
from azlogin._config.keywords import parse_keywords
from azlogin._config.plan import make_plan
from azlogin._config.saved import SavedLogin
from azlogin.cli import main
from azlogin.persistence._default import StoreOpener
from azlogin.testing import EntraEmulator
from tests.support import SECRET

SPN = {
    "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
    "AZCOPY_SPA_APPLICATION_ID": "app",
    "AZCOPY_SPA_CLIENT_SECRET": SECRET,
    "AZCOPY_TENANT_ID": "tenant",
}


def _leaks(error: BaseException, secret: str) -> bool:
    rendered = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return any(secret in text for text in (str(error), repr(error), repr(error.args), rendered))


# 13. Internal records that hold a secret never pickle.


def test_records_holding_secrets_refuse_to_pickle(certificates: dict[str, str]) -> None:
    settings = make_plan(parse_keywords({}), SPN, None).settings
    material = parse_certificate(
        Path(certificates["pkcs12"]).read_bytes(),
        SECRET,
        file=Setting("AZCOPY_SPA_CERT_PATH"),
        secret=Setting("AZCOPY_SPA_CERT_PASSWORD"),
    )
    for record in (settings, SavedLogin("SPN", SPN), material):
        with pytest.raises(TypeError, match="holds a secret") as caught:
            pickle.dumps(record)
        assert not _leaks(caught.value, SECRET)


# 15. An absurd expiry is capped; a date never crashes the output.


def test_an_absurd_expiry_is_capped_and_status_never_crashes(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator, "token_lifetime", 10**12)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)
    StoreOpener({}).save_login(SavedLogin("SPN", emulator.env("SPN")))
    token = azlogin.get_credential({}).get_token()
    assert token.expires_on <= time.time() + 28 * 3600 + 1
    out = io.StringIO()
    assert main(["login", "status"], {}, stdout=out) == 0
    assert "token valid until" in out.getvalue()


# 17 and 14. Certificate settings that no file system or codec accepts.


def test_a_non_utf8_pkcs12_password_is_a_configuration_error(
    certificates: dict[str, str],
) -> None:
    # os.environ holds a password of non-UTF-8 bytes as surrogate escapes.
    password = b"\xff\xfe-not-utf8".decode("utf-8", "surrogateescape")
    env = {
        **SPN,
        "AZCOPY_SPA_CERT_PATH": certificates["pkcs12"],
        "AZCOPY_SPA_CERT_PASSWORD": password,
    }
    with pytest.raises(azlogin.ConfigurationError) as caught:
        azlogin.get_credential(env)
    assert caught.value.variable == "AZCOPY_SPA_CERT_PASSWORD"
    assert not _leaks(caught.value, password)
    env["AZCOPY_SPA_CERT_PASSWORD"] = "\ud800" + SECRET  # a lone surrogate no codec takes
    with pytest.raises(azlogin.ConfigurationError) as caught:
        azlogin.get_credential(env)
    assert not _leaks(caught.value, SECRET)


@pytest.mark.parametrize("path", ["cert\x00.pem", "cert-\ud800.pem"])
def test_an_unusable_certificate_path_names_its_variable(path: str) -> None:
    with pytest.raises(azlogin.ConfigurationError) as caught:
        azlogin.get_credential({**SPN, "AZCOPY_SPA_CERT_PATH": path})
    assert caught.value.variable == "AZCOPY_SPA_CERT_PATH"
