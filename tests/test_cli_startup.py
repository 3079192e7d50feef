"""What the console script imports (read from ``python -X importtime``, not timed): the
argparse-only commands import no Azure SDK, MSAL, cryptography or keyring; ``login status``
and ``token`` with a valid saved login import only the stored-token path (no azure-identity,
no MSAL), neither argparse nor logging, and make no request."""

from __future__ import annotations

import subprocess
import sys

import pytest

from azlogin._engine.keys import STORAGE_SCOPE
from azlogin.testing import EntraEmulator
from tests.support import imported_by_dependencies
from tests.test_cli import CONSOLE_SCRIPT, Cli, spn_flags

HEAVY = ("azure", "msal", "msal_extensions", "cryptography", "keyring")
"""Top-level packages the argparse-only commands must not import."""
IDENTITY = ("azure.identity", "msal", "msal_extensions")
STORED_TOKEN_PATH = ("azure", "msal", "msal_extensions", "keyring")
"""What showing a stored token never needs: no Azure SDK at all (not even azure-core)."""
ARGPARSE_AND_LOGGING = (
    "argparse", "gettext", "locale", "shutil", "logging", "dataclasses", "inspect", "datetime",
    "random", "secrets",
)  # fmt: skip
"""What ``login status`` and ``token`` written plainly never import: argparse (with gettext,
locale and shutil), logging while no one logs, dataclasses (and inspect), datetime (times are
formatted with the time module), random and secrets."""
FAST_LINES = [
    ["login", "status"],
    ["login", "status", "--output-type", "json", "--tenant"],
    ["--output-type", "json", "login", "--output-type=text", "status", "--method"],
    ["token"],
    ["token", "--output-type", "json"],
    ["--output-type=json", "token", "--scope", STORAGE_SCOPE],
]


@pytest.fixture
def saved_login(cli: Cli, emulator: EntraEmulator) -> None:
    """A saved SPN login whose token is in the store; the emulator's counters reset."""
    login = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    assert login.returncode == 0, login.stderr
    emulator.reset()


def traced(cli: Cli, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, set[str]]:
    """The console script's exit code, stderr (without importtime's lines) and the modules it
    imported, running ``args``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(CONSOLE_SCRIPT), *args],
        env={**cli.env, **(env or {})}, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    lines = result.stderr.splitlines(keepends=True)
    modules = {
        line.rsplit("|", 1)[-1].strip()
        for line in lines
        if line.startswith("import time:") and "imported package" not in line
    }
    assert "azlogin.cli" in modules  # importtime really reported the imports
    stderr = "".join(line for line in lines if not line.startswith("import time:"))
    return result.returncode, stderr, modules


def _imports(cli: Cli, *args: str, code: int = 0) -> set[str]:
    """The modules the console script imports running ``args`` (exit code ``code``)."""
    returncode, stderr, modules = traced(cli, *args)
    assert returncode == code, stderr[-2000:]
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
    cli: Cli, emulator: EntraEmulator, saved_login: None
) -> None:
    for args in (["login", "status"], ["token"], ["token", "--output-type", "json"]):
        assert _within(_imports(cli, *args), STORED_TOKEN_PATH) == [], args
    assert sum(emulator.requests.values()) == 0


def test_status_without_a_saved_login_imports_no_identity_library(cli: Cli) -> None:
    assert _within(_imports(cli, "login", "status", code=1), IDENTITY) == []


def test_status_and_token_import_neither_argparse_nor_logging(
    cli: Cli, emulator: EntraEmulator, saved_login: None
) -> None:
    # Only what azlogin imports: on the oldest admitted cryptography its cipher modules
    # import some of these themselves.
    theirs = imported_by_dependencies()
    ours = tuple(name for name in ARGPARSE_AND_LOGGING if name not in theirs)
    assert "argparse" in ours  # no dependency of this path imports argparse
    for args in FAST_LINES:
        assert _within(_imports(cli, *args), ours) == [], args
    assert sum(emulator.requests.values()) == 0


def test_a_usage_error_is_still_argparse_s(cli: Cli) -> None:
    code, stderr, modules = traced(cli, "token", "--bogus")
    assert code == 2
    assert stderr.startswith("usage: azlogin token [-h]")
    assert stderr.splitlines()[-1] == "azlogin token: error: unrecognized arguments: --bogus"
    assert "argparse" in modules
