"""The file store against a hostile or unlucky file system (issue 11, items 4, 5, 7, 8, 9, 14):
directories it did not create, symlinks and swaps, racing first users of a passphrase, temp
files of killed writers, FIFOs, and store directories no file system can hold.

Tests run as root, which bypasses permission checks: what needs another user runs in a forked
child after ``os.setuid``, or uses files ``chown``-ed to another uid.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import os
import pwd
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import azlogin
from azlogin.persistence import (
    EncryptedFileStore,
    InsecurePlaintextFileStore,
    PassphraseKey,
    StaticKey,
    _files,
    default_directory,
    default_store,
)
from azlogin.persistence._file_store import item_file_name
from azlogin.persistence._locks import FileLock, lock_for

KEY = StaticKey(b"k" * 32)
OTHER_UID = 65534  # nobody

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX file-system semantics")


def _has_passwd(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _uid_without_passwd_entry() -> int:
    return next(uid for uid in range(54321, 54400) if not _has_passwd(uid))


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def _in_child(action: Callable[[], object], uid: int | None = None) -> tuple[str, str]:
    """Run ``action`` in a forked child (as ``uid`` if given): ("ok", repr) or the exception's
    (type name, message)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits
        try:
            os.close(read)
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            try:
                outcome = ["ok", repr(action())]
            except BaseException as error:  # noqa: BLE001 - reported to the parent
                outcome = [type(error).__name__, str(error)]
            os.write(write, json.dumps(outcome).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(child, 0)
    kind, message = json.loads(b"".join(chunks))
    return kind, message


# --- 4. A directory azlogin did not create is never chmod-ed ---------------------------------


@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o770, 0o730, 0o702], ids=oct)
def test_an_existing_shared_directory_is_refused_and_left_as_it_was(
    tmp_path: Path, mode: int
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    with pytest.raises(azlogin.TokenStoreError, match="AZLOGIN_STORE_DIR") as caught:
        default_store({"AZLOGIN_STORE_DIR": str(shared)})
    assert "\n" not in str(caught.value)
    assert _mode(shared) == mode  # /tmp stays 1777
    assert list(shared.iterdir()) == []


def test_get_credential_does_not_chmod_a_shared_directory(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "MSI", "AZLOGIN_STORE_DIR": str(shared)}
    azlogin.get_credential(env)  # the implicit default: this process only, with a log line
    with pytest.raises(azlogin.TokenStoreError, match="AZLOGIN_STORE_DIR"):
        azlogin.get_credential({**env, "AZLOGIN_TOKEN_STORE": "default"})
    assert _mode(shared) == 0o1777


def test_a_readable_directory_is_used_with_a_warning_and_not_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "mine"
    directory.mkdir()
    os.chmod(directory, 0o755)
    store = EncryptedFileStore(directory, key_sources=[KEY])
    store.save("k", b"v")
    assert store.load("k") == b"v"
    assert _mode(directory) == 0o755
    assert "readable by other users" in caplog.text
    assert _mode(directory / item_file_name("k")) == 0o600


def test_a_directory_of_another_user_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    with pytest.raises(azlogin.TokenStoreError, match=r"another user.*AZLOGIN_STORE_DIR"):
        EncryptedFileStore(theirs, key_sources=[KEY])
    assert os.stat(theirs).st_uid == OTHER_UID
    assert list(theirs.iterdir()) == []


@pytest.mark.parametrize("mask", [0o022, 0o000, 0o277, 0o077], ids=oct)
def test_missing_parents_are_created_private_whatever_the_umask(
    tmp_path: Path, umask: Callable[[int], int], mask: int
) -> None:
    umask(mask)
    store = EncryptedFileStore(tmp_path / "a" / "b" / "c", key_sources=[KEY])
    store.save("k", b"v")
    umask(0o022)
    for created in ("a", "a/b", "a/b/c"):
        assert _mode(tmp_path / created) == 0o700, created
    assert _mode(tmp_path / "a/b/c" / item_file_name("k")) == 0o600


def test_the_decision_about_a_directory() -> None:
    me, them = 1000, 1001
    directory_problem = _files.directory_problem
    directory = stat.S_IFDIR
    assert directory_problem(directory | 0o700, me, me) is None
    assert directory_problem(directory | 0o755, me, me) is None  # accepted with a warning
    assert directory_problem(directory | 0o1777, 0, me) is not None
    assert directory_problem(directory | 0o1700, me, me) is not None  # sticky: a shared place
    assert directory_problem(directory | 0o770, me, me) is not None
    assert directory_problem(directory | 0o707, me, me) is not None
    assert directory_problem(directory | 0o700, them, me) is not None
    assert directory_problem(directory | 0o500, me, me) is not None  # not writable
    assert directory_problem(stat.S_IFLNK | 0o777, me, me) is not None
    assert directory_problem(stat.S_IFREG | 0o600, me, me) is not None
    assert directory_problem(directory | 0o700, them, None) is None  # no uids (Windows)


# --- 5. Symlinks and swaps ---------------------------------------------------------------------


def test_a_dangling_symlink_at_a_lock_path_is_replaced_never_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    locks = EncryptedFileStore(tmp_path / "store", key_sources=[KEY]).directory / "locks"
    locks.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.mkdir()
    lock = lock_for(locks, "token:x")
    lock.path.symlink_to(victim / "created-with-your-rights")
    with lock:
        pass
    assert not (victim / "created-with-your-rights").exists()
    assert stat.S_ISREG(os.lstat(lock.path).st_mode)
    assert "was a symlink (never followed)" in caplog.text
    with lock_for(locks, "token:x"):  # and it still works as a lock
        pass


def test_a_symlink_at_a_lock_path_to_an_existing_file_leaves_it_alone(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.write_bytes(b"precious")
    os.chmod(target, 0o644)
    (tmp_path / "locks").mkdir(mode=0o700)
    lock = FileLock(tmp_path / "locks" / "x.lock")
    lock.path.symlink_to(target)
    with lock:
        pass
    assert target.read_bytes() == b"precious"
    assert _mode(target) == 0o644
    assert not lock.path.is_symlink()


def test_a_lock_in_a_shared_directory_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(azlogin.TokenStoreError), FileLock(shared / "x.lock"):
        pass
    assert list(shared.iterdir()) == []


def test_a_symlink_at_an_item_path_is_a_logged_miss_and_is_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EncryptedFileStore(tmp_path / "store", key_sources=[KEY])
    store.save("k", b"v")
    item = store.directory / item_file_name("k")
    outside = tmp_path / "outside.item"
    os.replace(item, outside)
    item.symlink_to(outside)
    caplog.set_level(logging.WARNING, logger="azlogin.persistence")
    assert store.load("k") is None
    assert "it is a symlink (never followed)" in caplog.text
    store.save("k", b"new")
    assert not item.is_symlink()
    assert store.load("k") == b"new"
    assert outside.exists()
    store.delete("k")
    assert outside.exists()


def test_the_store_keeps_the_directory_it_checked_when_the_path_is_swapped(
    tmp_path: Path,
) -> None:
    store = EncryptedFileStore(tmp_path / "store", key_sources=[KEY])
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    os.rename(tmp_path / "store", tmp_path / "moved")
    (tmp_path / "store").symlink_to(attacker)
    store.save("k", b"v")
    assert list(attacker.iterdir()) == []
    assert (tmp_path / "moved" / item_file_name("k")).exists()
    assert store.load("k") == b"v"


def test_a_symlinked_salt_is_never_followed(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    chosen = tmp_path / "chosen-salt"
    chosen.write_bytes(b"s" * 16)
    (directory / "passphrase.salt").symlink_to(chosen)
    key = PassphraseKey("p").key_for("id", directory)
    assert chosen.read_bytes() == b"s" * 16
    assert not (directory / "passphrase.salt").is_symlink()
    assert PassphraseKey("p").key_for("id", directory) == key


# --- 7. First-use key race ---------------------------------------------------------------------


def _derive_after(barrier: Any, directory: str, results: Any) -> None:
    barrier.wait()
    results.put(PassphraseKey("p").key_for("id", Path(directory)).hex())


def test_racing_first_users_of_a_passphrase_derive_one_key(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    context = multiprocessing.get_context("fork")
    count = 12
    barrier, results = context.Barrier(count), context.Queue()
    processes = [
        context.Process(target=_derive_after, args=(barrier, str(directory), results))
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    keys = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
    assert len(set(keys)) == 1
    assert PassphraseKey("p").key_for("id", directory).hex() == keys[0]
    assert not [path for path in directory.iterdir() if path.name.startswith(".tmp-")]


def test_without_hard_links_the_salt_is_made_under_a_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    key = PassphraseKey("p").key_for("id", tmp_path)
    assert len((tmp_path / "passphrase.salt").read_bytes()) == 16
    assert PassphraseKey("p").key_for("id", tmp_path) == key


def test_a_passphrase_with_a_lone_surrogate_works_and_never_leaks(tmp_path: Path) -> None:
    for passphrase in ("\udcff", "x\ud800y"):
        key = PassphraseKey(passphrase).key_for("id", tmp_path)
        assert len(key) == 32
        assert PassphraseKey(passphrase).key_for("id", tmp_path) == key
    assert PassphraseKey("\ud800").key_for("id", tmp_path) != PassphraseKey("\udc00").key_for(
        "id", tmp_path
    )


# --- 8. Orphan temp files ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [EncryptedFileStore, InsecurePlaintextFileStore])
def test_stale_temp_files_are_removed_when_a_store_is_opened(tmp_path: Path, kind: type) -> None:
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    stale, fresh = directory / ".tmp-killed", directory / ".tmp-writing"
    for path in (stale, fresh):
        path.write_bytes(b"x" * 1000)
    old = time.time() - 3600  # an hour: a writer killed mid-write long ago
    os.utime(stale, (old, old))
    kept = directory / "not-a-temp"
    kept.write_bytes(b"x")
    os.utime(kept, (old, old))
    if kind is EncryptedFileStore:
        EncryptedFileStore(directory, key_sources=[KEY])
    else:
        InsecurePlaintextFileStore(directory)
    assert not stale.exists()
    assert fresh.exists()
    assert kept.exists()
    assert 60 <= _files.STALE_TEMPORARY_SECONDS < 3600


# --- 9. FIFOs, directories and devices at an item path -----------------------------------------


def _load_in_thread(store: EncryptedFileStore, key: str) -> tuple[bool, object]:
    outcome: list[object] = []

    def load() -> None:
        try:
            outcome.append(store.load(key))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome.append(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    return thread.is_alive(), outcome[0] if outcome else None


def test_a_fifo_at_an_item_path_is_a_prompt_logged_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EncryptedFileStore(tmp_path / "store", key_sources=[KEY])
    fifo = store.directory / item_file_name("k")
    os.mkfifo(fifo, 0o600)
    caplog.set_level(logging.WARNING, logger="azlogin.persistence")
    try:
        hung, outcome = _load_in_thread(store, "k")
    finally:  # free a loader that blocked in open() (today's code), so no thread is left
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, "load() blocked on a FIFO"
    assert outcome is None
    assert "not a regular file" in caplog.text
    store.save("k", b"v")
    assert store.load("k") == b"v"


def test_a_directory_at_an_item_path_is_a_logged_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EncryptedFileStore(tmp_path / "store", key_sources=[KEY])
    (store.directory / item_file_name("k")).mkdir()
    hung, outcome = _load_in_thread(store, "k")
    assert not hung
    assert outcome is None
    assert "not a regular file" in caplog.text


# --- 14. Bad store directories -----------------------------------------------------------------

BAD_VALUES = {
    "NUL byte": "/tmp/a\x00b",
    "unknown user": "~nosuchuser-azlogin/x",
    "5,000 characters": "/tmp/" + "/".join(["a" * 200] * 25),
    "one 5,000-character name": "/tmp/" + "a" * 5000,
    "lone surrogate": "/tmp/\ud800x",
}


def _assert_names_the_variable(error: BaseException) -> None:
    assert isinstance(error, (azlogin.ConfigurationError, azlogin.TokenStoreError)), repr(error)
    message = str(error)
    assert "AZLOGIN_STORE_DIR" in message
    assert "\n" not in message
    if isinstance(error, azlogin.ConfigurationError):
        assert error.variable == "AZLOGIN_STORE_DIR"


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_store_directory_is_a_clear_error(value: str, tmp_path: Path) -> None:
    os.chdir(tmp_path)  # a "~nosuchuser" directory would be made here today
    with pytest.raises(azlogin.ConfigurationError) as caught:
        default_store({"AZLOGIN_STORE_DIR": value})
    _assert_names_the_variable(caught.value)
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "MSI", "AZLOGIN_STORE_DIR": value}
    with pytest.raises(azlogin.ConfigurationError) as caught:
        azlogin.get_credential({**env, "AZLOGIN_TOKEN_STORE": "default"})
    _assert_names_the_variable(caught.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]


def test_a_directory_named_with_undecodable_bytes_works(tmp_path: Path) -> None:
    directory = str(tmp_path / "caf\udce9")  # b"caf\xe9" (Latin-1), as Python decodes it
    store = default_store({"AZLOGIN_STORE_DIR": directory}).store
    store.save("k", b"v")
    assert store.load("k") == b"v"
    assert os.path.isdir(os.fsencode(tmp_path) + b"/caf\xe9")


def _store_in(directory: str | None) -> object:
    return default_store({} if directory is None else {"AZLOGIN_STORE_DIR": directory})


def _credential_in(directory: str | None) -> object:
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "MSI", "AZLOGIN_TOKEN_STORE": "default"}
    if directory is not None:
        env["AZLOGIN_STORE_DIR"] = directory
    return azlogin.get_credential(env)


def test_no_home_directory_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME")
    uid = _uid_without_passwd_entry()
    for action in (
        lambda: default_directory({}),
        lambda: _store_in(None),
        lambda: _credential_in(None),
    ):
        kind, message = _in_child(action, uid=uid)
        assert kind == "TokenStoreError", (kind, message)  # no store here, nothing misconfigured
        assert "AZLOGIN_STORE_DIR" in message
        assert "HOME" in message


def test_a_directory_under_another_users_private_directory_is_a_clear_error(
    tmp_path: Path,
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)  # root's, 0700: uid 65534 cannot look inside
    for target in (theirs / "store", theirs / "a" / "b"):
        for action in (_store_in, _credential_in):
            kind, message = _in_child(functools.partial(action, str(target)), uid=OTHER_UID)
            assert kind == "TokenStoreError", (kind, message)
            assert "AZLOGIN_STORE_DIR" in message
            assert "\n" not in message


def _saved_login_in(directory: str) -> object:
    return azlogin.get_credential({"AZLOGIN_STORE_DIR": directory})


def test_reading_the_saved_login_under_another_users_private_directory_is_a_clear_error(
    tmp_path: Path,
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    kind, message = _in_child(
        functools.partial(_saved_login_in, str(theirs / "store")), uid=OTHER_UID
    )
    assert kind in ("TokenStoreError", "NotLoggedInError"), (kind, message)


def _credential_without_store(store: str | None) -> object:
    env = {"AZCOPY_AUTO_LOGIN_TYPE": "MSI"}
    if store is not None:
        env["AZLOGIN_TOKEN_STORE"] = store
    return azlogin.get_credential(env)


@pytest.mark.parametrize("store", [None, "none", "memory"])
def test_without_a_home_directory_a_credential_caches_in_process(
    monkeypatch: pytest.MonkeyPatch, store: str | None
) -> None:
    monkeypatch.delenv("HOME")
    kind, message = _in_child(
        functools.partial(_credential_without_store, store), uid=_uid_without_passwd_entry()
    )
    assert kind == "ok", (kind, message)
