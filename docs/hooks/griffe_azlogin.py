"""A Griffe extension: the API reference shows azlogin as Python sees it, in Markdown.

azlogin's docstrings are Google style (``Args:``, ``Returns:``, ``Raises:`` sections, which
mkdocstrings' ``docstring_style: google`` parses) written with reST inline markup: Sphinx
roles (``:func:`get_credential```), double-backtick literals (Markdown reads them as code
already), ``>>>`` examples and a ``::`` before a literal block. mkdocstrings renders Markdown,
so before a docstring is parsed this extension rewrites:

- a role into an autorefs cross-reference to the object, resolved from the docstring's scope
  (``~`` shows the last name only, as in Sphinx); a reference to an object no page documents
  (a private helper) renders as code, with the full name as its tooltip;
- a run of ``>>>`` lines (and the output after them) into a ``pycon`` code block, without
  their ``# doctest:`` flags;
- a closing ``::`` into ``:`` (the indented block after it is code in Markdown too).

And it makes the members of each public module the names of its ``__all__`` as imported:
names a module creates on first use (``azlogin.testing.EntraEmulator``, through a module
``__getattr__``) and other names for a class (``TokenRequest = TokenKey``) become aliases of
the class that defines them; a computed ``__all__`` is read from the imported module; a public
function created at import time (the storage helpers, annotated as ``ClientHelper[...]``
attributes) is documented from the function itself, with its signature and docstring, and
returns the type its annotation names.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from typing import Any

import griffe

ROLE = re.compile(
    r":(?:py:)?(?P<role>func|class|meth|mod|attr|data|exc|obj|const):"
    r"`(?P<tilde>~?)(?:(?P<title>[^`<]*?)\s*<(?P<target>[^`>]+)>|(?P<name>[^`]+))`"
)
DOCTEST_START = re.compile(r"(?P<indent>[ \t]*)>>>(?: |$)")
DOCTEST_FLAGS = re.compile(r"\s*# doctest:.*$")


class AzloginDocs(griffe.Extension):
    """Loaded by mkdocstrings' ``extensions:`` option (see mkdocs.yml)."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "azlogin":
            return
        for module in list(_modules(pkg)):
            if not any(part.startswith("_") for part in module.path.split(".")):
                _match_runtime_exports(module, loader)
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = markdown(obj.docstring.value, obj)


def _modules(module: griffe.Module) -> Iterator[griffe.Module]:
    yield module
    for member in module.modules.values():
        if not member.is_alias:
            yield from _modules(member)


def _objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _objects(member)


def _match_runtime_exports(module: griffe.Module, loader: griffe.GriffeLoader) -> None:
    try:
        runtime = importlib.import_module(module.path)
    except ImportError:  # an optional dependency is not installed: what static analysis saw
        return
    exports = getattr(runtime, "__all__", None)
    if exports is None:
        return
    module.exports = list(exports)  # a computed __all__ (storage.aio's) too
    for name in exports:
        member = module.members.get(name)
        if member is not None and (member.is_alias or not member.is_attribute):
            continue
        try:
            value = getattr(runtime, name)
        except ImportError:  # made on first use, from an optional dependency missing here
            defined = _defined_below(module, name)
            if defined is not None:
                module.set_member(name, griffe.Alias(name, defined, parent=module))
            continue
        if inspect.isclass(value) or (member is None and inspect.isfunction(value)):
            # Made on first use, or another name for a class (TokenRequest = TokenKey).
            defined_in = f"{value.__module__}.{value.__qualname__}"
            module.set_member(name, griffe.Alias(name, defined_in, parent=module))
        elif inspect.isfunction(value):
            function = _function_of(value, loader)
            if member is not None and isinstance(member.annotation, griffe.ExprSubscript):
                function.returns = member.annotation.slice  # ClientHelper[BlobClient]: BlobClient
            module.set_member(name, function)


def _defined_below(module: griffe.Module, name: str) -> str | None:
    """The path of the one object named ``name`` that ``module``'s submodules define."""
    found = [
        below.members[name].path
        for below in _modules(module)
        if name in below.members and not below.members[name].is_alias
    ]
    return found[0] if len(found) == 1 else None


def _function_of(value: Any, loader: griffe.GriffeLoader) -> griffe.Function:
    """The function ``value`` as griffe inspects it (its signature and docstring)."""
    parser, options = loader.docstring_parser, loader.docstring_options
    inspected = griffe.inspect(value.__module__, docstring_parser=parser, docstring_options=options)
    function: griffe.Function = inspected[value.__name__]
    return function


def markdown(text: str, scope: griffe.Object) -> str:
    """``text`` (a docstring's reST inline markup) as Markdown, names resolved in ``scope``."""
    text = ROLE.sub(lambda match: _reference(match, scope), text)
    return _fence_doctests(re.sub(r"(\S)::$", r"\1:", text, flags=re.M))


def _reference(match: re.Match[str], scope: griffe.Object) -> str:
    written = (match["target"] or match["name"]).strip().lstrip(".")
    identifier = written if match["role"] == "mod" else _resolve(written, scope)
    title = match["title"] or (written.rsplit(".", 1)[-1] if match["tilde"] else written)
    return f'<autoref identifier="{identifier}" optional><code>{title}</code></autoref>'


def _resolve(name: str, scope: griffe.Object) -> str:
    """The full path ``name`` means in ``scope``: a member (inherited ones too) of the
    enclosing classes, else a name of the module; else ``name`` itself when it is a full
    path, or as a name of ``scope``'s module (which does not define it: the reference says
    so with an unresolved link that tests/test_docs_site.py finds)."""
    first = name.split(".", 1)[0]
    owner: griffe.Object | None = scope
    while owner is not None:
        if owner.is_class and first in owner.all_members:
            return f"{owner.path}.{name}"
        owner = owner.parent
    try:
        return scope.resolve(name)
    except griffe.NameResolutionError:
        return name if name.startswith("azlogin.") else f"{scope.module.path}.{name}"


def _fence_doctests(text: str) -> str:
    lines, out, index = text.split("\n"), [], 0
    in_fence = False
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        start = None if in_fence else DOCTEST_START.match(line)
        if start is None:
            out.append(line)
            index += 1
            continue
        indent = start["indent"]
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        while index < len(lines) and lines[index].strip():
            out.append(DOCTEST_FLAGS.sub("", lines[index]))
            index += 1
        out.append(f"{indent}```")
    return "\n".join(out)
