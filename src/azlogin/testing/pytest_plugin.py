"""pytest fixtures for code that signs in with azlogin: ``entra_emulator``, ``azurite``,
``fake_credential`` and ``cli_standins``.

Installing azlogin registers this module with pytest (entry point ``pytest11``, name
``azlogin``; ``-p no:azlogin`` switches it off). It is inert until a test asks for one of its
fixtures: importing it starts nothing and imports neither the emulator nor ``trustme``, which
the emulator fixtures need (``pip install "azlogin[testing]"``).

* ``fake_credential``: a new :class:`~azlogin.testing.FakeCredential` per test.
* ``entra_emulator``: the session's :class:`~azlogin.testing.EntraEmulator`, its counters and
  faults reset for each test (``entra_emulator_session`` is the same one, not reset).
* ``cli_standins``: the emulator's ``az`` and ``pwsh`` stand-ins, first on ``PATH`` for the
  test; the fixture's value is their folder.
* ``azurite``: the session's :class:`~azlogin.testing.Azurite` blob service over HTTPS, its
  certificate from the emulator's CA. It needs Node.js 18 or later with npm (Azurite is
  installed from npm on first use) or ``AZLOGIN_AZURITE_BLOB``; without them the tests that
  use it fail with a message that says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .fake import FakeCredential

if TYPE_CHECKING:
    from .azurite import Azurite
    from .emulator import EntraEmulator

__all__ = [
    "azurite",
    "cli_standins",
    "entra_emulator",
    "entra_emulator_session",
    "fake_credential",
]


@pytest.fixture
def fake_credential() -> FakeCredential:
    """A new ``FakeCredential``: canned tokens, every request recorded."""
    return FakeCredential()


@pytest.fixture(scope="session")
def entra_emulator_session() -> Iterator[EntraEmulator]:
    """The ``EntraEmulator`` of the test session, started on first use (not reset)."""
    try:
        from .emulator import EntraEmulator
    except ImportError as exc:  # trustme, the testing extra
        pytest.fail(
            f"the entra_emulator fixture needs azlogin's testing extra ({exc}): "
            'pip install "azlogin[testing]"',
            pytrace=False,
        )
    with EntraEmulator() as emulator:
        yield emulator


@pytest.fixture
def entra_emulator(entra_emulator_session: EntraEmulator) -> EntraEmulator:
    """The session's ``EntraEmulator``, with request counters, recorded token requests and
    faults cleared for this test (its principals and registrations are kept)."""
    entra_emulator_session.reset()
    return entra_emulator_session


@pytest.fixture
def cli_standins(
    entra_emulator: EntraEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A folder holding the emulator's ``az`` and ``pwsh`` stand-ins, first on ``PATH`` for
    this test, so ``AzureCliCredential`` and ``AzurePowerShellCredential`` (the AZCLI and
    PSCRED login types) get the emulator's user's tokens."""
    bin_dir = tmp_path_factory.mktemp("cli-standins")
    entra_emulator.install_cli_standins(bin_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        yield bin_dir


@pytest.fixture(scope="session")
def azurite(
    entra_emulator_session: EntraEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Azurite]:
    """Azurite's blob service over HTTPS with OAuth (``--oauth basic``) for the session, its
    certificate from the emulator's CA (``entra_emulator.ca_path`` verifies it)."""
    from .azurite import Azurite, AzuriteNotAvailableError

    try:
        server = Azurite(entra_emulator_session.ca, tmp_path_factory.mktemp("azurite"))
        server.__enter__()
    except AzuriteNotAvailableError as exc:
        pytest.fail(f"the azurite fixture cannot start Azurite: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.__exit__(None, None, None)
