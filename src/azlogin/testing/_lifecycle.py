"""Lifecycle and addresses of the Entra emulator: its CA, its two servers, its temporary files.

:class:`Loopback` owns a throw-away ``trustme`` CA and the certificate it issued for
``127.0.0.1``; :meth:`Loopback.start` writes the CA's PEM file into a new temporary folder and
starts an HTTPS server (Entra) and a plain HTTP server (managed identity) on ephemeral ports,
each in a daemon thread; :meth:`Loopback.stop` ends them and deletes the folder.
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

import trustme

from ._http import Reply, Request, Server

__all__ = ["Loopback", "Running"]


@dataclass
class Running:
    """Started servers, their threads, and the temporary folder holding the CA file."""

    entra: Server
    identity: Server
    threads: list[threading.Thread]
    tempdir: str
    ca_path: str


class Loopback:
    """The emulator's servers on 127.0.0.1, and where they listen while running."""

    def __init__(self) -> None:
        self.ca = trustme.CA(key_type=trustme.KeyType.RSA)
        self._server_cert = self.ca.issue_cert(
            "127.0.0.1", "localhost", key_type=trustme.KeyType.RSA
        )
        self._lock = threading.Lock()
        self._running: Running | None = None

    @property
    def is_running(self) -> bool:
        """Whether :meth:`start` ran and :meth:`stop` has not."""
        return self._running is not None

    def start(self, dispatch: Callable[[Request, str], Reply]) -> None:
        """Start both servers, answering with ``dispatch``, and write the CA file.

        Raises:
            RuntimeError: already running.
        """
        with self._lock:
            if self._running is not None:
                raise RuntimeError("EntraEmulator is already running")
            tempdir = tempfile.mkdtemp(prefix="azlogin-entra-")
            try:
                self._running = self._start(dispatch, tempdir)
            except BaseException:
                shutil.rmtree(tempdir, ignore_errors=True)
                raise

    def _start(self, dispatch: Callable[[Request, str], Reply], tempdir: str) -> Running:
        ca_path = os.path.join(tempdir, "ca.pem")
        self.ca.cert_pem.write_to_path(ca_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_cert.configure_cert(context)
        entra = Server(dispatch, "entra", context)
        try:
            identity = Server(dispatch, "identity", None)
        except BaseException:
            entra.server_close()
            raise
        threads = [_serve(entra), _serve(identity)]
        return Running(entra, identity, threads, tempdir, ca_path)

    def stop(self) -> None:
        """Stop both servers, end open connections and delete the temporary folder.
        Idempotent."""
        with self._lock:
            running = self._running
            if running is None:
                return
            for server in (running.entra, running.identity):
                server.stopping = True
                server.shutdown()
                server.close_connections()
                server.server_close()
            for thread in running.threads:
                thread.join(timeout=5)
            self._running = None
            shutil.rmtree(running.tempdir, ignore_errors=True)

    def running(self) -> Running:
        """The started servers.

        Raises:
            RuntimeError: not running.
        """
        running = self._running
        if running is None:
            raise RuntimeError("EntraEmulator is not running: use it in a with block or start()")
        return running

    @property
    def entra_url(self) -> str:
        """``https://127.0.0.1:PORT`` of the Entra server."""
        return f"https://127.0.0.1:{self.running().entra.port}"

    @property
    def identity_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the managed identity server."""
        return f"http://127.0.0.1:{self.running().identity.port}"


def _serve(server: Server) -> threading.Thread:
    """Run ``server`` in a new daemon thread and return the thread."""
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"azlogin-emulator-{server.kind}",
        daemon=True,
    )
    thread.start()
    return thread
