"""Azurite, the Azure Storage emulator from npm, run over HTTPS with OAuth for tests.

>>> with EntraEmulator() as entra, Azurite(entra.ca, workdir) as azurite:  # doctest: +SKIP
...     client = azlogin.storage.blob_service_client(
...         azurite.account_url, env=entra.env("SPN"), trusted_microsoft_suffixes="127.0.0.1",
...         connection_verify=entra.ca_path)

The blob service starts with telemetry off (nothing may leave the machine), ``--oauth basic``
(it checks a bearer token's audience, issuer and times, not its signature), a certificate from
the EntraEmulator's CA, and ``--skipApiVersionCheck``. It is installed from npm on first use,
into a cache folder, so it needs Node.js 18 or later and npm (or ``AZLOGIN_AZURITE_BLOB``
naming an ``azurite-blob`` executable); without them :class:`AzuriteNotAvailableError` says
what to install.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["Azurite", "AzuriteNotAvailableError"]

AZURITE_PACKAGE = "azurite@3"
"""What npm installs on first use (3.35 on Node.js 20)."""
ACCOUNT = "devstoreaccount1"
"""Azurite's built-in storage account, the one :attr:`Azurite.account_url` names."""
BINARY_VARIABLE = "AZLOGIN_AZURITE_BLOB"
"""The variable that names an ``azurite-blob`` executable to use instead of installing one."""
_LISTENING = re.compile(r"listen(?:ing at|s on) (https://127\.0\.0\.1:(\d+))")
_INSTEAD = f"or set {BINARY_VARIABLE} to an azurite-blob executable"


class AzuriteNotAvailableError(RuntimeError):
    """Azurite cannot be installed or started here: the message says what is missing."""


def _cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "azlogin-tests" / "azurite"


def azurite_blob_binary(env: Mapping[str, str] | None = None) -> str:
    """Path of ``azurite-blob``: ``$AZLOGIN_AZURITE_BLOB``, or ``azurite@3`` installed with npm
    into ``$XDG_CACHE_HOME/azlogin-tests/azurite`` (``~/.cache/...``) on first use.

    Raises:
        AzuriteNotAvailableError: Node.js or npm is missing, or npm could not install it.
    """
    env = os.environ if env is None else env
    configured = env.get(BINARY_VARIABLE)
    if configured:
        if not os.access(configured, os.X_OK):
            raise AzuriteNotAvailableError(
                f"{BINARY_VARIABLE} is set to {configured!r}, which is not an executable file; "
                "point it at azurite-blob, or unset it to install Azurite from npm."
            )
        return configured
    path = env.get("PATH", os.defpath)
    if shutil.which("node", path=path) is None:
        raise AzuriteNotAvailableError(
            "Azurite runs on Node.js and `node` is not on PATH: install Node.js 18 or later "
            f"with npm (Debian: apt-get install nodejs npm), {_INSTEAD}."
        )
    folder = _cache_dir(env)
    binary = folder / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        _npm_install(folder, env, path)
    return str(binary)


def _npm_install(folder: Path, env: Mapping[str, str], path: str) -> None:
    npm = shutil.which("npm", path=path)
    if npm is None:
        raise AzuriteNotAvailableError(
            f"Azurite is installed from npm on first use and `npm` is not on PATH: install "
            f"npm (Debian: apt-get install npm), {_INSTEAD}."
        )
    folder.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", AZURITE_PACKAGE]
    try:
        done = subprocess.run(
            command, env=dict(env), capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        raise AzuriteNotAvailableError(
            f"`npm install {AZURITE_PACKAGE}` took over 10 minutes; {_INSTEAD}."
        ) from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-800:]
        raise AzuriteNotAvailableError(
            f"`npm install {AZURITE_PACKAGE}` into {folder} failed (exit {done.returncode}); "
            f"check that the npm registry is reachable, {_INSTEAD}. npm said: {tail}"
        )


class Azurite:
    """The blob service on 127.0.0.1 with an ephemeral port, as a context manager.

    ``ca`` is a ``trustme.CA`` (such as ``EntraEmulator.ca``) that issues Azurite's certificate;
    ``workdir`` holds the certificate and Azurite's data. ``host_style=True`` also serves
    host-style URLs (``https://devstoreaccount1.blob.localhost:<port>``, what DuckDB's azure
    extension builds; curl resolves ``*.localhost`` to loopback itself): its certificate names
    that host too, and Azurite parses the account from a ``<account>.blob.localhost`` host.
    ``env`` (default ``os.environ``) is where ``AZLOGIN_AZURITE_BLOB``, ``PATH`` (for
    ``node`` and ``npm``) and ``XDG_CACHE_HOME`` are read.

    Raises:
        AzuriteNotAvailableError: on entry, when Azurite cannot be installed or started.
    """

    def __init__(
        self,
        ca: Any,
        workdir: Path,
        *,
        host_style: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._ca = ca
        self._workdir = workdir
        self._host_style = host_style
        self._env = env
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    @property
    def account_url(self) -> str:
        """The path-style account URL: ``https://127.0.0.1:<port>/devstoreaccount1``."""
        return f"{self.url}/{ACCOUNT}"

    @property
    def host_style_url(self) -> str:
        """``https://devstoreaccount1.blob.localhost:<port>`` (with ``host_style=True``)."""
        port = self.url.rsplit(":", 1)[1]
        return f"https://{ACCOUNT}.blob.localhost:{port}"

    def __enter__(self) -> Azurite:
        binary = azurite_blob_binary(self._env)
        cert, key = self._workdir / "azurite.pem", self._workdir / "azurite-key.pem"
        names = ["127.0.0.1", "localhost"]
        if self._host_style:
            names.append(f"{ACCOUNT}.blob.localhost")
        issued = self._ca.issue_cert(*names)
        issued.cert_chain_pems[0].write_to_path(str(cert))
        issued.private_key_pem.write_to_path(str(key))
        data = self._workdir / "data"
        data.mkdir(exist_ok=True)
        command = [
            binary,
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--oauth", "basic", "--cert", str(cert), "--key", str(key),
            "--skipApiVersionCheck", "--disableTelemetry",
            "--location", str(data), "--silent",
        ]  # fmt: skip
        if not self._host_style:
            command.append("--disableProductStyleUrl")
        try:
            self._process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        except OSError as exc:
            raise AzuriteNotAvailableError(f"cannot run {command[0]}: {exc}; {_INSTEAD}.") from exc
        self.url = self._wait_for_port(self._process)
        return self

    @staticmethod
    def _wait_for_port(process: subprocess.Popen[str]) -> str:
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        seen: list[str] = []
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                process.kill()
                raise AzuriteNotAvailableError(
                    "Azurite did not start within 60 s: " + "".join(seen)
                ) from None
            if line is None:
                raise AzuriteNotAvailableError("Azurite exited: " + "".join(seen))
            seen.append(line)
            match = _LISTENING.search(line)
            if match:
                return match.group(1)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
