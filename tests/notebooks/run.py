"""Execute a notebook with nbclient in a kernel of this interpreter (the project's venv), not
whatever kernels the machine has; used by the tests and by ``benchmarks/notebooks.py``."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

__all__ = ["KERNEL_NAME", "Executed", "errors", "execute", "kernel_spec", "outputs", "text"]

KERNEL_NAME = "playground-test"


def kernel_spec(root: Path) -> list[str]:
    """Write a kernelspec whose one kernel runs ``sys.executable`` into ``root``; returns the
    kernel directories to give :func:`execute`."""
    spec = root / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "playground (tests)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    return [str(root)]


@dataclass
class Executed:
    """An executed notebook and the wall time it took, kernel start included."""

    nb: Any
    seconds: float


def execute(notebook: Path | Any, kernel_dirs: list[str], *, timeout: float = 120, quiet: bool = False) -> Executed:
    """Run every cell of ``notebook`` (a path, run in its own folder, or a notebook object) top
    to bottom; cell errors are kept as outputs, not raised, so that a test can report them all.
    ``quiet``: the kernel's own log (its stderr) is dropped."""
    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, Path) else notebook
    folder = notebook.parent if isinstance(notebook, Path) else Path.cwd()
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    client = NotebookClient(
        nb,
        km=manager,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    started = time.perf_counter()
    try:
        client.execute(**({"stderr": subprocess.DEVNULL} if quiet else {}))
    finally:
        del client, manager
        with warnings.catch_warnings():  # jupyter_client leaves zmq sockets to the collector:
            warnings.simplefilter("ignore", ResourceWarning)  # collected here, not in a later test
            gc.collect()
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
