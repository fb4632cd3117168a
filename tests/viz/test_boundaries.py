"""The visualiser reads traces only: it never imports the runtime, and rich/ipywidgets lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import playground.viz

VIZ = Path(playground.viz.__file__).parent


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module, level, at top level) for every import in a file."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level, id(node) in top))
        elif isinstance(node, ast.Import):
            out += [(a.name, 0, id(node) in top) for a in node.names]
    return out


def test_viz_never_imports_the_runtime_and_loads_extras_lazily():
    for path in VIZ.glob("*.py"):
        for module, level, at_top in _imports(path):
            assert "runtime" not in module, f"{path.name} imports {module}"
            assert not (level == 2 and module in ("protocol", "sim", "codec")), f"{path.name} imports {module}"
            if module.split(".")[0] in ("rich", "ipywidgets", "IPython"):
                assert not at_top, f"{path.name} imports {module} at import time"
