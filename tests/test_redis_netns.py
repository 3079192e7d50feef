"""tests/test_redis_cluster.py's proof with every machine in a network namespace of its own:
8 machines, each a process group with its own HOME, local store and network namespace,
joined to the Redis host by a veth pair, ask at once with the same identity: 1 token request
with Redis (SPN and WORKLOAD), 8 without.

The machines reach the emulator and Redis at the root namespace's 127.0.0.1:PORT through
their veth and a private hub namespace (tests/netns_lab.py draws it): nothing listens on a
non-loopback address of the root namespace and no packet can leave the host. The relays'
counters and the kernel's veth counters show the bytes crossed every machine's veth.

Root only (ip netns, veth pairs, setns), as CI runs the suite: run as another user, these
tests fail with a message saying so (deselect the module there:
``--deselect tests/test_redis_netns.py``; test_redis_cluster.py makes the same proof
without namespaces)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis as redis_py

from azlogin.testing import EntraEmulator
from tests.netns_lab import Lab, inside, ip, remove_stale_namespaces
from tests.redis_server import RedisServer, redis_server
from tests.test_redis_cluster import run_machines

KEY = base64.b64encode(bytes(range(32))).decode()
MACHINES = 8
ROOT_ONLY = (
    "tests/test_redis_netns.py puts each machine in a network namespace of its own: it needs "
    "root (CAP_SYS_ADMIN and CAP_NET_ADMIN for ip netns, veth pairs and setns), as CI runs "
    "the suite. Run it as root, or deselect it (--deselect tests/test_redis_netns.py); "
    "tests/test_redis_cluster.py makes the same proof without namespaces."
)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.fail(ROOT_ONLY)
    if shutil.which("ip") is None:
        pytest.fail("iproute2's ip is missing: apt-get install iproute2 (nox -s tests does)")
    remove_stale_namespaces()
    built = Lab(MACHINES)
    try:
        try:
            built.build()
        except AssertionError as error:
            pytest.fail(f"{ROOT_ONLY}\n{error}")
        yield built
    finally:
        built.close()
    left = ip("netns", "list")
    assert not any(name in left for name in (built.hub, *built.machines)), left


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def _loopback_ports(env: dict[str, str]) -> set[int]:
    """The ports of the root namespace's loopback servers the login's variables name."""
    ports = set()
    for value in env.values():
        parts = urlsplit(value)
        if parts.scheme in ("http", "https", "redis") and parts.hostname == "127.0.0.1":
            assert parts.port is not None
            ports.add(parts.port)
    return ports


def _listeners(*prefix: str) -> list[tuple[str, str]]:
    """The TCP listening sockets of a namespace (``ss``): (address, process column)."""
    out = subprocess.run(
        [*prefix, "ss", "-Hltnp"], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        found.append((fields[3].rsplit(":", 1)[0], " ".join(fields[5:])))
    return found


@pytest.mark.parametrize(
    ("login", "shared", "requests"),
    [("SPN", True, 1), ("WORKLOAD", True, 1), ("SPN", False, MACHINES)],
    ids=["SPN-redis", "WORKLOAD-redis", "SPN-without-redis"],
)
def test_eight_machines_in_network_namespaces(
    emulator: EntraEmulator,
    redis: RedisServer,
    lab: Lab,
    tmp_path: Path,
    login: str,
    shared: bool,
    requests: int,
) -> None:
    extra = {}
    if login == "WORKLOAD":  # the projected service-account token, as each pod mounts it
        extra["token_file"] = emulator.write_federated_token(tmp_path / "sa-token")
    env = emulator.env(login, **extra)
    if shared:
        env = {**env, "AZLOGIN_TOKEN_STORE": redis.url, "AZLOGIN_STORE_KEY": KEY}
        client = redis_py.Redis.from_url(redis.url)
        client.flushdb()
        client.close()
    ports = _loopback_ports(env)
    (emulator_port,) = _loopback_ports({"authority": emulator.authority})
    assert emulator_port in ports
    assert (redis.port in ports) is shared
    lab.crossed.clear()
    veth_before = [lab.veth_bytes(number) for number in range(MACHINES)]

    with lab.relaying(*ports):
        digests = run_machines(MACHINES, env, emulator.ca_path, tmp_path, prefix=lab.command)
        # The only non-loopback listeners are the hub's, in the hub; none in the root
        # namespace (ours there: the emulator's and Redis's, on 127.0.0.1).
        hub = {address for address, _ in _listeners("ip", "netns", "exec", lab.hub)}
        assert hub == {"0.0.0.0"}, hub  # noqa: S104 - in the hub, which only the veths reach
        assert redis.process is not None
        ours = (f"pid={os.getpid()},", f"pid={redis.process.pid},")
        root = [(address, users) for address, users in _listeners() if users.startswith("users")]
        assert any(pid in users for pid in ours for _, users in root), root
        for address, users in root:
            if any(pid in users for pid in ours):
                assert address in ("127.0.0.1", "[::1]"), (address, users)

    assert len(digests) == MACHINES
    assert len(set(digests)) == (1 if shared else MACHINES)
    assert emulator.requests["token"] == requests

    # Every machine's traffic crossed its own veth: the hub's relay counted it, coming from
    # that machine's address, and the kernel counted at least as much on the veth.
    talked_to = redis.port if shared else emulator_port  # every machine asks there
    for number in range(MACHINES):
        assert lab.crossed[(talked_to, number)] > 0, (number, dict(lab.crossed))
        relayed = sum(lab.crossed[(port, number)] for port in ports)
        assert lab.veth_bytes(number) - veth_before[number] >= relayed
    assert sum(lab.crossed[(emulator_port, number)] for number in range(MACHINES)) > 0


def test_a_machine_reaches_the_root_namespace_only_through_its_veth(lab: Lab) -> None:
    """The machines' 127.0.0.1 is their own: a server on the root namespace's loopback that
    is not relayed cannot be reached, and neither a machine nor the hub has a way out."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with inside(lab.machines[0]):
            probe = socket.socket()
        with probe, pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))
    veth_ends = {f"m{number}" for number in range(MACHINES)}
    for namespace, links in [(lab.hub, veth_ends), *((m, {"veth0"}) for m in lab.machines)]:
        names = {link["ifname"] for link in json.loads(ip("-n", namespace, "-j", "link"))}
        assert names == {"lo", *links}
        for family in ("-4", "-6"):
            routes = json.loads(ip("-n", namespace, family, "-j", "route", "show", "table", "all"))
            assert routes or family == "-6", namespace  # (IPv6 may be off)
            for route in routes:  # no default route; each goes out on a veth, or stays on lo
                assert route["dst"] != "default", (namespace, route)
                assert route.get("dev") in {"lo", *links}, (namespace, route)
