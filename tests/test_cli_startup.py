"""What the console script imports (read from ``python -X importtime``, not timed): the
argparse-only commands import no Azure SDK, MSAL, cryptography or keyring; ``login status``
and ``token`` with a valid saved login import only the stored-token path (no azure-identity,
no MSAL) and make no request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from azlogin.testing import EntraEmulator
from tests.test_cli import CONSOLE_SCRIPT, Cli, spn_flags

HEAVY = ("azure", "msal", "msal_extensions", "cryptography", "keyring")
"""Top-level packages the argparse-only commands must not import."""
IDENTITY = ("azure.identity", "msal", "msal_extensions")
STORED_TOKEN_PATH = ("azure", "msal", "msal_extensions", "keyring")
"""What showing a stored token never needs: no Azure SDK at all (not even azure-core)."""
"""What only a token from an identity provider needs."""


@pytest.fixture
def cli(emulator: EntraEmulator, private_home: Path) -> Cli:
    return Cli(emulator, private_home)


def _imports(cli: Cli, *args: str, code: int = 0) -> set[str]:
    """The modules the console script imports running ``args`` (exit code ``code``)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(CONSOLE_SCRIPT), *args],
        env=cli.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    assert result.returncode == code, result.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
    assert "azlogin.cli._parser" in modules  # importtime really reported the imports
    return modules


def _within(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["login", "--help"], ["token", "--help"], ["env"],
     ["env", "--output-type", "json"]],
)  # fmt: skip
def test_argparse_only_commands_import_no_sdk_crypto_or_keyring(cli: Cli, args: list[str]) -> None:
    assert _within(_imports(cli, *args), HEAVY) == []


def test_status_and_token_of_a_saved_login_import_only_the_stored_token_path(
    cli: Cli, emulator: EntraEmulator
) -> None:
    login = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    assert login.returncode == 0, login.stderr
    emulator.reset()
    for args in (["login", "status"], ["token"], ["token", "--output-type", "json"]):
        assert _within(_imports(cli, *args), STORED_TOKEN_PATH) == [], args
    assert sum(emulator.requests.values()) == 0


def test_status_without_a_saved_login_imports_no_identity_library(cli: Cli) -> None:
    assert _within(_imports(cli, "login", "status", code=1), IDENTITY) == []
