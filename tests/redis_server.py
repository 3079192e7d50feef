"""A real Redis for the tests: Debian's ``redis-server`` on 127.0.0.1, a free port, a
temporary directory, no persistence (``--save '' --appendonly no``). It can be killed
(SIGKILL, as a crash) and started again on the same port."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process; ``url`` stays the same across ``kill``/``start``."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server not found: apt-get install redis-server "
                "(Debian's package; the suite installs it when it runs as root)"
            )
        self.binary = binary
        self.directory = directory
        self.port = port or _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        command = [
            self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--dir", str(self.directory), "--daemonize", "no",
            "--protected-mode", "yes", "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited ({self.process.returncode}): {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as peer:
                    peer.sendall(b"PING\r\n")
                    if peer.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """SIGKILL, as a crash; the port is free again when this returns."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A started redis-server, stopped (and its directory removed) on the way out."""
    with tempfile.TemporaryDirectory(prefix="azlogin-redis-") as directory:
        server = RedisServer(Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def held_all_along(client: Any, lock_key: bytes | str, seconds: float) -> None:
    """Check, for ``seconds`` of real time (Redis's lease clock, which no fake clock can
    stand in for), that a lock stays taken by one holder: renewed, never ended or changed
    hands. ``client`` is a redis-py client."""
    owner = client.get(lock_key)
    assert owner is not None, "the lock is not taken"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert client.get(lock_key) == owner, "the lock ended or changed hands"
        time.sleep(0.02)
