"""Log records while a command runs (azlogin.cli._records): the CLI imports logging only when
something logs, yet without --debug no record reaches stderr, whenever logging is imported;
with --debug they do; and the CLI leaves logging and the import system as it found them."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from azlogin.cli import main
from azlogin.cli._records import _WhenImported
from azlogin.testing import EntraEmulator
from tests.test_cli import Cli
from tests.test_cli_startup import traced

WRONG_SECRET = "not-the-secret"


@pytest.fixture
def wrong_secret(emulator: EntraEmulator) -> dict[str, str]:
    """An SPN login from the environment whose client secret the emulator refuses (AADSTS7000215):
    azure-identity, imported while ``token`` runs, logs a WARNING."""
    return {**emulator.env("SPN"), "AZCOPY_SPA_CLIENT_SECRET": WRONG_SECRET}


def test_logging_imported_while_the_command_runs_shows_nothing_without_debug(
    cli: Cli, wrong_secret: dict[str, str]
) -> None:
    code, stderr, modules = traced(cli, "token", env=wrong_secret)
    assert code == 1
    assert "logging" in modules  # imported on the way (by azure-identity), not before
    assert "argparse" not in modules
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("azlogin: error: ")
    assert "AADSTS7000215" in stderr


def test_debug_shows_the_records(cli: Cli, wrong_secret: dict[str, str]) -> None:
    quiet = cli("token", env=wrong_secret, secrets=(WRONG_SECRET,))
    debug = cli("token", "--debug", env=wrong_secret, secrets=(WRONG_SECRET,))
    assert debug.returncode == 1
    assert "WARNING azure.identity" in debug.stderr
    assert "Traceback" in debug.stderr
    assert debug.stderr.splitlines()[-1] == quiet.stderr.rstrip()


_CHILD = """
import io, json, sys
from azlogin.cli import main

before = list(sys.meta_path)
err = io.StringIO()
env_code = main(["env"], {}, stdout=io.StringIO(), stderr=err)
after_env = {"logging": "logging" in sys.modules, "meta_path": sys.meta_path == before}
token_code = main(["token"], stdout=io.StringIO(), stderr=err)
import logging
after_token = {"meta_path": sys.meta_path == before, "handlers": logging.getLogger().handlers,
               "loader": type(logging.__loader__).__name__}
# logging imported, not configured; another scope, so that azure-identity asks (and logs) again
again = main(["token", "--scope", "https://management.azure.com/.default"],
             stdout=io.StringIO(), stderr=err)
print(json.dumps({
    "codes": [env_code, token_code, again], "after_env": after_env, "err": err.getvalue(),
    "after_token": {**after_token, "handlers": after_token["handlers"] == []},
}))
logging.getLogger("later").warning("a record after the commands")
"""


def test_the_cli_leaves_logging_and_the_import_system_as_it_found_them(
    cli: Cli, wrong_secret: dict[str, str]
) -> None:
    """In one process: a command that imports no logging; one during which azure-identity
    imports it; one more, with logging imported but not configured. After each, sys.meta_path
    is as it was and logging has no handler of the CLI's (a later record reaches logging's
    last resort, stderr); while they ran, no record did."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD], env={**cli.env, **wrong_secret}, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["codes"] == [0, 1, 1]
    assert found["after_env"] == {"logging": False, "meta_path": True}
    assert found["err"].count("\n") == 2, found["err"]  # one line per failed command
    # logging keeps its own loader
    assert found["after_token"] == {
        "meta_path": True,
        "handlers": True,
        "loader": "SourceFileLoader",
    }
    assert result.stderr == "a record after the commands\n"


def test_a_program_that_configured_logging_keeps_its_handlers(
    emulator: EntraEmulator, wrong_secret: dict[str, str], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)
    handlers = list(logging.getLogger().handlers)
    err = io.StringIO()
    assert main(["token"], wrong_secret, stdout=io.StringIO(), stderr=err) == 1
    assert "AADSTS7000215" in err.getvalue()
    assert err.getvalue().count("\n") == 1
    assert logging.getLogger().handlers == handlers
    assert any(record.name.startswith("azure.identity") for record in caplog.records)


def test_the_finder_calls_back_once_the_module_has_run_and_then_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "azlogin_fresh_module.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[int] = []

    def then(module: ModuleType) -> Callable[[], None]:
        seen.append(module.VALUE)  # the module has run
        return lambda: seen.append(0)

    finder = _WhenImported("azlogin_fresh_module", then)
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    try:
        import azlogin_fresh_module  # type: ignore[import-not-found]
    finally:
        sys.modules.pop("azlogin_fresh_module", None)
    assert seen == [42]
    assert finder not in sys.meta_path
    assert type(azlogin_fresh_module.__loader__).__name__ == "SourceFileLoader"
    assert finder.undo is not None
    finder.undo()
    assert seen == [42, 0]
