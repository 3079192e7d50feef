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
from azlogin.persistence import PassphraseKey, StaticKey
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
    keys = (PassphraseKey(SECRET), StaticKey(SECRET.encode()[:32].ljust(32, b"-")))
    for record in (settings, SavedLogin("SPN", SPN), material, *keys):
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


# 6. A full or read-only store disk never stops a token.

DISK_CHILD = """
import json, logging, os, subprocess, sys
import azlogin
from azlogin.persistence import EncryptedFileStore, StaticKey

env, ca, folder, mode = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
inodes = "nr_inodes=64" if mode == "full" else "size=1m"
subprocess.run(["mount", "-t", "tmpfs", "-o", inodes, "tmpfs", folder], check=True)
store = EncryptedFileStore(folder + "/store", key_sources=[StaticKey(bytes(32))])
if mode == "read-only":
    subprocess.run(["mount", "-o", "remount,ro", folder], check=True)
else:  # use up every inode
    try:
        for number in range(1000):
            open(os.path.join(folder, f"fill{number}"), "wb").close()
    except OSError:
        pass
warnings = []
handler = logging.Handler()
handler.emit = lambda record: warnings.append(record.getMessage())
logging.getLogger("azlogin.persistence").addHandler(handler)
failed = 0
for _ in range(10):
    # A clock of its own keeps each credential's engine apart, as in separate processes.
    credential = azlogin.get_credential(
        env, token_store=store, connection_verify=ca, clock=lambda: __import__("time").time()
    )
    try:
        credential.get_token()
    except Exception:
        failed += 1
print(json.dumps({"failed": failed, "warnings": len(warnings)}))
"""


@pytest.mark.parametrize("mode", ["read-only", "full"])
def test_a_full_or_read_only_store_disk_never_stops_a_token(
    emulator: EntraEmulator, tmp_path: Path, mode: str
) -> None:
    import json
    import os
    import subprocess
    import sys

    folder = tmp_path / "disk"
    folder.mkdir()
    root = Path(__file__).resolve().parent.parent
    child_env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    # A mount namespace of its own (a user namespace maps this user to root in it).
    result = subprocess.run(
        ["unshare", "--mount", "--map-root-user", sys.executable, "-c", DISK_CHILD,
         json.dumps(emulator.env("SPN")), emulator.ca_path, str(folder), mode],
        capture_output=True, text=True, env=child_env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout)
    assert outcome == {"failed": 0, "warnings": 1}
    assert emulator.requests["token"] == 10  # each process-like credential fetched for itself
