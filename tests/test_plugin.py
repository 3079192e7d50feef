"""azlogin's pytest plugin (azlogin.testing.pytest_plugin), as a user meets it: a child pytest
in an empty folder, no conftest, the fixtures found through the installed `pytest11` entry
point; and Azurite's errors when Node.js or npm is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from azlogin.testing.azurite import AzuriteNotAvailableError, azurite_blob_binary
from tests.plugin_user_tests import USER_TESTS, USER_TESTS_PASSED


def _child_pytest(
    folder: Path, source: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    test_file = folder / "test_user.py"
    test_file.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_users_tests_get_every_fixture_from_the_entry_point(tmp_path: Path) -> None:
    done = _child_pytest(tmp_path, USER_TESTS, dict(os.environ))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert USER_TESTS_PASSED in done.stdout


def test_the_plugin_is_registered_once_here(pytestconfig: pytest.Config) -> None:
    manager = pytestconfig.pluginmanager
    plugin = manager.get_plugin("azlogin")
    assert plugin is not None
    assert plugin.__name__ == "azlogin.testing.pytest_plugin"
    names = [name for name, module in manager.list_name_plugin() if module is plugin]
    assert names == ["azlogin"]


def test_azurite_without_node_fails_its_tests_with_what_to_install(tmp_path: Path) -> None:
    source = (
        "def test_storage(azurite):\n    pass\n\n\n"
        "def test_sign_in(entra_emulator):\n    assert entra_emulator.requests == {}\n"
    )
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("AZLOGIN_AZURITE_BLOB", None)
    done = _child_pytest(tmp_path, source, env)
    assert done.returncode == 1
    assert "1 passed, 1 error" in done.stdout
    expected = (
        "the azurite fixture cannot start Azurite: Azurite runs on Node.js and `node` is not "
        "on PATH: install Node.js 18 or later with npm"
    )
    assert expected in done.stdout
    assert "AZLOGIN_AZURITE_BLOB" in done.stdout
    assert "Traceback" not in done.stdout


def test_without_the_testing_extra_the_emulator_fixture_says_what_to_install(
    tmp_path: Path,
) -> None:
    source = (
        "import sys\n\n"
        "sys.modules['trustme'] = None  # as if the testing extra were not installed\n\n\n"
        "def test_sign_in(entra_emulator):\n    pass\n\n\n"
        "def test_unit(fake_credential):\n    assert fake_credential.requests == []\n"
    )
    done = _child_pytest(tmp_path, source, dict(os.environ))
    assert "1 passed, 1 error" in done.stdout
    assert "the entra_emulator fixture needs azlogin's testing extra" in done.stdout
    assert 'pip install "azlogin[testing]"' in done.stdout


def _path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools`` (links to the machine's)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        found = shutil.which(tool)
        assert found is not None, f"this test needs {tool} on the machine"
        (folder / tool).symlink_to(found)
    return str(folder)


def test_without_npm_the_error_says_what_to_install(tmp_path: Path) -> None:
    env = {"PATH": _path_with(tmp_path, "node"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with pytest.raises(AzuriteNotAvailableError) as caught:
        azurite_blob_binary(env)
    message = str(caught.value)
    assert "`npm` is not on PATH: install npm (Debian: apt-get install npm)" in message
    assert "AZLOGIN_AZURITE_BLOB" in message


def test_a_failed_npm_install_names_the_registry_and_quotes_npm(tmp_path: Path) -> None:
    env = {
        "PATH": _path_with(tmp_path, "node", "npm"),
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "npm_config_registry": "http://127.0.0.1:9/",  # nothing listens on the discard port
        "npm_config_fetch_retries": "0",
        "npm_config_cache": str(tmp_path / "npm-cache"),
    }
    with pytest.raises(AzuriteNotAvailableError) as caught:
        azurite_blob_binary(env)
    message = str(caught.value)
    assert "`npm install azurite@3` into" in message
    assert "check that the npm registry is reachable" in message
    assert "npm said:" in message
    assert not (tmp_path / "cache" / "azlogin-tests" / "azurite" / "node_modules" / ".bin").exists()


def test_a_configured_binary_must_be_executable(tmp_path: Path) -> None:
    plain = tmp_path / "azurite-blob"
    plain.write_text("not a program")
    with pytest.raises(AzuriteNotAvailableError, match="AZLOGIN_AZURITE_BLOB is set to"):
        azurite_blob_binary({"AZLOGIN_AZURITE_BLOB": str(plain), "PATH": ""})
    plain.chmod(0o755)
    assert azurite_blob_binary({"AZLOGIN_AZURITE_BLOB": str(plain), "PATH": ""}) == str(plain)
