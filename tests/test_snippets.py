"""Every fenced ```python block of README.md and docs/*.md runs.

Blocks run in order, per file, in one namespace (a later block may use an earlier one's names).
A block with a top-level ``await`` is meant for Jupyter and runs as a cell would: compiled with
``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT`` and awaited on a running asyncio loop (the playground drives
its own loop nested, as in a notebook). A block that must not run is marked in the markdown by
``<!-- no-run: reason -->`` on the line before it; they are listed in ``NO_RUN``.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
NO_RUN_MARK = re.compile(r"<!--\s*no-run:\s*(.+?)\s*-->\s*$")

# (file, first line of the block): why it does not run. A new marker must be added here too.
NO_RUN = {
    ("README.md", "total = env.COUNTER.get_counter().increment()        # forgot `await`"):
        "the mistakes it shows raise, on purpose",
    ("README.md", "from playground import Playground, dispose"): "needs a deployed Worker on the network",
    ("README.md", 'play.worker("api", Api)               # Api: a WorkerEntrypoint with add, counter, twice'):
        "listens on a real port for a Node client",
}


def blocks(path: Path) -> list[tuple[int, str, str | None]]:
    """``(line, code, reason not to run or None)`` of each python block of ``path``."""
    text = path.read_text()
    found = []
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = NO_RUN_MARK.search(before)
        found.append((text.count("\n", 0, match.start()) + 2, match.group(1), mark.group(1) if mark else None))
    return found


def run_block(code: str, namespace: dict, filename: str) -> None:
    """Run one block as a Jupyter cell: top-level ``await`` allowed, on a running loop."""
    compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if compiled.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(compiled, namespace))
    else:
        exec(compiled, namespace)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_python_snippets_run(path: Path) -> None:
    namespace: dict = {"__name__": "__main__"}
    ran = 0
    try:
        for line, code, reason in blocks(path):
            first = code.split("\n", 1)[0]
            if reason is not None:
                assert NO_RUN.get((path.name, first)) == reason, f"{path.name}:{line}: list it in NO_RUN"
                continue
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    run_block(code, namespace, f"{path.name}:{line}")
                except BaseException as error:
                    raise AssertionError(f"the block at {path.name}:{line} failed: {error!r}") from error
            ran += 1
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # what a snippet leaves is released with its playgrounds
            for value in list(namespace.values()):
                if type(value).__name__ == "Playground":
                    value.close()
    runnable = [b for b in blocks(path) if b[2] is None]
    assert ran == len(runnable)


def test_every_no_run_mark_is_listed() -> None:
    marked = {
        (path.name, code.split("\n", 1)[0]): reason for path in FILES for _, code, reason in blocks(path) if reason
    }
    assert marked == NO_RUN


def test_a_top_level_await_runs_as_in_a_cell() -> None:
    namespace: dict = {}
    run_block("import asyncio\nawait asyncio.sleep(0)\nx = 1", namespace, "cell")
    assert namespace["x"] == 1
