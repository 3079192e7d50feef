"""Shared fixtures. The loopback Entra ID emulator, Azurite and the `az`/`pwsh` stand-ins come
from azlogin's own pytest plugin (azlogin.testing.pytest_plugin, registered by the package's
`pytest11` entry point, so not listed in `pytest_plugins`); the names these tests have always
used (`emulator`, `standins_on_path`) are aliases of its fixtures.

Every test also gets exactly one tier marker (see pyproject.toml), assigned below."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from azlogin._build.assemble import forget_shared_engines
from tests.support import SECRET

if TYPE_CHECKING:
    from azlogin.testing import EntraEmulator
    from azlogin.testing.azurite import Azurite
    from tests.test_cli import Cli

PLUGIN = "azlogin"
"""The name azlogin's pytest plugin is registered under (its entry point)."""

# Tiers, highest first: a test gets the first whose fixtures it uses (or whose module it is in).
INTEGRATION_FIXTURES = {"azurite", "azurite_host_style", "_bus"}  # Azurite; the Secret Service
FUNCTIONAL_FIXTURES = {"entra_emulator_session"}  # the Entra ID emulator, behind its fixtures
# Modules whose tests start servers or processes without those fixtures.
MODULE_TIERS = {
    "test_examples": "integration",  # demo.py starts the emulator and Azurite; a child pytest
    "test_pipelines": "integration",  # Dask
    "test_real_azure_cli": "integration",  # the real Azure CLI
    "test_secret_service": "integration",  # dbus-daemon and gnome-keyring-daemon
    "test_docs": "functional",  # the CLI's --help, in subprocesses
    "test_emulator": "functional",  # an EntraEmulator() of its own
    "test_no_secret_leaks": "functional",  # python -m azlogin, in subprocesses
    "test_persistence_processes": "functional",  # forked children
    "test_token_engine_end_to_end": "functional",  # EntraEmulator()s of its own (short_lived)
    "test_store_hardening": "functional",  # forked and setuid children, 12 scrypt processes
    "test_hardening": "functional",  # children in mount namespaces
    "test_data_stack": "integration",  # Azurite, polars and obstore for 90 seconds
    "test_redis_store": "integration",  # a real redis-server
    "test_redis_cluster": "integration",  # a real redis-server and 8 "machines"
    "test_redis_jobs": "integration",  # a real redis-server, a Dask cluster, killed "machines"
    "test_plugin": "integration",  # a child pytest using every fixture of the plugin, Azurite too
    "test_testing_wheel": "integration",  # builds the wheel, a virtualenv, a child pytest
    "test_testing_imports": "functional",  # fresh interpreters, to read sys.modules
    "test_redis_netns": "integration",  # a real redis-server, 8 machines in network namespaces
    "test_identity_habits": "functional",  # the emulator; mypy in a subprocess
    "test_lazy_imports": "functional",  # fresh interpreters, to read sys.modules
    "test_cli_startup": "functional",  # the console script under python -X importtime
    "test_doc_blocks": "integration",  # every docs block against the emulator and Azurite
    "test_docs_site": "integration",  # mkdocs builds the site
    "test_docs_screenshots": "integration",  # headless Chromium
}


def _tier(item: pytest.Item) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    module_tier = MODULE_TIERS.get(item.path.stem, "unit")
    if (
        fixtures & INTEGRATION_FIXTURES
        or item.get_closest_marker("azure_cli")
        or module_tier == "integration"
    ):
        return "integration"
    if fixtures & FUNCTIONAL_FIXTURES or module_tier == "functional":
        return "functional"
    return "unit"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        raise pytest.UsageError(
            "azlogin's pytest plugin is not registered: install the package so that its "
            "pytest11 entry point exists (`pip install -e .`), and do not pass -p no:azlogin"
        )


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(_tier(item))


# Azurite is installed once into the real user's cache, whatever HOME the tests set.
os.environ.setdefault("XDG_CACHE_HOME", str(Path.home() / ".cache"))


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line(
    caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Every test runs with DEBUG logging captured; no line may hold a secret: the tests'
    own SECRET, or the emulator's client secret and identity header."""
    caplog.set_level(logging.DEBUG)
    secrets = [SECRET]
    if "entra_emulator" in request.fixturenames:
        emulator: EntraEmulator = request.getfixturevalue("entra_emulator")
        secrets += [emulator.client_secret, emulator.identity_header]
    yield
    text = "\n".join(
        record.getMessage() for phase in ("setup", "call") for record in caplog.get_records(phase)
    )
    for secret in secrets:
        assert secret not in text, "a secret reached a log line"


@pytest.fixture(autouse=True)
def _engines_of_its_own() -> None:
    """Each test starts with no token engine shared from an earlier test."""
    forget_shared_engines()


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets a HOME of its own, so the default token store (~/.azlogin) never carries
    tokens from one test into another."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AZLOGIN_STORE_DIR", raising=False)
    monkeypatch.delenv("AZLOGIN_TOKEN_STORE", raising=False)
    return home


@pytest.fixture
def emulator(entra_emulator: EntraEmulator) -> EntraEmulator:
    """The plugin's `entra_emulator`: the session's emulator, reset for this test."""
    return entra_emulator


@pytest.fixture
def cli(emulator: EntraEmulator, private_home: Path) -> Cli:
    """The real console script with this test's HOME and the emulator's CA (tests/test_cli.py)."""
    from tests.test_cli import Cli  # here: the CLI's tests import azure-identity

    return Cli(emulator, private_home)


@pytest.fixture
def standins_on_path(cli_standins: Path) -> Path:
    """The plugin's `cli_standins`: the emulator's `az` and `pwsh`, first on PATH."""
    return cli_standins


@pytest.fixture(scope="session")
def certificates(
    entra_emulator_session: EntraEmulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Certificate files registered with the emulator's service principal, by kind."""
    folder = tmp_path_factory.mktemp("certs")
    write = entra_emulator_session.write_certificate
    return {
        "pem": write(folder / "plain.pem", fmt="pem"),
        "pem_encrypted": write(folder / "encrypted.pem", fmt="pem", password=SECRET),
        "pkcs12": write(folder / "cert.pfx", fmt="pkcs12", password=SECRET),
        "pem_no_key": write(folder / "nokey.pem", fmt="pem", include_key=False),
    }


@pytest.fixture(scope="session")
def azurite_host_style(
    entra_emulator_session: EntraEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Azurite]:
    """Azurite also serving host-style URLs (what DuckDB builds), its certificate naming
    devstoreaccount1.blob.localhost. (`azurite`, path-style only, is the plugin's.)"""
    from azlogin.testing.azurite import Azurite

    with Azurite(
        entra_emulator_session.ca, tmp_path_factory.mktemp("azurite-hs"), host_style=True
    ) as server:
        yield server
