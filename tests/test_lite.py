"""The course in a browser tab with no server: ``make lite`` builds the JupyterLite site from PyPI
and npm, and every course notebook runs in it in headless Chromium (one build, one served site;
about 20 s a notebook), with nothing fetched from anywhere but the site itself, no error, and
every diagram at its final frame.

Needs npm (Pyodide's core comes from the npm registry; skipped without it, a failure under
``PLAYGROUND_REQUIRE_NODE=1``) and Chromium (tests/browser/conftest.py). The downloads are kept
in ``lite/_build/``, so a second run builds in about 25 s.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import chromium_path  # noqa: F401 - the fixture, shared
from tests.conftest import needs_node

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.lite, pytest.mark.browser]


@pytest.fixture(scope="session")
def lite_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built by ``lite/build.py`` into a temporary folder."""
    if shutil.which("npm") is None:
        needs_node("the JupyterLite site needs npm (Pyodide's core comes from the npm registry)")
    output = tmp_path_factory.mktemp("lite") / "site"
    build = subprocess.run([sys.executable, str(ROOT / "lite" / "build.py"), "--output", str(output)],
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return output


def test_the_site_has_the_course_and_no_way_to_the_network(lite_site: Path):
    config = json.loads((lite_site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    assert kernel["disablePyPIFallback"] is True
    lock = json.loads((lite_site / "static" / "pyodide" / "pyodide-lock.json").read_text())
    # every wheel the lock names is in the site, pure Python (msgpack's fallback included)
    for entry in lock["packages"].values():
        assert (lite_site / "static" / "pyodide" / entry["file_name"]).exists(), entry
        assert entry["file_name"].endswith("-none-any.whl"), entry
    assert lock["packages"]["msgpack"]["file_name"].startswith("msgpack-")
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (lite_site / "files").glob("*.ipynb")) == notebooks
    first = json.loads((lite_site / "files" / "00-start-here.ipynb").read_text())["cells"][0]["source"]
    assert 'if sys.platform == "emscripten":\n    %pip install -q workers-rpc-playground' in first
    wheels = json.loads((lite_site / "pypi" / "all.json").read_text())
    assert {"workers-rpc-playground", "comm", "ipywidgets", "markdown-it-py"} <= set(wheels)


@pytest.fixture(scope="session")
def lite_url(lite_site: Path) -> Iterator[str]:
    """The site served on loopback, once for every notebook."""
    from tests.browser.lite import serve

    with serve(lite_site) as site:
        yield site


def test_start_here_runs_in_the_browser_from_the_site_alone(lite_url: str, chromium_path: str):  # noqa: F811
    from tests.browser.lite import run_notebook

    run = run_notebook(chromium_path, lite_url, "00-start-here.ipynb")
    assert run.outside("127.0.0.1") == []
    assert any(url.endswith("/static/pyodide/pyodide.asm.wasm") for url in run.requests)
    assert run.errors() == []
    plain = run.plain()
    assert any(p.startswith("1 round trip · 50 ms") for p in plain), plain
    assert any(p.startswith("3 round trips · 150 ms") for p in plain), plain  # the paced cell's final frame
    assert run.unfinished() == []
    print(f"\nlite: kernel ready {run.kernel_ready:.1f} s, first diagram {run.first_diagram:.1f} s, "
          f"all cells {run.finished:.1f} s after page load; {len(run.requests)} requests, all to the site")


#: what a notebook must show in the site beyond its diagrams' final frames (the kernel-run checks
#: are tests/notebooks/test_notebooks.py's)
SHOWS = {
    "09-pipelining-explorer": ["awaited:   5 round trips, 250 ms", "Virtual time (chain 3, fan-out 2); Round trips"],
    "10-flow-control-lab": ["Throughput: 20 MB/s link"],
    "13-real-peers": ["In the browser (Pyodide) there are no sockets and no threads"],
}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb") if p.stem != "00-start-here"))
def test_every_notebook_runs_in_the_browser_to_its_last_frame(name: str, lite_url: str, chromium_path: str):  # noqa: F811
    """Each course notebook runs in the site with nothing fetched from elsewhere, no error, and
    every diagram drawn as it ends (a paced cell's first frame is "0 round trips · 0 ms · 0 messages")."""
    from tests.browser.lite import run_notebook

    run = run_notebook(chromium_path, lite_url, name)
    assert run.outside("127.0.0.1") == []
    assert run.errors() == []
    assert run.diagrams(), f"{name} shows no diagram"
    assert run.unfinished() == [], run.diagrams()
    printed = "\n".join(run.texts())
    for shown in SHOWS.get(name.removesuffix(".ipynb"), []):
        assert shown in printed, printed[-3000:]
    print(f"\n{name}: kernel ready {run.kernel_ready:.1f} s, all cells {run.finished:.1f} s after page load")
