"""Where log records and Python warnings go while a command runs.

Without ``--debug`` no log record (azlogin's, azure-identity's) and no Python warning reaches
stderr, and a program that configured logging itself keeps its handlers; with ``--debug``,
azlogin's records from DEBUG and everyone else's from INFO go to stderr.

Silencing logging needs logging, whose import (with traceback, linecache, tokenize, textwrap
and string) is about a twelfth of a ``token`` process, and most commands never import it. So
when nothing has imported it yet, a finder first on ``sys.meta_path`` waits for ``import
logging``: it lets the other finders find and load the module as usual, then configures it
before anyone can log, exactly as an already imported logging is configured. The finder is
on ``sys.meta_path`` only while the command runs.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, TextIO

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

__all__ = ["log_records"]

Undo = Callable[[], None]


@contextlib.contextmanager
def log_records(debug: bool, err: TextIO) -> Iterator[None]:
    """Routes log records and warnings for one command (see the module's docstring)."""
    hook = None
    undo: Undo | None = None
    if debug or "logging" in sys.modules:
        import logging

        undo = _configure(logging, debug, err)
    else:
        hook = _WhenImported("logging", lambda logging: _configure(logging, debug, err))
        sys.meta_path.insert(0, hook)
    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.simplefilter("ignore")
            yield
    finally:
        if hook is not None:
            hook.remove()
            undo = hook.undo
        if undo is not None:
            undo()


def _configure(logging: ModuleType, debug: bool, err: TextIO) -> Undo:
    """Configures ``logging`` for the command; returns what restores it after."""
    root, own = logging.getLogger(), logging.getLogger("azlogin")
    levels = root.level, own.level
    if debug:
        handler = logging.StreamHandler(err)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.INFO)
        own.setLevel(logging.DEBUG)
    else:
        handler = logging.NullHandler()  # found instead of logging's last resort (stderr)
    installed = debug or not root.handlers
    if installed:
        root.addHandler(handler)

    def undo() -> None:
        if installed:
            root.removeHandler(handler)
        root.setLevel(levels[0])
        own.setLevel(levels[1])

    return undo


class _WhenImported:
    """A finder for ``sys.meta_path`` that leaves finding and loading module ``name`` to the
    other finders and calls ``then`` with the module once it has run, before the import
    returns; it leaves ``sys.meta_path`` then. ``undo`` is what ``then`` returned."""

    def __init__(self, name: str, then: Callable[[ModuleType], Undo]) -> None:
        self.name = name
        self.then = then
        self.undo: Undo | None = None
        self._finding = False

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != self.name or self._finding:
            return None
        from importlib.util import find_spec

        self._finding = True  # the finders after this one find it
        try:
            spec = find_spec(name)
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenLoader(spec.loader, self)  # type: ignore[assignment]
        return spec

    def loaded(self, module: ModuleType) -> None:
        self.undo = self.then(module)


class _ThenLoader:
    """Loads as ``loader`` does, then tells ``finder``; the module keeps ``loader`` as its own."""

    def __init__(self, loader: Any, finder: _WhenImported) -> None:
        self.loader = loader
        self.finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.finder.remove()
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.finder.loaded(module)
