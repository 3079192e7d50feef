"""A DEVICE login is asked once: later processes refresh silently with the stored refresh
token (AzCopy's issue #2361), kept encrypted in the token store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from azlogin.testing import EntraEmulator

ROOT = Path(__file__).resolve().parent.parent

# Each child prints its token's audience and a digest of it, never the bearer token itself.
CHILD = """
import hashlib, json, sys
import azlogin
from azlogin.testing import EntraEmulator
env, ca, scope = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
token = azlogin.get_credential(env, connection_verify=ca).get_token(scope).token
print(EntraEmulator.decode(token)["aud"], hashlib.sha256(token.encode()).hexdigest())
"""


def _run(env: dict[str, str], ca: str, scope: str) -> subprocess.CompletedProcess[str]:
    child_env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(env), ca, scope],
        capture_output=True, text=True, env=child_env, timeout=120, check=True,
    )  # fmt: skip


def test_a_device_login_is_not_asked_again_in_later_processes(
    emulator: EntraEmulator, private_home: Path
) -> None:
    env = emulator.env("DEVICE")
    first = _run(env, emulator.ca_path, "https://storage.azure.com/.default")
    assert "enter the code" in first.stderr  # the user signed in, once
    assert emulator.requests["devicecode"] == 1
    emulator.reset()

    # Another process, another scope: no stored access token, so MSAL refreshes silently.
    second = _run(env, emulator.ca_path, "https://management.azure.com/.default")
    assert "enter the code" not in second.stderr
    assert emulator.requests["devicecode"] == 0
    assert [request["auth"] for request in emulator.token_requests] == ["refresh_token"]
    assert second.stdout.split()[0] == "https://management.azure.com"

    # The refresh token is in the store, encrypted.
    stored = b"".join(path.read_bytes() for path in (private_home / ".azlogin").glob("*.item"))
    assert b"refresh_token" not in stored.lower()
    assert b"RefreshToken" not in stored


def test_the_same_scope_later_is_served_from_the_store_with_no_request(
    emulator: EntraEmulator,
) -> None:
    env = emulator.env("DEVICE")
    first = _run(env, emulator.ca_path, "https://storage.azure.com/.default")
    emulator.reset()
    again = _run(env, emulator.ca_path, "https://storage.azure.com/.default")
    assert again.stdout == first.stdout
    assert sum(emulator.requests.values()) == 0
