"""A real Linux Secret Service for the tests: GNOME Keyring on a private D-Bus session bus,
unlocked with a password on stdin (Debian's gnome-keyring and dbus packages).

The bus is started from its own configuration with no service directories. Debian's
session bus would otherwise *activate* a second ``gnome-keyring-daemon --start`` (one with
no password) for the first call that reaches ``org.freedesktop.secrets`` before our daemon
owns the name; that daemon wins, its login keyring is locked, and every save fails with
"Failed to unlock the collection!". Readiness is therefore: our daemon owns the name and the
default collection is unlocked."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import eventually

PASSWORD = "azlogin-test-keyring-password"

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={directory}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextmanager
def secret_service(home: Path) -> Iterator[dict[str, str]]:
    """Start dbus-daemon and gnome-keyring-daemon; yield the variables that reach them."""
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if not shutil.which(tool)]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not found: apt-get install dbus gnome-keyring "
            "(nox -s tests installs them when it runs as root)"
        )
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_RUNTIME_DIR=str(home))  # fmt: skip
    config = home / "session-bus.conf"
    config.write_text(_BUS_CONFIG.format(directory=home))
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert bus.stdout is not None
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    keyring_daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert keyring_daemon.stdin is not None
    keyring_daemon.stdin.write(PASSWORD)
    keyring_daemon.stdin.close()
    try:
        variables = {"DBUS_SESSION_BUS_ADDRESS": env["DBUS_SESSION_BUS_ADDRESS"]}
        if not eventually(lambda: _serving_unlocked(variables), timeout=20):
            raise RuntimeError(
                "gnome-keyring-daemon did not start serving an unlocked Secret Service"
            )
        yield variables
    finally:
        for process in (keyring_daemon, bus):
            process.terminate()
            process.wait(10)


def _serving_unlocked(variables: dict[str, str]) -> bool:
    """Whether the Secret Service answers with an unlocked default collection."""
    import secretstorage

    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ.update(variables)
    try:
        connection = secretstorage.dbus_init()
        try:
            return not secretstorage.get_default_collection(connection).is_locked()
        finally:
            connection.close()
    except Exception:  # noqa: BLE001 - not up yet (no activation: the name has no owner)
        return False
    finally:
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
