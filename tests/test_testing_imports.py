"""azlogin.testing stays light: FakeCredential and the pytest plugin load no engine, no
emulator, no trustme, no server. Each check runs in a fresh interpreter and reads its
sys.modules."""

from __future__ import annotations

import pytest

import azlogin.testing
from tests.support import modules_after

# What importing FakeCredential may load of azlogin: the package's errors and version, and
# the token key FakeCredential records requests as.
LIGHT = {
    "azlogin",
    "azlogin._errors",
    "azlogin._version",
    "azlogin._engine",
    "azlogin._engine.keys",
    "azlogin.testing",
    "azlogin.testing.fake",
}
# Never loaded before a test asks for a server.
HEAVY = (
    "trustme",
    "azure.identity",
    "msal",
    "http.server",
    "socketserver",
    "azlogin.testing.emulator",
    "azlogin.testing.azurite",
    "azlogin.testing._lifecycle",
)


@pytest.mark.parametrize(
    "statement", ["import azlogin.testing", "from azlogin.testing import FakeCredential"]
)
def test_fake_credential_loads_no_engine_emulator_or_trustme(statement: str) -> None:
    loaded = modules_after(statement)
    assert {name for name in loaded if name.startswith("azlogin")} == LIGHT
    assert not [name for name in HEAVY if name in loaded]


def test_importing_the_pytest_plugin_starts_nothing() -> None:
    loaded = modules_after("import azlogin.testing.pytest_plugin")
    assert {name for name in loaded if name.startswith("azlogin")} == {
        *LIGHT,
        "azlogin.testing.pytest_plugin",
    }
    assert not [name for name in HEAVY if name in loaded]


def test_the_emulator_and_azurite_load_on_first_use() -> None:
    loaded = modules_after(
        "import sys\n"
        "import azlogin.testing\n"
        "assert 'trustme' not in sys.modules\n"
        "azlogin.testing.EntraEmulator, azlogin.testing.Azurite"
    )
    assert {"trustme", "azlogin.testing.emulator", "azlogin.testing.azurite"} <= loaded


def test_the_lazy_names_are_the_public_ones() -> None:
    from azlogin.testing.azurite import Azurite
    from azlogin.testing.emulator import EntraEmulator

    assert azlogin.testing.EntraEmulator is EntraEmulator
    assert azlogin.testing.Azurite is Azurite
    assert set(azlogin.testing.__all__) <= set(dir(azlogin.testing))
    with pytest.raises(AttributeError, match="has no attribute 'Emulator'"):
        _ = azlogin.testing.Emulator  # type: ignore[attr-defined]
