"""Headless Chromium on the built docs site, driven through the DevTools protocol.

``tests/test_docs_screenshots.py`` runs this module as ``unshare --user --map-root-user --net
--fork python -m tests.docs_browser SITE OUT PAGES_JSON``. In a network namespace with only
loopback (Chromium cannot reach another machine, whatever it tries), it serves ``SITE`` on
127.0.0.1, opens each page of ``PAGES_JSON`` (``{"name": ["path", [element ids]]}``) in Debian's
Chromium, and prints one JSON object: per page, the console errors, uncaught exceptions and
failed requests, the text of the asked-for elements, and the path of its screenshot in
``OUT``. Chromium speaks the protocol over a pipe (``--remote-debugging-pipe``: file
descriptors 3 and 4, messages ended by a NUL byte), so no port is opened for it.
"""

from __future__ import annotations

import base64
import functools
import http.server
import itertools
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.docs_sandbox import loopback_up

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # no setuid sandbox in a user namespace; the pages are our own site
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
"""Headless, and nothing that phones home (the network namespace stops anything else)."""
TIMEOUT = 60.0
VIEWPORT = (1280, 1600)
"""The screenshots' size, in CSS pixels (one device pixel each)."""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def serve(site: Path) -> http.server.ThreadingHTTPServer:
    """``site`` over HTTP on 127.0.0.1, an ephemeral port."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class DevTools:
    """A DevTools session over Chromium's pipe: commands answered by id; events kept."""

    def __init__(self, commands: int, answers: int) -> None:
        self._out = os.fdopen(commands, "wb", buffering=0)
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, args=(answers,), daemon=True).start()

    def _read(self, answers: int) -> None:
        with os.fdopen(answers, "rb") as pipe:
            buffered = b""
            while chunk := pipe.read1(65536):
                buffered += chunk
                *messages, buffered = buffered.split(b"\0")
                for message in messages:
                    self._messages.put(json.loads(message))
        self._messages.put(None)

    def _next(self) -> dict[str, Any]:
        message = self._messages.get(timeout=TIMEOUT)
        if message is None:
            raise RuntimeError("chromium closed the DevTools pipe")
        return message

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        command: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        self._out.write(json.dumps(command).encode() + b"\0")
        while True:
            message = self._next()
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            message = self._next()
            self.events.append(message)
            if message.get("method") == method:
                return message


def problems(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and failed or refused requests, as text."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            found.append("console: " + " ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append(f"exception: {details.get('text')} {details.get('exception', {})}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            found.append(f"request failed: {params['errorText']}")
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            found.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
    return found


def visit(devtools: DevTools, session: str, url: str, ids: list[str], png: Path) -> dict[str, Any]:
    """Open ``url``; what went wrong, the text of elements ``ids``, a screenshot."""
    devtools.events.clear()
    navigation = devtools.send("Page.navigate", session, url=url)
    if "loaderId" in navigation:  # a new document (not a jump within the same one)
        devtools.wait_for("Page.loadEventFired")
    ready = "document.fonts.ready.then(() => document.readyState)"
    devtools.send("Runtime.evaluate", session, expression=ready, awaitPromise=True)
    script = (
        f"JSON.stringify({json.dumps(ids)}"
        ".map(i => document.getElementById(i)?.textContent ?? null))"
    )
    texts = devtools.send("Runtime.evaluate", session, expression=script, returnByValue=True)
    title = devtools.send(
        "Runtime.evaluate", session, expression="document.title", returnByValue=True
    )
    shot = devtools.send("Page.captureScreenshot", session, format="png")
    png.write_bytes(base64.b64decode(shot["data"]))
    return {
        "problems": problems(devtools.events),
        "texts": dict(zip(ids, json.loads(texts["result"]["value"]))),
        "title": title["result"]["value"],
        "screenshot": str(png),
    }


def browse(site: Path, out: Path, pages: dict[str, list[Any]]) -> dict[str, Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("Debian's chromium is needed: apt-get install chromium")
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    to_chromium, from_chromium = os.pipe(), os.pipe()

    def pipes_at_3_and_4() -> None:
        os.dup2(to_chromium[0], 3)
        os.dup2(from_chromium[1], 4)

    process = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={out / 'profile'}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=pipes_at_3_and_4, pass_fds=(3, 4),
    )  # fmt: skip
    os.close(to_chromium[0])
    os.close(from_chromium[1])
    devtools = DevTools(to_chromium[1], from_chromium[0])
    try:
        targets = devtools.send("Target.getTargets")["targetInfos"]
        page = next(target for target in targets if target["type"] == "page")
        session = devtools.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)
        session_id = session["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            devtools.send(f"{domain}.enable", session_id)
        width, height = VIEWPORT
        devtools.send(
            "Emulation.setDeviceMetricsOverride", session_id,
            width=width, height=height, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        return {
            name: visit(devtools, session_id, base + path, ids, out / f"{name}.png")
            for name, (path, ids) in pages.items()
        }
    finally:
        process.terminate()
        process.wait(timeout=30)
        server.shutdown()


def main() -> None:
    site, out, pages = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
    loopback_up()
    print(json.dumps(browse(site, out, pages)))


if __name__ == "__main__":
    main()
