"""Machines in network namespaces of their own, joined by veth pairs to a private hub, for
tests/test_redis_netns.py. Needs root: ``ip netns``, veth pairs and ``setns(2)``.

A machine's processes reach the root namespace's loopback servers (the Entra ID emulator,
Redis) at their usual 127.0.0.1:PORT, but only through the veth::

    machine i                                hub                              root
    127.0.0.1:P -relay-> 10.213.i.2 ==veth== 10.213.i.1  *:P -relay-> 127.0.0.1:P

The machine-side relay listens on the machine's own loopback and connects out from the
machine namespace; the hub-side relay listens in the hub (its socket made after ``setns``
into the hub) and connects out from the root namespace. Nothing listens on a non-loopback
address of the root namespace, and no interface joins the hub or a machine to the root
namespace or to a network: no packet can leave the host. Every socket a relay makes is
counted, so a test can show the bytes crossed each machine's veth.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import socket
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

CLONE_NEWNET = 0x40000000
NETNS_DIRECTORY = Path("/run/netns")
PREFIX = "azlogin-test-"  # every namespace this module makes: azlogin-test-<pid>-<role>
_LIBC = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _LIBC.setns(fd, CLONE_NEWNET) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"setns(CLONE_NEWNET): {os.strerror(number)}")


@contextlib.contextmanager
def inside(namespace: str | None) -> Iterator[None]:
    """The calling thread in network namespace ``namespace`` (a name under /run/netns; None:
    where it is) for the block; sockets made there stay there. Back in its own after."""
    if namespace is None:
        yield
        return
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(NETNS_DIRECTORY / namespace, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(own)


def ip(*arguments: str) -> str:
    """Run iproute2's ``ip``; its output, or AssertionError with its error."""
    done = subprocess.run(["ip", *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"ip {' '.join(arguments)}: {done.stderr.strip()}")
    return done.stdout


def remove_stale_namespaces() -> None:
    """Delete the namespaces of this module's earlier runs whose process is gone (a run
    killed before its finalizers ran)."""
    for path in NETNS_DIRECTORY.glob(PREFIX + "*") if NETNS_DIRECTORY.is_dir() else ():
        pid = path.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            subprocess.run(["ip", "netns", "del", path.name], capture_output=True, check=False)


class _Forwarder:
    """Listens on ``listen`` in namespace ``listen_in`` and joins each connection to
    ``target``, connected from namespace ``connect_from``; counts the bytes per label
    (``label_of(peer address)``)."""

    def __init__(
        self,
        listen: tuple[str, int],
        listen_in: str | None,
        target: tuple[str, int],
        connect_from: str | None,
        label_of: Callable[[str], object],
        counts: Counter[object],
        guard: threading.Lock,
    ) -> None:
        self.target = target
        self.connect_from = connect_from
        self.label_of = label_of
        self.counts = counts
        self.guard = guard
        self.stopping = threading.Event()
        self.sockets: set[socket.socket] = set()
        self.threads: list[threading.Thread] = []
        with inside(listen_in):
            self.listener = socket.create_server(listen, backlog=64)
        self.listener.settimeout(0.05)
        self._spawn(self._accept)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, peer = self.listener.accept()
            except socket.timeout:  # (TimeoutError from Python 3.10 on)
                continue
            except OSError:
                return
            client.settimeout(None)
            label = self.label_of(peer[0])
            try:
                with inside(self.connect_from):
                    upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.guard:
                self.sockets |= {client, upstream}
            self._spawn(self._pump, client, upstream, label)
            self._spawn(self._pump, upstream, client, label)

    def _pump(self, source: socket.socket, sink: socket.socket, label: object) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
                with self.guard:
                    self.counts[label] += len(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:  # reset, or closed by stop(): end both ways
            for one in (source, sink):
                with contextlib.suppress(OSError):
                    one.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.stopping.set()
        with self.guard:
            sockets, self.sockets = set(self.sockets), set()
        for one in sockets:
            with contextlib.suppress(OSError):
                one.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join(10)
        for one in (*sockets, self.listener):
            one.close()


class Lab:
    """``count`` machine namespaces, each joined by a veth pair to one hub namespace; made by
    :meth:`build`, all deleted by :meth:`close` (namespaces, and with them their veths)."""

    def __init__(self, count: int) -> None:
        self.count = count
        stem = f"{PREFIX}{os.getpid()}-"
        self.hub = stem + "hub"
        self.machines = [f"{stem}m{number}" for number in range(count)]
        self._made: list[str] = []
        self._forwarders: list[_Forwarder] = []
        self._guard = threading.Lock()
        #: Bytes relayed per (port, machine number), counted by the hub's relay: what
        #: crossed that machine's veth.
        self.crossed: Counter[object] = Counter()

    @staticmethod
    def hub_address(number: int) -> str:
        return f"10.213.{number}.1"

    @staticmethod
    def machine_address(number: int) -> str:
        return f"10.213.{number}.2"

    def build(self) -> None:
        for name in (self.hub, *self.machines):
            ip("netns", "add", name)
            self._made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        for number, machine in enumerate(self.machines):
            hub_end = f"m{number}"
            # Both ends are made in their namespaces: neither ever exists in the root one.
            ip("link", "add", hub_end, "netns", self.hub, "type", "veth",
               "peer", "name", "veth0", "netns", machine)  # fmt: skip
            ip("-n", self.hub, "addr", "add", f"{self.hub_address(number)}/24", "dev", hub_end)
            ip("-n", machine, "addr", "add", f"{self.machine_address(number)}/24", "dev", "veth0")
            ip("-n", self.hub, "link", "set", hub_end, "up")
            ip("-n", machine, "link", "set", "veth0", "up")

    @contextlib.contextmanager
    def relaying(self, *ports: int) -> Iterator[None]:
        """Each machine's 127.0.0.1:PORT reaches the root namespace's 127.0.0.1:PORT through
        its veth and the hub, for the block."""
        try:
            for port in ports:

                def machine_of(address: str, port: int = port) -> object:
                    number = int(address.split(".")[2])
                    assert address == self.machine_address(number), address
                    return (port, number)

                self._forwarders.append(
                    _Forwarder(("0.0.0.0", port), self.hub, ("127.0.0.1", port), None,  # noqa: S104 - the hub's, private
                               machine_of, self.crossed, self._guard)
                )  # fmt: skip
                for number, machine in enumerate(self.machines):
                    self._forwarders.append(
                        _Forwarder(("127.0.0.1", port), machine,
                                   (self.hub_address(number), port), machine,
                                   lambda address: None, Counter(), self._guard)
                    )  # fmt: skip
            yield
        finally:
            forwarders, self._forwarders = self._forwarders, []
            for forwarder in forwarders:
                forwarder.stop()

    def veth_bytes(self, number: int) -> int:
        """The bytes the kernel counted through machine ``number``'s veth, both ways."""
        (link,) = json.loads(ip("-n", self.machines[number], "-j", "-s", "link", "show", "veth0"))
        stats = link["stats64"]
        return int(stats["rx"]["bytes"]) + int(stats["tx"]["bytes"])

    def command(self, number: int) -> list[str]:
        """The prefix that runs a command in machine ``number``'s namespace."""
        return ["ip", "netns", "exec", self.machines[number]]

    def close(self) -> None:
        """Delete every namespace made (their veths go with them); idempotent."""
        errors = []
        while self._made:
            name = self._made.pop()
            done = subprocess.run(["ip", "netns", "del", name], capture_output=True, text=True)
            if done.returncode != 0:
                errors.append(f"{name}: {done.stderr.strip()}")
        assert not errors, f"namespaces not deleted: {errors}"
