"""The hidden secret prompt, on a real pseudo-terminal: the secret is read, never echoed."""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path

from azlogin.testing import EntraEmulator
from tests.test_cli import CONSOLE_SCRIPT, Cli


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    seen = b""
    while marker not in seen:
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


def test_the_client_secret_prompt_does_not_echo(
    emulator: EntraEmulator, private_home: Path
) -> None:
    env = Cli(emulator, private_home).env
    args = [str(CONSOLE_SCRIPT), "login", "--service-principal", "--application-id",
            emulator.client_id, "--tenant-id", emulator.tenant_id,
            "--aad-endpoint", emulator.authority]  # fmt: skip
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes azlogin, on the terminal
        os.execve(args[0], args, env)  # noqa: S606 - the real console script, no shell
    deadline = time.monotonic() + 60
    screen = _read_until(fd, b"Client secret: ", deadline)
    os.write(fd, emulator.client_secret.encode() + b"\n")
    screen += _read_until(fd, b"Saved in", deadline)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert b"Login succeeded: service principal" in screen
    assert emulator.client_secret.encode() not in screen  # typed, but never shown
    assert emulator.requests["token"] == 1
