"""Build the course notebooks from their sources: ``python notebooks/build.py [--check]``.

Each notebook is written as a plain Python file in ``notebooks/src/`` in the "percent" format
that jupytext also reads: a line ``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown
cell whose lines are comments (``# `` is removed). The build writes ``notebooks/<name>.ipynb``
with no outputs, so the files in git stay stripped and their diffs stay readable.

The exercises' sources, ``notebooks/src/exercises/``, build the same way into
``notebooks/exercises/``.

``--check`` writes nothing and exits 1 if a notebook differs from its source (the tests run it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
#: source folder -> the folder its notebooks are written to
FOLDERS = {SOURCES: HERE, SOURCES / "exercises": HERE / "exercises"}

__all__ = ["build", "notebook_from_source", "parse_cells", "render", "main"]

_MARKER = re.compile(r"^# %%(?P<rest>.*)$")

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3", "codemirror_mode": {"name": "ipython", "version": 3}}


def parse_cells(text: str) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(kind, source)`` pairs, kind ``code`` or ``markdown``."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            kind = "markdown" if "[markdown]" in match["rest"] else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '# %%' marker: {line!r}")
    result: list[tuple[str, str]] = []
    for kind, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        if kind == "markdown":
            lines = [_uncomment(line) for line in lines]
        source = "\n".join(lines).strip("\n")
        if source:
            result.append((kind, source))
    return result


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    if line.startswith("#"):
        return line[1:]
    raise ValueError(f"a Markdown cell line must be a comment: {line!r}")


def notebook_from_source(text: str) -> nbformat.NotebookNode:
    """A stripped notebook (no outputs, no execution counts) from percent-format text."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    for number, (kind, source) in enumerate(parse_cells(text)):
        cell = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        cell["id"] = f"cell-{number:02d}"  # stable ids: rebuilding changes nothing
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as the text written to disk."""
    return nbformat.writes(nb) + "\n"


def build(*, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) every notebook; returns the names that differed."""
    differing: list[str] = []
    for folder, out in FOLDERS.items():
        for source in sorted(folder.glob("*.py")):
            target = out / f"{source.stem}.ipynb"
            text = render(notebook_from_source(source.read_text(encoding="utf-8")))
            old = target.read_text(encoding="utf-8") if target.exists() else None
            if old != text:
                differing.append(target.relative_to(HERE).as_posix())
                if not check:
                    target.write_text(text, encoding="utf-8")
    return differing


def main(argv: list[str]) -> int:
    """Command line: build, or check with ``--check``."""
    check = "--check" in argv
    differing = build(check=check)
    for name in differing:
        print(f"{'out of date' if check else 'wrote'}: notebooks/{name}")
    if check and differing:
        print("Run `python notebooks/build.py` after editing notebooks/src/.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
