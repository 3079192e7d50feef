"""The token store across processes: one request for 16 processes, crash safety, locks."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from azlogin.persistence import EncryptedFileStore, StaticKey
from azlogin.persistence._locks import FileLock
from azlogin.testing import EntraEmulator

KEY = StaticKey(bytes(range(32)))
ROOT = Path(__file__).resolve().parent.parent

# Each child prints a digest of its token: enough to compare, never the bearer token itself.
CHILD = """
import hashlib, json, sys
import azlogin
env, ca = json.loads(sys.argv[1]), sys.argv[2]
credential = azlogin.get_credential(env, connection_verify=ca or None)
print(hashlib.sha256(credential.get_token().token.encode()).hexdigest())
"""


# Only the passphrase gives a key (the OS secret store and the kernel keyring say no), and
# every child, once imported, waits for START_AT: they all open the new store at once.
PASSPHRASE_ONLY = """
import os, time
import azlogin.persistence._keys as keys
def _unavailable(self, store_id, directory):
    raise keys.KeyUnavailable("disabled for this test")
keys.OsSecretStoreKey.key_for = keys.KernelKeyringKey.key_for = _unavailable
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
"""


def _start_processes(
    count: int, env: dict[str, str], ca: str, process_env: dict[str, str], code: str = CHILD
) -> list[str]:
    child_env = {**os.environ, **process_env, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(env), ca],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env,
        )
        for _ in range(count)
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def test_16_processes_with_the_default_store_make_one_token_request(
    emulator: EntraEmulator,
) -> None:
    tokens = _start_processes(16, emulator.env("SPN"), emulator.ca_path, {})
    assert len(set(tokens)) == 1
    assert emulator.requests["token"] == 1
    assert emulator.requests["openid-configuration"] <= 1


def test_16_first_processes_with_a_passphrase_key_make_one_token_request(
    emulator: EntraEmulator,
) -> None:
    """They race to create the store's salt: all must derive the same key (one salt)."""
    env = {**emulator.env("SPN"), "AZLOGIN_STORE_PASSPHRASE": "correct horse"}
    start = {"START_AT": str(time.time() + 5)}
    tokens = _start_processes(16, env, emulator.ca_path, start, PASSPHRASE_ONLY + CHILD)
    assert len(set(tokens)) == 1
    assert emulator.requests["token"] == 1


def test_16_processes_through_imds_make_one_request(emulator: EntraEmulator) -> None:
    env = emulator.env("MSI")
    platform = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": env.pop("AZURE_POD_IDENTITY_AUTHORITY_HOST")}
    tokens = _start_processes(16, env, "", platform)
    assert len(set(tokens)) == 1
    assert emulator.requests["imds"] == 1


def test_a_later_process_reuses_the_stored_token_without_any_request(
    emulator: EntraEmulator,
) -> None:
    first = _start_processes(1, emulator.env("SPN"), emulator.ca_path, {})
    emulator.reset()
    second = _start_processes(1, emulator.env("SPN"), emulator.ca_path, {})
    assert second == first
    assert sum(emulator.requests.values()) == 0


def test_token_store_none_shares_nothing(emulator: EntraEmulator) -> None:
    env = {**emulator.env("SPN"), "AZLOGIN_TOKEN_STORE": "none"}
    _start_processes(2, env, emulator.ca_path, {})
    assert emulator.requests["token"] == 2


# --- crash safety --------------------------------------------------------------------------

_VALUE = re.compile(rb"^(initial|[AB]{4000}-\d+)$")


def _writer(directory: Path, ready: int) -> None:
    """In a forked child: tell the parent, then overwrite one item forever."""
    store = EncryptedFileStore(directory, key_sources=[KEY])
    os.write(ready, b"r")
    round_ = 0
    while True:
        round_ += 1
        store.save("item", (b"A" if round_ % 2 else b"B") * 4000 + b"-%d" % round_)


def test_a_writer_killed_at_random_points_never_leaves_garbage(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    store = EncryptedFileStore(directory, key_sources=[KEY])
    store.save("item", b"initial")
    chance = random.Random(2792)
    for _ in range(100):
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child never returns
            try:
                _writer(directory, write)
            finally:
                os._exit(0)
        os.read(read, 1)
        threading.Event().wait(chance.uniform(0, 0.01))  # a random point in the write loop
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(read)
        os.close(write)
        value = store.load("item")
        assert value is not None
        assert _VALUE.match(value), value[:40]
    leftovers = [path.name for path in directory.iterdir() if path.name.startswith(".tmp-")]
    assert len(leftovers) <= 100  # killed mid-write: temp files, never the item itself


def test_16_processes_writing_50_times_each_corrupt_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    EncryptedFileStore(directory, key_sources=[KEY])
    children = []
    for number in range(16):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child exits
            status = 0
            try:
                store = EncryptedFileStore(directory, key_sources=[KEY])
                for round_ in range(50):
                    store.save("shared", b"%d:%d" % (number, round_))
                    store.save(f"own-{number}", b"%d" % round_)
                    value = store.load("shared")
                    if value is None or not re.match(rb"^\d+:\d+$", value):
                        status = 1
            finally:
                os._exit(status)
        children.append(child)
    statuses = [os.waitpid(child, 0)[1] for child in children]
    assert statuses == [0] * 16
    store = EncryptedFileStore(directory, key_sources=[KEY])
    assert re.match(rb"^\d+:49$", store.load("shared") or b"")
    assert [store.load(f"own-{n}") for n in range(16)] == [b"49"] * 16


def test_a_lock_whose_holder_was_killed_is_free(tmp_path: Path) -> None:
    path = tmp_path / "item.lock"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - killed by the parent
        with FileLock(path):
            os.write(write, b"locked")
            threading.Event().wait(60)
        os._exit(0)
    assert os.read(read, 6) == b"locked"
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    acquired = threading.Event()

    def take() -> None:
        with FileLock(path):
            acquired.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    assert acquired.wait(10), "the dead holder's lock was never released"


@pytest.mark.parametrize("login_type", ["SPN"])
def test_the_stored_token_is_encrypted_on_disk(
    login_type: str, emulator: EntraEmulator, private_home: Path
) -> None:
    _start_processes(1, emulator.env(login_type), emulator.ca_path, {})
    files = list((private_home / ".azlogin").glob("*.item"))
    assert files
    for path in files:
        assert b"expires_on" not in path.read_bytes()  # the stored JSON is not in the clear
        assert (path.stat().st_mode & 0o777) == 0o600
