"""The built site, as a browser shows it: Debian's headless Chromium renders the home,
quickstart and API pages (served on loopback, in a network namespace of their own, see
``tests/docs_browser.py``), with no console error, uncaught exception or failed request, and
the API page lists ``get_credential`` and ``Credential.get_token``. The screenshots are kept
in the test's temporary directory."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.docs_site import ROOT, build_site

PAGES = {
    "index": ["", []],
    "quickstart": ["quickstart/", []],
    "api": ["api/", ["azlogin.get_credential", "azlogin.Credential.get_token"]],
}
"""Each page's path in the site, and the elements (by id) it must hold."""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    site = build_site(tmp_path_factory.mktemp("docs") / "site")
    out = tmp_path_factory.mktemp("screenshots")
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--net", "--fork",
         sys.executable, "-m", "tests.docs_browser", str(site), str(out), json.dumps(PAGES)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_page_loads_without_errors(page: str, rendered: dict[str, Any]) -> None:
    assert rendered[page]["problems"] == [], f"{page}: {rendered[page]['problems']}"
    assert rendered[page]["title"].endswith("azlogin"), rendered[page]["title"]


def test_the_api_page_lists_get_credential_and_credential_get_token(
    rendered: dict[str, Any],
) -> None:
    texts = rendered["api"]["texts"]
    assert "get_credential" in (texts["azlogin.get_credential"] or "")
    assert "get_token" in (texts["azlogin.Credential.get_token"] or "")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_screenshot_is_a_full_window_png(page: str, rendered: dict[str, Any]) -> None:
    png = Path(rendered[page]["screenshot"]).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (1280, 1600)
