"""An MkDocs hook: the site shows the version and the repository the package declares.

The version is read from ``src/azlogin/_version.py`` (the file hatchling reads for the wheel)
and shown in every page's footer; the repository link comes from ``pyproject.toml``'s
``[project.urls]`` (``Repository``, else ``Source``), so neither is written twice.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the docs are built on 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def package_version(root: Path = ROOT) -> str:
    """``__version__`` of ``src/azlogin/_version.py``, read without importing the package."""
    tree = ast.parse((root / "src" / "azlogin" / "_version.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise RuntimeError("src/azlogin/_version.py sets no __version__")


def repository_url(root: Path = ROOT) -> str | None:
    """The ``Repository`` (or ``Source``) URL of ``pyproject.toml``'s ``[project.urls]``."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    urls = {name.lower(): url for name, url in project.get("urls", {}).items()}
    return urls.get("repository") or urls.get("source")


def on_config(config: Any, **kwargs: Any) -> Any:
    version = package_version()
    config.extra["version"] = version
    config.copyright = f"azlogin {version}"
    url = repository_url()
    if url and not config.repo_url:
        config.repo_url = url
        config.repo_name = "/".join(url.rstrip("/").split("/")[-2:])
    return config
