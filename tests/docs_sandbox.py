"""The machine the docs' code blocks run on: Azure's hosts, on loopback, in a namespace.

``tests/test_doc_blocks.py`` starts this module as
``unshare --user --map-root-user --net --mount --fork python -m tests.docs_sandbox WORKDIR``.
In its own network namespace (loopback only: nothing a block does can leave the machine) and
mount namespace it:

- brings loopback up and mounts a hosts file over ``/etc/hosts`` (in the namespace only) that
  sends the storage hosts the docs name (``myaccount.blob.core.windows.net``, ...) to
  127.0.0.1;
- makes every file system read-only except ``WORKDIR`` (and a private ``/dev/shm``), and runs
  each block in a mount namespace of its own where only its temporary HOME is writable, so a
  block that writes anywhere else fails;
- starts an ``EntraEmulator`` and ``Azurite`` (its certificate from the emulator's CA, naming
  those hosts; the docs' accounts), and forwards 127.0.0.1:443 to Azurite, so the URLs in the
  docs reach it as written;
- then, for each JSON request on stdin (a block and its page's setup), resets the emulator and
  the storage account to the sample data, runs the block in a subprocess with a fresh HOME and
  the setup's environment, and answers one JSON line on stdout.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNTS = ("myaccount", "acct")
"""The storage accounts the docs' URLs name; each has the sample data."""
SERVICES = ("blob", "dfs")
"""Their hosts: ``<account>.<service>.core.windows.net``, all served by Azurite's blob service
(polars, deltalake and obstore turn a ``dfs`` URL into the blob endpoint)."""
HOSTS = tuple(
    f"{account}.{service}.core.windows.net" for account in ACCOUNTS for service in SERVICES
)
AZURITE_KEY = "a2V5LWZvci10aGUtZG9jcy1ibG9ja3Mtb25seQ=="  # Azurite wants one; tokens are used
RUNNERS = {
    "python": "python",
    "py": "python",
    "pycon": "doctest",
    "bash": "bash",
    "sh": "bash",
    "shell": "bash",
}
"""Fence languages the suite runs, and how."""
BLOCK_TIMEOUT = 300


@dataclass(frozen=True)
class Setup:
    """What a page's blocks find on the machine (``tests/test_doc_blocks.py`` names one per
    page): the ``AZCOPY_*`` variables of ``login_type`` for the emulator (none: a machine with
    no login configured), and every account holding the sample data (:func:`sample_data`)."""

    login_type: str | None = "SPN"


@dataclass
class World:
    """The servers of the namespace and what a block's environment needs from them."""

    emulator: Any
    workdir: Path
    bin_dir: Path
    blocks: int = 0
    federated_token: str = ""

    def placeholders(self) -> dict[str, str]:
        """The docs' ``<placeholders>`` and this machine's values for them, as a reader
        replaces them with theirs."""
        return {
            "<application-id>": self.emulator.client_id,
            "<client-secret>": self.emulator.client_secret,
            "<tenant-id>": self.emulator.tenant_id,
        }

    def environment(self, setup: Setup, home: Path) -> dict[str, str]:
        """A block's whole environment: a fresh HOME, this Python's scripts and the ``az`` /
        ``pwsh`` stand-ins on PATH, the emulator's CA trusted the ways the tools read it,
        Azurite's installed executable, and the login type's variables."""
        ca = self.emulator.ca_path
        env = {
            "HOME": str(home),
            "TMPDIR": str(home / "tmp"),
            "PATH": os.pathsep.join(
                [str(Path(sys.executable).parent), str(self.bin_dir), "/usr/bin", "/bin"]
            ),
            "LANG": "C.UTF-8",
            "REQUESTS_CA_BUNDLE": ca,  # requests: azure-identity, azure-storage, the CLI
            "SSL_CERT_FILE": ca,  # aiohttp (adlfs), polars, deltalake, obstore
            "CURL_CA_BUNDLE": ca,  # the curl command
            "CURL_CA_INFO": ca,  # DuckDB's azure extension (its curl transport)
            # Azurite as npm installed it once, for blocks that start their own (testing.md).
            "AZLOGIN_AZURITE_BLOB": os.environ["AZLOGIN_AZURITE_BLOB"],
        }
        if setup.login_type is not None:
            options = {"token_file": self.federated_token} if setup.login_type == "WORKLOAD" else {}
            env.update(self.emulator.env(setup.login_type, **options))
        return env


