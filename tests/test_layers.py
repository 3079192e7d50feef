"""The package's layers, read from its import graph (every import, function-level ones and
``TYPE_CHECKING`` ones included): each module imports only from its own layer or below, and
no import cycle exists. docs/architecture.md describes the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("errors and loggers", ("azlogin._errors", "azlogin._version", "azlogin._logs")),
    ("configuration (pure)", ("azlogin._config",)),
    ("engine and guard", ("azlogin._engine", "azlogin._guard")),
    ("persistence", ("azlogin.persistence",)),
    ("building", ("azlogin._build",)),
    (
        "public entry points",
        ("azlogin", "azlogin.storage", "azlogin.fsspec", "azlogin._adlfs", "azlogin.testing"),
    ),
    ("command line", ("azlogin.cli", "azlogin.__main__")),
)
"""Bottom first. A module belongs to the layer of its longest matching prefix."""


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "azlogin").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    best, length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > length:
                best, length = index, len(prefix)
    assert best >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return best


def _imports(module: str, path: Path) -> set[str]:
    """The package modules ``module`` imports, anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # A name that is a submodule imports that module; any other name, the module.
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_imports_only_its_layer_or_below(module: str) -> None:
    here = _layer(module)
    above = sorted(name for name in GRAPH[module] if _layer(name) > here)
    assert not above, f"{module} ({LAYERS[here][0]}) imports from higher layers: " + ", ".join(
        f"{name} ({LAYERS[_layer(name)][0]})" for name in above
    )


def test_there_is_no_import_cycle() -> None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for name in sorted(GRAPH[module]):
            if state.get(name) == 1:
                cycles.append([*stack[stack.index(name) :], name])
            elif name not in state:
                visit(name, [*stack, name])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_checker_sees_function_level_imports() -> None:
    """The graph is not fooled by an import hidden in a function."""
    assert "azlogin._config.saved" in GRAPH["azlogin.persistence._default"]
    assert GRAPH["azlogin._errors"] == set()
