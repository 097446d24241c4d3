"""The wings of seatlib: the packages read bottom up, each importing only the ones below it; and
no module or function too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "seatlib"

#: Bottom up: a package may import the packages before it, never one after it (nor itself back
#: through another). ``seatlib`` itself holds only ``__version__`` and imports nothing.
ORDER = ("core", "systems", "history", "stages", "reclaim", "powerbi", "sim", "run")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    """Every module of seatlib by its dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ["seatlib", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path) -> set[str]:
    """The seatlib modules (or packages) ``name`` imports, anywhere in it (TYPE_CHECKING and
    function-level imports included), resolved to absolute names."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "seatlib")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "seatlib":
                out.add(target)
    return out


def wing(name: str) -> str:
    """The package of seatlib a dotted name belongs to; ``seatlib`` for the root."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "seatlib"


def arrows() -> dict[tuple[str, str], list[str]]:
    """(from wing, to wing) -> the modules that make the arrow, between different wings."""
    found: dict[tuple[str, str], list[str]] = {}
    for name, path in modules().items():
        for target in imported(name, path):
            pair = (wing(name), wing(target))
            if pair[0] != pair[1]:
                found.setdefault(pair, []).append(f"{name} -> {target}")
    return found


def test_every_module_lives_in_a_wing():
    loose = [name for name in modules() if name != "seatlib" and wing(name) not in ORDER]
    assert not loose, f"modules outside the packages {ORDER}: {loose}"
    assert sorted(p.name for p in ROOT.iterdir() if p.suffix == ".py") == ["__init__.py"]


def test_the_import_graph_between_wings_points_down_only():
    up = {pair: why for pair, why in arrows().items()
          if pair[1] != "seatlib" and ORDER.index(pair[1]) >= ORDER.index(pair[0])}
    assert not up, "imports that point up (or sideways) between packages:\n" + "\n".join(
        f"{a} -> {b}: {', '.join(sorted(why))}" for (a, b), why in sorted(up.items()))
    root = [why for (a, b), why in arrows().items() if a == "seatlib"]
    assert not root, f"seatlib/__init__.py imports {root}"


def test_the_import_graph_between_wings_has_no_circle():
    graph: dict[str, set[str]] = {}
    for a, b in arrows():
        graph.setdefault(a, set()).add(b)
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != "open", f"circle: {' -> '.join(trail + [node, nxt])}"
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


@pytest.mark.parametrize("package", ORDER)
def test_each_wing_says_what_it_holds_and_may_import(package):
    init = ROOT / package / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert "may import" in " ".join(doc.split()), f"{init}: says nothing of what it may import"


def test_no_module_is_over_600_lines_and_no_function_over_60():
    long_modules, long_functions = [], []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{name}: {len(text.splitlines())}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                doc = node.body[0]
                if (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                        and isinstance(doc.value.value, str)):
                    lines -= doc.end_lineno - doc.lineno + 1  # the docstring is not code
                if lines > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}.{node.name}: {lines}")
    assert not long_modules, f"modules over {MAX_MODULE_LINES} lines: {long_modules}"
    assert not long_functions, f"functions over {MAX_FUNCTION_LINES} lines: {long_functions}"
