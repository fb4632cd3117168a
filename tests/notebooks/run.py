"""Execute one notebook with nbclient in a kernel of this interpreter; used by the tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

__all__ = ["Executed", "errors", "execute", "outputs", "text"]


@dataclass
class Executed:
    """An executed notebook and the wall time it took, kernel start included."""

    nb: Any
    seconds: float


def execute(path: Path, kernel_dirs: list[str], kernel_name: str, *, timeout: float = 120) -> Executed:
    """Run every cell of ``path`` top to bottom (in its own folder); cell errors are kept as
    outputs, not raised, so that a test can report all of them."""
    nb = nbformat.read(path, as_version=4)
    manager = KernelManager(kernel_name=kernel_name, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    client = NotebookClient(
        nb,
        km=manager,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    return Executed(nb, time.perf_counter() - started)


def outputs(nb: Any) -> list[tuple[int, dict[str, Any]]]:
    """``(cell index, output)`` for every output of every code cell."""
    return [(i, o) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" for o in cell.outputs]


def errors(nb: Any) -> list[str]:
    """A readable line for each error output: the cell's first line, the exception."""
    found = []
    for i, output in outputs(nb):
        if output["output_type"] == "error":
            first = nb.cells[i].source.splitlines()[0] if nb.cells[i].source else ""
            found.append(f"cell {i} ({first!r}): {output['ename']}: {output['evalue']}")
    return found


def text(output: dict[str, Any], mime: str = "text/plain") -> str:
    """An output's text for ``mime`` (stream outputs: their text)."""
    if output["output_type"] == "stream":
        return str(output.get("text", ""))
    value = output.get("data", {}).get(mime, "")
    return "".join(value) if isinstance(value, list) else str(value)
