"""Build the documentation site the way ``nox -s docs`` does, for the tests that read it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_site(site_dir: Path) -> Path:
    """``mkdocs build --strict`` (a warning fails) into ``site_dir``, with this Python's
    MkDocs (``nox -s tests`` installs it); raises with MkDocs' output when the build fails."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}")
    return site_dir
