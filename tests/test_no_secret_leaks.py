"""Secrets never reach logs, reprs, exceptions or CLI output, even at DEBUG."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from azure.core.exceptions import ClientAuthenticationError

import azlogin
from azlogin.testing import EntraEmulator
from tests.support import SECRET


@pytest.fixture
def secret_emulator(emulator: EntraEmulator) -> Iterator[EntraEmulator]:
    """The emulator's service principal, with SECRET as its client secret."""
    original = emulator.client_secret
    emulator.client_secret = SECRET
    yield emulator
    emulator.client_secret = original


def test_a_full_sign_in_logs_no_secret(
    secret_emulator: EntraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env = secret_emulator.env("SPN")
    assert env["AZCOPY_SPA_CLIENT_SECRET"] == SECRET
    credential = azlogin.get_credential(env, connection_verify=secret_emulator.ca_path)
    credential.get_token()
    assert caplog.records  # DEBUG logging really was on
    assert SECRET not in caplog.text
    assert SECRET not in repr(credential)
    assert SECRET not in str(credential.details)


def test_a_failed_sign_in_logs_no_secret(
    secret_emulator: EntraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env = {**secret_emulator.env("SPN"), "AZCOPY_SPA_CLIENT_SECRET": SECRET + "-wrong"}
    credential = azlogin.get_credential(env, connection_verify=secret_emulator.ca_path)
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token()
    assert SECRET not in str(caught.value)
    assert SECRET not in caplog.text


def test_env_command_redacts_secrets_unless_asked() -> None:
    env = {
        "AZCOPY_AUTO_LOGIN_TYPE": "SPN",
        "AZCOPY_SPA_CLIENT_SECRET": SECRET,
        "AZCOPY_SPA_CERT_PASSWORD": SECRET,
        "PATH": "/usr/bin:/bin",
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},
    }
    command = [sys.executable, "-m", "azlogin", "env"]
    hidden = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert SECRET not in hidden.stdout + hidden.stderr
    assert "AZCOPY_SPA_CLIENT_SECRET = REDACTED" in hidden.stdout
    assert "AZCOPY_AUTO_LOGIN_TYPE = SPN" in hidden.stdout
    shown = subprocess.run(
        [*command, "--show-sensitive"], env=env, capture_output=True, text=True, check=True
    )
    assert f"AZCOPY_SPA_CLIENT_SECRET = {SECRET}" in shown.stdout
