"""The shape of the domain library (docs/architecture.md#layers): every module of shared/lms in one
layer of the list written there, imports only from its own layer or lower ones, no import cycle, no
module over 450 lines, no private name imported from another module, and the library never imports
the handlers, the local stack, the benches or the tests.

The layer list is read from docs/architecture.md itself, so the document and this check cannot drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "shared"
MAX_LINES = 450
_LAYER_LINE = re.compile(r"^\d+\.\s+\*\*(?P<name>[^*]+)\*\*:\s*(?P<modules>.+)$")


def layers(text: str) -> list[tuple[str, list[str]]]:
    """The numbered list of the document's "## Layers" section: (layer name, module prefixes) lowest first."""
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        match = _LAYER_LINE.match(line.strip())
        if match:
            found.append((match["name"], re.findall(r"`(lms(?:\.\w+)*)`", match["modules"])))
    return found


def modules() -> dict[str, Path]:
    """Every module of the library by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        parts = list(path.relative_to(LIBRARY).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, list[str]]]:
    """The modules `name` imports when it runs (imports under `if TYPE_CHECKING:` are for the type
    checker only), with the line and the names taken from each."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            target = base if node.level else (node.module or "")
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.append((submodule if submodule in known else target, node.lineno, [alias.name]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, []) for alias in node.names]
    return found


def layer_of(name: str, order: list[tuple[str, list[str]]]) -> int | None:
    """The layer whose longest module prefix names the module."""
    best: tuple[int, int] | None = None
    for position, (_, prefixes) in enumerate(order):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (position, len(prefix))
    return None if best is None else best[0]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def library() -> dict[str, Path]:
    return modules()


@pytest.fixture(scope="module")
def order() -> list[tuple[str, list[str]]]:
    return layers((ROOT / "docs" / "architecture.md").read_text())


def test_the_document_lists_layers(order):
    assert len(order) >= 5, order
    assert all(prefixes for _, prefixes in order), order


def test_every_module_is_in_a_layer(library, order):
    assert [name for name in library if layer_of(name, order) is None] == []


def test_imports_go_down_or_stay_level(library, order):
    upward = []
    for name, path in library.items():
        own = layer_of(name, order)
        for target, line, _ in imports(name, path, library):
            theirs = layer_of(target, order) if target.startswith("lms") else None
            if own is not None and theirs is not None and theirs > own:
                upward.append(
                    f"{path.relative_to(ROOT)}:{line}: {name} ({order[own][0]}) imports {target} ({order[theirs][0]})"
                )
    assert upward == []


def test_no_import_cycle(library):
    graph = {
        name: {t for t, _, _ in imports(name, path, library) if t in library and t != name}
        for name, path in library.items()
    }
    assert cycles(graph) == []


def test_no_private_name_crosses_a_module(library):
    crossing = [
        f"{path.relative_to(ROOT)}:{line}: {name} takes {taken} from {target}"
        for name, path in library.items()
        for target, line, names in imports(name, path, library)
        for taken in names
        if target.startswith("lms") and taken.startswith("_") and target != name
    ]
    assert crossing == []


def test_the_library_stands_alone(library):
    outside = [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for name, path in library.items()
        for target, line, _ in imports(name, path, library)
        if target.split(".")[0] in ("functions", "local", "tests", "bench", "scripts", "shared")
    ]
    assert outside == []


def test_no_module_is_too_long(library):
    long = {
        str(path.relative_to(ROOT)): n
        for path in library.values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


# The checks themselves, on small made-up cases (each must be able to fail).


def test_the_checks_find_what_they_look_for(tmp_path):
    order = layers("# A\n\n## Layers\n\n1. **low**: `lms.a`\n2. **high**: `lms.b`, `lms.b.c`\n\n## Next\n")
    assert order == [("low", ["lms.a"]), ("high", ["lms.b", "lms.b.c"])]
    assert (layer_of("lms.a.x", order), layer_of("lms.b.c.d", order), layer_of("lms.z", order)) == (0, 1, None)
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nfrom .b import _hidden\nif TYPE_CHECKING:\n    from .c import X\n"
    )
    found = imports("lms.a.m", source, {"lms.a.b": source})
    assert [(t, names) for t, _, names in found] == [("typing", ["TYPE_CHECKING"]), ("lms.a.b", ["_hidden"])]