def enter_namespace(workdir: Path) -> None:
    """Loopback up, the docs' hosts on it, everything but ``workdir`` read-only."""
    loopback_up()
    hosts = workdir / "hosts"
    hosts.write_text("127.0.0.1 localhost " + " ".join(HOSTS) + "\n::1 localhost\n")
    _mount("--bind", str(hosts), "/etc/hosts")
    _mount("--bind", str(workdir), str(workdir))
    _mount("-t", "tmpfs", "tmpfs", "/dev/shm")
    for mount_point in _mount_points():
        if mount_point.startswith(("/proc", "/sys", "/dev")):
            continue
        if Path(mount_point) == workdir or workdir in Path(mount_point).parents:
            continue
        _mount("-o", "remount,bind,ro", mount_point)


def loopback_up() -> None:
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, siocgifflags, request)[:18])[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))


def _mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True)


def _mount_points() -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    points = {line.split()[4].encode().decode("unicode_escape") for line in lines}
    return sorted(points, key=len, reverse=True)


class NamingCA:
    """The emulator's CA, issuing certificates that also name the docs' storage hosts (the
    ``ca`` that ``Azurite`` asks for its certificate)."""

    def __init__(self, ca: Any, names: list[str]) -> None:
        self._ca = ca
        self._names = names

    def issue_cert(self, *names: str) -> Any:
        return self._ca.issue_cert(*names, *self._names)


