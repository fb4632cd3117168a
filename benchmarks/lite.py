"""The course in a browser tab: how long from page load to the first diagram of ``00-start-here``
in the JupyterLite site (goal: 20 s at most), and how big the site is without source maps (goal:
45 MB at most). Figures printed, nothing asserted; tests/test_lite.py checks what the page shows.

Run: ``.venv/bin/python benchmarks/lite.py`` after ``make lite`` (it measures ``lite/_output``);
needs Chromium (``/usr/bin/chromium``) and the test extra (Playwright).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lite.build import OUTPUT, site_size  # noqa: E402
from tests.browser.conftest import CHROMIUM  # noqa: E402
from tests.browser.lite import run_notebook, serve  # noqa: E402

GOAL_SECONDS = 20.0
GOAL_MB = 45.0


def main() -> None:
    if not (OUTPUT / "jupyter-lite.json").exists():
        sys.exit(f"no site in {OUTPUT}: run `make lite` first")
    size = site_size(OUTPUT) / 1e6
    pyodide = site_size(OUTPUT / "static" / "pyodide") / 1e6
    with serve(OUTPUT) as site:
        run = run_notebook(str(CHROMIUM), site, "00-start-here.ipynb")
    print(f"{'site size (no source maps)':<34} {size:7.1f} MB  (goal ≤ {GOAL_MB:.0f}; Pyodide and its wheels {pyodide:.1f})")
    print(f"{'page load to idle kernel':<34} {run.kernel_ready:7.1f} s")
    print(f"{'page load to first diagram':<34} {run.first_diagram:7.1f} s   (goal ≤ {GOAL_SECONDS:.0f})")
    print(f"{'page load to all cells run':<34} {run.finished:7.1f} s")
    print(f"{'requests (outside the site)':<34} {len(run.requests):7d}   ({len(run.outside('127.0.0.1'))})")
    if run.errors():
        print("errors in the notebook:", *run.errors(), sep="\n  ")


if __name__ == "__main__":
    main()
