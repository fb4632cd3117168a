"""The layers' arrows (STYLE.md): protocol <- codec; protocol, codec, sim, trace <- runtime;
trace <- viz <- notebook. Each layer imports only what is below it.

One deliberate exception: a trace renders itself (API.md), so ``Trace``'s display methods import
``viz`` lazily, inside the methods, never at module level."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "playground"

#: layer -> the playground layers it may import
ALLOWED = {
    "errors": set(),
    "protocol": {"errors"},
    "codec": {"errors", "protocol"},
    "sim": {"errors"},
    "trace": {"errors", "codec"},  # codec only to decode payloads for display
    "runtime": {"errors", "protocol", "codec", "sim", "trace"},
    "viz": {"errors", "trace", "codec"},
    "notebook": {"errors", "trace", "viz", "runtime"},
}


def layer_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0].removesuffix(".py") if len(parts) > 1 or parts[0] in ("errors.py", "notebook.py") else ""


LAZY_ALLOWED = {"trace": {"viz"}}


def imported_layers(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if top_level_only:
        tree = ast.Module(body=[n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))], type_ignores=[])
    depth = len(path.relative_to(PACKAGE).parts) - 1
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "playground":
                    parts = node.module.split(".")[1:]
                    if parts:
                        out.add(parts[0])
                continue
            if node.level > depth:  # relative import climbing to the package root
                target = (node.module or "").split(".")[0]
                if target:
                    out.add(target)
                else:
                    out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "playground" and len(parts) > 1:
                    out.add(parts[1])
    return out


def test_each_layer_imports_only_what_is_below_it():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue
        for other in imported_layers(path) - {layer}:
            if other in ALLOWED and other not in ALLOWED[layer]:
                if other in LAZY_ALLOWED.get(layer, ()) and other not in imported_layers(path, top_level_only=True):
                    continue
                problems.append(f"{path.relative_to(PACKAGE)} ({layer}) imports {other}")
    assert problems == []


def test_the_protocol_knows_no_clock_no_asyncio_no_msgpack_no_printing():
    for path in (PACKAGE / "protocol").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
        assert not modules & {"asyncio", "time", "msgpack", "socket"}, path
        assert "print(" not in source, path