def forward(listen_port: int, target: tuple[str, int]) -> socket.socket:
    """Forward TCP connections to 127.0.0.1:``listen_port`` on to ``target`` (TLS passes
    through untouched: Azurite's certificate names the docs' hosts)."""
    server = socket.create_server(("127.0.0.1", listen_port))

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def connection(client: socket.socket) -> None:
        with client, socket.create_connection(target) as upstream:
            back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
            back.start()
            pipe(client, upstream)
            back.join()

    def serve() -> None:
        with contextlib.suppress(OSError):  # the server socket closed
            while True:
                client, _ = server.accept()
                threading.Thread(target=connection, args=(client,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server


def sample_data() -> dict[str, bytes]:
    """What container ``data`` of every account holds before each block: Parquet files the
    docs read (``sales.parquet``, ``sales/2024.parquet``, ``events/part-0.parquet``)."""
    import pandas as pd

    def parquet(frame: pd.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    sales = parquet(pd.DataFrame({"region": ["north", "south"], "sales": [120, 80]}))
    events = parquet(pd.DataFrame({"kind": ["click", "view", "click"], "n": [1, 2, 3]}))
    return {"sales.parquet": sales, "sales/2024.parquet": sales, "events/part-0.parquet": events}


def reset_storage(world: World, blobs: dict[str, bytes]) -> None:
    """Every account back to one container ``data`` holding ``blobs``."""
    from azlogin.storage import blob_service_client

    for account in ACCOUNTS:
        client = blob_service_client(
            f"https://{account}.blob.core.windows.net",
            env=world.emulator.env("SPN"),
            connection_verify=world.emulator.ca_path,
            token_store="memory",
        )
        with client:
            for container in client.list_containers():
                client.delete_container(container.name)
            data = client.create_container("data")
            for name, content in blobs.items():
                data.upload_blob(name, content)


def run_block(world: World, request: dict[str, Any], blobs: dict[str, bytes]) -> dict[str, Any]:
    """Run one block as its page's reader would, after resetting the servers."""
    setup = Setup(**request["setup"])
    world.emulator.reset()
    reset_storage(world, blobs)
    world.blocks += 1
    folder = world.workdir / "blocks" / str(world.blocks)
    home = folder / "home"
    (home / "tmp").mkdir(parents=True)
    env = world.environment(setup, home)
    code = request["code"]
    for placeholder, value in world.placeholders().items():
        code = code.replace(placeholder, value)
    command = [*confined_to(home, world.workdir), *_command(request["lang"], code, folder)]
    try:
        done = subprocess.run(
            command, cwd=home, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return {"returncode": None, "stdout": "", "stderr": "timed out", "secret_shown": False}
    shown = world.emulator.client_secret in done.stdout + done.stderr
    return {
        "returncode": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "secret_shown": shown,
    }


CONFINE = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'
"""In a mount namespace of the block's own: its HOME stays writable, the rest of the sandbox's
folder (other blocks, the servers' files) becomes read-only like everything else."""


def confined_to(home: Path, workdir: Path) -> list[str]:
    """The command prefix that runs a block with ``home`` as the only writable folder."""
    return ["unshare", "--mount", "sh", "-c", CONFINE, "confine", str(home), str(workdir)]


def _command(lang: str, code: str, folder: Path) -> list[str]:
    runner = RUNNERS[lang]
    if runner == "bash":
        (folder / "block.sh").write_text(code)
        return ["bash", "-e", "-o", "pipefail", str(folder / "block.sh")]
    if runner == "doctest":
        (folder / "block.txt").write_text(code)
        options = ["-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE", "-o", "IGNORE_EXCEPTION_DETAIL"]
        return [sys.executable, "-m", "doctest", *options, str(folder / "block.txt")]
    # A block of test functions is run the way its reader runs it: with pytest.
    if any(line.startswith(("def test_", "async def test_")) for line in code.splitlines()):
        (folder / "test_block.py").write_text(code)
        return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)]
    (folder / "block.py").write_text(code)
    return [sys.executable, str(folder / "block.py")]


@contextlib.contextmanager
def servers(workdir: Path) -> Iterator[World]:
    """The emulator, Azurite behind 127.0.0.1:443, the CLI stand-ins."""
    from azlogin.testing import Azurite, EntraEmulator

    os.environ["AZURITE_ACCOUNTS"] = ";".join(f"{a}:{AZURITE_KEY}" for a in ACCOUNTS)
    azurite_dir = workdir / "azurite"
    azurite_dir.mkdir()
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    with contextlib.ExitStack() as stack:
        emulator = stack.enter_context(EntraEmulator())
        ca = NamingCA(emulator.ca, list(HOSTS))
        azurite = stack.enter_context(Azurite(ca, azurite_dir, host_style=True))
        emulator.install_cli_standins(bin_dir)
        port = int(azurite.url.rsplit(":", 1)[1])
        stack.enter_context(forward(443, ("127.0.0.1", port)))
        token = emulator.write_federated_token(workdir / "federated-token")
        yield World(emulator, workdir, bin_dir, federated_token=token)


def main(workdir: Path) -> None:
    answers = os.fdopen(os.dup(1), "w")  # the protocol's; anything else printed goes to stderr
    os.dup2(2, 1)
    os.environ["HOME"] = str(workdir / "sandbox-home")
    os.environ["TMPDIR"] = str(workdir / "sandbox-tmp")
    for folder in ("sandbox-home", "sandbox-tmp"):
        (workdir / folder).mkdir()
    enter_namespace(workdir)
    blobs = sample_data()
    with servers(workdir) as world:
        print(json.dumps({"ready": True}), file=answers, flush=True)
        for line in sys.stdin:
            result = run_block(world, json.loads(line), blobs)
            print(json.dumps(result), file=answers, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
