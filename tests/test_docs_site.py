"""The documentation site builds strictly, and its API reference is complete and rendered.

The site is built as ``nox -s docs`` builds it (``mkdocs build --strict``: any warning fails)
and its HTML is read: every name of every public module's ``__all__`` (and every public
method and property of those classes) has an entry in the API reference, signatures show
their types, no reST role or bare doctest is left raw in any page, a reference to a public
name always links to its entry, and every page shows the version and the repository.
"""

from __future__ import annotations

import html
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any

import griffe
import pytest

import azlogin
from tests.docs_site import ROOT, build_site

sys.path.insert(0, str(ROOT / "docs" / "hooks"))
from griffe_azlogin import markdown  # docs/hooks/griffe_azlogin.py
from project import package_version, repository_url  # docs/hooks/project.py

REFERENCE = Path("api") / "index.html"
HEADING_ID = re.compile(r'id="(?P<id>[^"]+)" class="doc doc-heading"')
RAW_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):(?:`|<code>)")
UNRESOLVED = re.compile(r'<span title="(?P<id>azlogin\.[\w.]+)">')
CALLED_IN_THE_DOCS = [
    "azlogin.Credential.get_token",
    "azlogin.Credential.get_token_info",
    "azlogin.AsyncCredential.get_token",
    "azlogin.AsyncCredential.get_token_info",
    "azlogin.LOGIN_TYPES",
    "azlogin.LoginType",
    "azlogin.STORAGE_SCOPE",
    "azlogin.DEFAULT_TRUSTED_SUFFIXES",
    "azlogin.TrustedSuffixes.check",
    "azlogin.persistence.TokenStore.load",
    "azlogin.persistence.TokenStore.save",
    "azlogin.persistence.TokenStore.delete",
    "azlogin.storage.blob_service_client",
    "azlogin.storage.aio.blob_service_client",
    "azlogin.fsspec.GuardedBlobFileSystem",
    "azlogin.testing.FakeCredential.get_token",
    "azlogin.testing.FakeCredential.fail_with",
    "azlogin.testing.EntraEmulator.env",
    "azlogin.testing.Azurite",
]
"""Entries the pages tell users to call (and that an earlier reference lacked)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("docs") / "site")


def public_modules() -> list[str]:
    """Every module of the package with no leading underscore anywhere in its path."""
    names = ["azlogin"]
    for module in pkgutil.walk_packages(azlogin.__path__, "azlogin."):
        if not any(part.startswith("_") for part in module.name.split(".")):
            names.append(module.name)
    return names


def public_names() -> dict[str, Any]:
    """``<module>.<name>`` of every ``__all__`` name, and ``<module>.<class>.<member>`` of each
    public method or property of those classes (inherited from azlogin's own classes too)."""
    found: dict[str, Any] = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            found[f"{module_name}.{name}"] = value
            if inspect.isclass(value):
                found.update(_public_members(f"{module_name}.{name}", value))
    return found


def _public_members(path: str, cls: type) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for owner in reversed(cls.__mro__):
        if not owner.__module__.startswith("azlogin"):
            continue
        for name, value in vars(owner).items():
            if not name.startswith("_") and (callable(value) or isinstance(value, property)):
                members[f"{path}.{name}"] = getattr(cls, name)
    return members


def _runtime(path: str) -> Any:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            value = getattr(value, name)
        return value
    raise LookupError(path)


def _entries(site: Path) -> set[str]:
    return set(HEADING_ID.findall((site / REFERENCE).read_text()))


def _shown(entries: set[str]) -> set[int]:
    """The objects the entries document (attributes set per instance have none)."""
    shown = set()
    for entry in entries:
        try:
            shown.add(id(_runtime(entry)))
        except AttributeError:
            continue
    return shown


def test_every_public_name_has_an_entry_in_the_reference(site: Path) -> None:
    entries = _entries(site)
    shown = _shown(entries)
    missing = [
        path
        for path, value in public_names().items()
        if path not in entries and id(value) not in shown
    ]
    assert not missing, (
        "public names with no entry in docs/api.md's reference (add the module to docs/api.md, "
        f"or drop the name from __all__): {missing}"
    )


def test_every_public_module_has_a_heading_or_all_its_names_elsewhere(site: Path) -> None:
    entries = _entries(site)
    shown = _shown(entries)
    absent = [
        module
        for module in public_modules()
        if module not in entries
        and not all(id(getattr(_runtime(module), n)) in shown for n in _runtime(module).__all__)
    ]
    assert not absent, f"public modules missing from docs/api.md: {absent}"


def test_the_members_the_docs_call_are_in_the_reference(site: Path) -> None:
    missing = sorted(set(CALLED_IN_THE_DOCS) - _entries(site))
    assert not missing, f"entries missing from the API reference: {missing}"


def _entry_text(site: Path, identifier: str) -> str:
    page = (site / REFERENCE).read_text()
    start = page.index(f'id="{identifier}" class="doc doc-heading"')
    end = page.find('class="doc doc-heading"', start + len(identifier) + 30)
    return html.unescape(re.sub(r"<[^>]+>", "", page[start:end]))


def test_signatures_show_types(site: Path) -> None:
    signature = " ".join(_entry_text(site, "azlogin.get_credential").split())
    assert "get_credential( env: Mapping[str, str] | None = None," in signature
    assert ") -> Credential" in signature
    helper = " ".join(_entry_text(site, "azlogin.storage.blob_service_client").split())
    assert "blob_service_client( url: str," in helper
    assert ") -> BlobServiceClient" in helper
    token = " ".join(_entry_text(site, "azlogin.Credential.get_token").split())
    assert "-> AccessToken" in token


def test_no_raw_rest_markup_in_any_page(site: Path) -> None:
    for page in sorted(site.rglob("*.html")):
        text = page.read_text()
        roles = RAW_ROLE.findall(text)
        assert not roles, f"{page.relative_to(site)}: {len(roles)} raw reST roles, e.g. {roles[0]}"
        assert not re.search(r"<blockquote>\s*<blockquote>", text), (
            f"{page.relative_to(site)}: a >>> example rendered as nested quotes"
        )


def test_references_to_public_names_link_to_their_entries(site: Path) -> None:
    unresolved = sorted(
        {
            identifier
            for identifier in UNRESOLVED.findall((site / REFERENCE).read_text())
            if not any(part.startswith("_") for part in identifier.split("."))
        }
    )
    assert not unresolved, (
        "docstrings refer to public names the reference does not document (document them, "
        f"or refer to their public path): {unresolved}"
    )


def test_every_public_name_has_a_docstring() -> None:
    extension = griffe.load_extensions(
        f"{ROOT / 'docs' / 'hooks' / 'griffe_azlogin.py'}:AzloginDocs"
    )
    package = griffe.load(
        "azlogin", search_paths=[ROOT / "src"], extensions=extension, docstring_parser="google",
        resolve_aliases=True,
    )  # fmt: skip
    undocumented, seen = [], set()
    for path, value in public_names().items():
        if id(value) in seen:
            continue  # one object, several public names: reported once
        seen.add(id(value))
        try:
            obj = package[path.split(".", 1)[1]]
        except KeyError:
            undocumented.append(f"{path} (not found by static analysis)")
            continue
        if obj.docstring is None or not obj.docstring.value.strip():
            undocumented.append(path)
    assert not undocumented, f"{len(undocumented)} public names without a docstring: {undocumented}"


def test_every_page_shows_the_version_and_the_repository(site: Path) -> None:
    version, url = package_version(), repository_url()
    assert version == azlogin.__version__
    assert url, "pyproject.toml names no [project.urls] Repository (the site's repository link)"
    for page in sorted(site.rglob("*.html")):
        text = page.read_text()
        if "md-copyright" not in text:
            continue  # not a page of the theme (the 404 page has it too)
        assert f"azlogin {version}" in text, f"{page.relative_to(site)} does not show the version"
        assert f'href="{url}"' in text, f"{page.relative_to(site)} does not link the repository"


def test_the_extension_turns_rest_markup_into_markdown() -> None:
    code = '''
class C:
    def get(self):
        """Like :meth:`put`; see :func:`helper`, :class:`~azlogin.Credential`, :mod:`os`.

        >>> C().get()  # doctest: +SKIP
        1

        Written as::

            literal
        """

    def put(self): ...

def helper(): ...
'''
    with griffe.temporary_visited_module(code, module_name="m") as module:
        text = markdown(module["C.get"].docstring.value, module["C.get"])
    assert text.split("\n") == [
        'Like <autoref identifier="m.C.put" optional><code>put</code></autoref>; see '
        '<autoref identifier="m.helper" optional><code>helper</code></autoref>, '
        '<autoref identifier="azlogin.Credential" optional><code>Credential</code></autoref>, '
        '<autoref identifier="os" optional><code>os</code></autoref>.',
        "",
        "```pycon",
        ">>> C().get()",
        "1",
        "```",
        "",
        "Written as:",
        "",
        "    literal",
    ]
