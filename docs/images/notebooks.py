"""Render chosen outputs of the course notebooks to PNG: ``python docs/images/notebooks.py``.

Executes the notebooks with nbclient (a kernel of this interpreter), picks each image's output
by the start of its ``text/plain`` summary, and screenshots it with headless Chromium, as
``make.py`` does for the trace scenes. No network is used.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parents[1] / "notebooks"
sys.path.insert(0, str(HERE))

from make import screenshot  # noqa: E402

#: image name -> (notebook, the start of the output's text/plain, which match to take)
IMAGES: dict[str, tuple[str, str, int]] = {
    "pipelining-savings": ("09-pipelining-explorer", "Virtual time (chain 3, fan-out 2)", 0),
    "flow-control-throughput": ("10-flow-control-lab", "Throughput: 20 MB/s", 0),
    "link-cut": ("11-faults-lab", "2 round trips · 230 ms", 0),
    "revocation": ("12-capability-patterns", "5 round trips · 100 ms", 0),
}


def executed(name: str) -> Any:
    """The notebook ``name``, executed in its folder."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def pick(nb: Any, prefix: str, index: int) -> dict[str, str]:
    """The data of the ``index``-th output whose text/plain starts with ``prefix``."""
    found = [
        o["data"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
        if "data" in o and str(o["data"].get("text/plain", "")).startswith(prefix)
    ]
    if len(found) <= index:
        raise SystemExit(f"no output starting with {prefix!r} (found {len(found)})")
    return found[index]


def render(data: dict[str, str], png: Path) -> tuple[int, int]:
    """Screenshot an output: its SVG at its own size, or its HTML (a figure of several charts)."""
    svg = data.get("image/svg+xml")
    if svg:
        body = svg
        width, height = (int(float(v)) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups())
    else:
        body = data["text/html"]
        widths = [int(w) for w in re.findall(r'<img [^>]*width="(\d+)"', body)]
        width, height = sum(w + 8 for w in widths), 310
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(
            f'<!doctype html><html><head><meta charset="utf-8"></head>'
            f'<body style="margin:0;background:#fff">{body}</body></html>',
            encoding="utf-8",
        )
        screenshot(page, png, width, height)
    return width, height


def main(names: list[str]) -> None:
    cache: dict[str, Any] = {}
    for image, (notebook, prefix, index) in IMAGES.items():
        if names and image not in names:
            continue
        nb = cache.get(notebook) or cache.setdefault(notebook, executed(notebook))
        width, height = render(pick(nb, prefix, index), HERE / f"{image}.png")
        print(f"{image}: {notebook} -> {image}.png ({width}x{height})")


if __name__ == "__main__":
    main(sys.argv[1:])
