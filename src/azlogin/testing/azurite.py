"""Azurite, the Azure Storage emulator from npm, run over HTTPS with OAuth for tests.

>>> with EntraEmulator() as entra, Azurite(entra.ca, workdir) as azurite:  # doctest: +SKIP
...     client = azlogin.storage.blob_service_client(
...         azurite.account_url, env=entra.env("SPN"), trusted_microsoft_suffixes="127.0.0.1",
...         connection_verify=entra.ca_path)

The blob service starts with telemetry off (nothing may leave the machine), ``--oauth basic``
(it checks a bearer token's audience, issuer and times, not its signature), a certificate from
the EntraEmulator's CA, and ``--skipApiVersionCheck``. It is installed from npm on first use,
into a cache folder.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

AZURITE_PACKAGE = "azurite@3"
ACCOUNT = "devstoreaccount1"
_LISTENING = re.compile(r"listen(?:ing at|s on) (https://127\.0\.0\.1:(\d+))")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "azlogin-tests" / "azurite"


def azurite_blob_binary() -> str:
    """Path of ``azurite-blob``: ``$AZLOGIN_AZURITE_BLOB``, or ``azurite@3`` installed with npm
    into ``$XDG_CACHE_HOME/azlogin-tests/azurite`` (``~/.cache/...``) on first use."""
    configured = os.environ.get("AZLOGIN_AZURITE_BLOB")
    if configured:
        return configured
    folder = _cache_dir()
    binary = folder / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install Azurite for the storage tests")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", AZURITE_PACKAGE],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
    return str(binary)


class Azurite:
    """The blob service on 127.0.0.1 with an ephemeral port, as a context manager.

    ``ca`` is a ``trustme.CA`` (such as ``EntraEmulator.ca``) that issues Azurite's certificate;
    ``workdir`` holds the certificate and Azurite's data. ``host_style=True`` also serves
    host-style URLs (``https://devstoreaccount1.blob.localhost:<port>``, what DuckDB's azure
    extension builds; curl resolves ``*.localhost`` to loopback itself): its certificate names
    that host too, and Azurite parses the account from a ``<account>.blob.localhost`` host.
    """

    def __init__(self, ca: Any, workdir: Path, *, host_style: bool = False) -> None:
        self._ca = ca
        self._workdir = workdir
        self._host_style = host_style
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
            azurite_blob_binary(),
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--oauth", "basic", "--cert", str(cert), "--key", str(key),
            "--skipApiVersionCheck", "--disableTelemetry",
            "--location", str(data), "--silent",
        ]  # fmt: skip
        if not self._host_style:
            command.append("--disableProductStyleUrl")
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
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
                raise RuntimeError("Azurite did not start within 60 s: " + "".join(seen)) from None
            if line is None:
                raise RuntimeError("Azurite exited: " + "".join(seen))
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
