"""The console script on a real pseudo-terminal: the hidden secret prompt (read, never echoed),
Ctrl-C during a device login, and the question before a login replaces another kind."""

from __future__ import annotations

import json
import os
import pty
import select
import time

import pytest

from azlogin.testing import EntraEmulator
from tests.test_cli import CONSOLE_SCRIPT, Cli, spn_flags


def _read_until(fd: int, marker: bytes | None, deadline: float) -> bytes:
    """What the terminal shows until ``marker`` appears (None: until the child closes it)."""
    seen = b""
    while marker is None or marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {marker!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


class Terminal:
    """The console script as the only process on a new pseudo-terminal (its session leader:
    Ctrl-C typed there is its SIGINT)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        command = [str(CONSOLE_SCRIPT), *args]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child becomes azlogin, on the terminal
            os.execve(command[0], command, env)  # noqa: S606 - the real console script
        self.deadline = time.monotonic() + 60
        self.screen = b""

    def wait_for(self, marker: bytes) -> None:
        self.screen += _read_until(self.fd, marker, self.deadline)

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def exit_code(self) -> int:
        self.screen += _read_until(self.fd, None, self.deadline)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def test_the_client_secret_prompt_does_not_echo(cli: Cli, emulator: EntraEmulator) -> None:
    terminal = Terminal(cli.env, *spn_flags(emulator))
    terminal.wait_for(b"Client secret: ")
    terminal.type(emulator.client_secret.encode() + b"\n")
    assert terminal.exit_code() == 0, terminal.screen
    assert b"Login succeeded: service principal" in terminal.screen
    assert emulator.client_secret.encode() not in terminal.screen  # typed, but never shown
    assert emulator.requests["token"] == 1


def test_ctrl_c_during_a_device_login_says_interrupted_and_exits_130(
    cli: Cli, emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator, "device_code_pending_polls", 10**6)  # nobody signs in
    monkeypatch.setattr(emulator, "device_code_interval", 1)
    flags = ["--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority]
    terminal = Terminal(cli.env, "login", *flags)
    terminal.wait_for(b"enter the code")
    terminal.type(b"\x03")  # Ctrl-C
    assert terminal.exit_code() == 130, terminal.screen
    assert terminal.screen.rstrip().endswith(b"azlogin: interrupted")
    assert b"Traceback" not in terminal.screen
    assert b"KeyboardInterrupt" not in terminal.screen
    status = json.loads(cli("login", "status", "--output-type", "json").stdout)
    assert status["error"] == "not logged in"  # nothing was saved


@pytest.mark.parametrize(("answer", "kept"), [(b"n\n", "SPN"), (b"y\n", "DEVICE")])
def test_on_a_terminal_it_asks_before_replacing_another_kind_of_saved_login(
    cli: Cli, emulator: EntraEmulator, answer: bytes, kept: str
) -> None:
    spn = cli(*spn_flags(emulator), env={"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret})
    assert spn.returncode == 0, spn.stderr
    env = {**cli.env, "AZCOPY_AUTO_LOGIN_TYPE": "MSI"}
    flags = ["--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority]
    terminal = Terminal(env, "login", *flags)
    terminal.wait_for(b"Go on? [y/N] ")
    assert (
        b"AZCOPY_AUTO_LOGIN_TYPE is MSI here, but `azlogin login` without a type flag makes a "
        b"DEVICE login (device code, an interactive user), replacing the saved SPN login; pass "
        b"--identity for a managed identity login."
    ) in terminal.screen
    assert emulator.requests["devicecode"] == 0  # asked before anything happened
    terminal.type(answer)
    code = terminal.exit_code()
    if kept == "SPN":
        assert code == 1, terminal.screen
        assert b"azlogin: error: Cancelled: the saved login is unchanged." in terminal.screen
        assert emulator.requests["devicecode"] == 0
    else:
        assert code == 0, terminal.screen
        assert b"replacing the saved SPN login." in terminal.screen
    status = json.loads(cli("login", "status", "--output-type", "json").stdout)
    assert status["login_type"] == kept
