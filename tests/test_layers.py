"""The layers' arrows (docs/design.md): every import points down, and the whole import graph of
``playground`` — imports inside functions and under ``TYPE_CHECKING`` counted — has no cycle.

Between packages: protocol <- codec; protocol, codec <- trace; protocol, codec, sim <- transport; protocol, codec, sim,
trace, transport <- runtime; trace <- viz <- notebook; runtime, trace, viz <- exercises. Inside ``runtime/`` the modules are
ordered (``RUNTIME_ORDER``, the layer table of docs/design.md) and each imports only modules
before it.

Imports inside functions are allowed only where a seam is named and documented
(``LATE_ALLOWED``): the package's ``__init__`` connects the trace to the renderers and opens the
IPython extension, each loaded on first use.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "playground"

#: layer -> the playground layers it may import
ALLOWED = {
    "errors": set(),
    "protocol": {"errors"},
    "codec": {"errors", "protocol"},
    "sim": {"errors"},
    "trace": {"errors", "protocol", "codec"},  # message kinds; codec only to decode payloads for display
    "transport": {"errors", "protocol", "codec", "sim"},
    "runtime": {"errors", "protocol", "codec", "sim", "trace", "transport"},
    "viz": {"errors", "trace", "codec"},
    "notebook": {"errors", "trace", "viz", "runtime"},
    "exercises": {"errors", "trace", "viz", "runtime"},  # the exercises' checks read traces
}

#: The modules of ``runtime/``, lowest first: each may import only those before it.
RUNTIME_ORDER = [
    # vocabulary: the hook contract, user classes, definitions
    "contract", "targets", "where", "compat", "worker", "wrangler",
    # the state every part shares, and driving it from outside
    "ledger", "shared", "host",
    # execution contexts and what lives in one worker
    "context", "streams", "http", "invoke",
    # capabilities: local hooks, the user's handles, remote hooks, streams over RPC
    "hooks", "stubs", "remote", "flow",
    # sessions: payloads, one end of a session, lifetimes of sessions and contexts
    "marshal", "connection", "lifecycle",
    # what sessions are opened to, and the env that reaches them
    "bindings", "durable", "env", "faults",
    # sessions with real peers, over real sockets
    "peers",
    # the façade
    "world", "__init__",
]

#: (importer, imported) pairs allowed inside functions: named seams (see the module docstring).
LATE_ALLOWED = {
    ("playground", "playground.viz"),  # trace.recorder.set_renderers: draw a trace when asked
    ("playground", "playground.notebook"),  # %load_ext playground: IPython only when used
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> list[tuple[str, bool]]:
    """``(imported playground module, inside a function)`` for every import statement."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.split(".")[0] == "playground"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "playground":
                source = node.module or ""
            else:
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                targets.append(sub if sub in MODULES else source)
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != module:
                found.append((target, id(node) in inside))
    return found


GRAPH = {m: {t for t, _ in imports_of(m)} for m in MODULES}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_whole_import_graph_has_no_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert cycles == []


def test_each_package_imports_only_what_is_below_it():
    problems = []
    for module in MODULES:
        layer = package_of(module)
        if layer not in ALLOWED:
            continue
        for target in GRAPH[module]:
            other = package_of(target)
            if other != layer and other in ALLOWED and other not in ALLOWED[layer]:
                problems.append(f"{module} ({layer}) imports {target}")
    assert problems == []


def test_every_runtime_module_has_a_place_in_the_layer_table():
    runtime = {m.split(".")[2] if m.count(".") >= 2 else "__init__" for m in MODULES if package_of(m) == "runtime"}
    assert runtime == set(RUNTIME_ORDER)


def test_runtime_modules_import_only_modules_below_them():
    rank = {name: i for i, name in enumerate(RUNTIME_ORDER)}

    def short(module: str) -> str:
        return module.split(".")[2] if module.count(".") >= 2 else "__init__"

    problems = []
    for module in MODULES:
        if package_of(module) != "runtime":
            continue
        for target in GRAPH[module]:
            if package_of(target) == "runtime" and rank[short(target)] >= rank[short(module)]:
                problems.append(f"{short(module)} imports {short(target)}, which is not below it")
    assert problems == []


def test_imports_inside_functions_are_only_the_named_seams():
    late = {(m, t) for m in MODULES for t, inside in imports_of(m) if inside}
    assert late == LATE_ALLOWED


def test_the_protocol_knows_no_clock_no_asyncio_no_msgpack_no_printing():
    for path in (PACKAGE / "protocol").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
        assert not modules & {"asyncio", "time", "msgpack", "socket"}, path
        assert "print(" not in source, path


@pytest.mark.parametrize(
    "source, expected",
    [
        ("def f():\n    from .hooks import Hook\n", [("playground.runtime.hooks", True)]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .world import Playground\n",
         [("playground.runtime.world", False)]),
        ("from .. import errors\n", [("playground.errors", False)]),
    ],
)
def test_the_checker_sees_late_and_annotation_only_imports(tmp_path, monkeypatch, source, expected):
    """The rules above are only as good as the import finder: it must see every kind of import."""
    path = PACKAGE / "runtime" / "stubs.py"
    monkeypatch.setitem(MODULES, "playground.runtime.stubs", tmp_path / "stubs.py")
    (tmp_path / "stubs.py").write_text(source)
    assert path.exists()
    assert imports_of("playground.runtime.stubs") == expected


def test_the_layer_table_in_the_design_notes_says_what_each_module_imports():
    """docs/design.md's table of the runtime's modules stays true: its order is RUNTIME_ORDER,
    and its "may import" column is what each module does import from the runtime."""
    design = (PACKAGE.parent / "docs" / "design.md").read_text(encoding="utf-8")
    table = design.split("### Inside the runtime", 1)[1].split("\n\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| `")]
    modules = [cells[0].strip().strip("`") for cells in rows]
    assert modules == [m for m in RUNTIME_ORDER if m != "__init__"]
    for module, cells in zip(modules, rows):
        listed = cells[2].split("(")[0].strip()
        if listed.startswith("everything"):
            continue
        said = {name.strip() for name in listed.split(",") if name.strip() not in ("", "—")}
        actual = {t.split(".")[2] for t in GRAPH[f"playground.runtime.{module}"] if t.startswith("playground.runtime.")}
        assert said == actual, module
