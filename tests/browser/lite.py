"""The JupyterLite site (``make lite``) in headless Chromium: serve it on loopback, open a course
notebook, run every cell, and report what happened (timings, outputs, requests).

Shared by ``tests/test_lite.py`` (which asserts) and ``benchmarks/lite.py`` (which prints).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .conftest import CHROMIUM_ARGS

#: the notebook's outputs, from the model (the DOM may be windowed): one list per cell
OUTPUTS = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  return [...widget.content.model.cells].map(c => c.type === 'code' ? c.toJSON().outputs : []);
}"""

RUN_ALL = """() => { window.jupyterapp.commands.execute('notebook:run-all-cells')
  .then(() => { window.__liteRunAll = 'done'; }, e => { window.__liteRunAll = String(e); }); }"""

KERNEL_IDLE = """() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"""

#: seconds after page load when the first SVG diagram is in the page
FIRST_DIAGRAM = """() => document.querySelector('.jp-OutputArea-output img[src^="data:image/svg+xml"]') !== null"""


DIAGRAM = '<img src="data:image/svg+xml;base64,'
ROUND_TRIPS = re.compile(r"\d+ round trips? · ")
FIRST_FRAME = "0 round trips · 0 ms · 0 messages"


@dataclass
class LiteRun:
    """What running one notebook in the site showed."""

    kernel_ready: float  # seconds from page load to an idle kernel
    first_diagram: float  # seconds from page load to the first diagram on the page
    finished: float  # seconds from page load to the last cell done
    outputs: list[list[dict[str, Any]]]
    requests: list[str] = field(default_factory=list)  # every URL the page and its workers asked for

    def outside(self, host: str) -> list[str]:
        """The requests that went anywhere but ``host`` (data: and blob: URLs stay in the page)."""
        return [url for url in self.requests
                if urlparse(url).scheme not in ("data", "blob") and urlparse(url).hostname != host]

    def plain(self) -> list[str]:
        """The text/plain of every rich output (a diagram's is its summary line)."""
        return [o["data"]["text/plain"] if isinstance(o["data"]["text/plain"], str) else "".join(o["data"]["text/plain"])
                for cell in self.outputs for o in cell if "data" in o and "text/plain" in o["data"]]

    def diagrams(self) -> list[tuple[int, str]]:
        """``(cell, text/plain)`` of every output that shows an SVG picture (a trace diagram, a chart)."""
        return [(i, _joined(o["data"].get("text/plain", ""))) for i, cell in enumerate(self.outputs) for o in cell
                if "data" in o and DIAGRAM in _joined(o["data"].get("text/html", ""))]

    def unfinished(self) -> list[tuple[int, str]]:
        """The trace diagrams whose summary line is not ``N round trip(s) · ...``, or still the
        first frame of a paced cell (``0 round trips · 0 ms · 0 messages``)."""
        return [(i, plain) for i, plain in self.diagrams() if "round trip" in plain.split("\n")[0]
                and (not ROUND_TRIPS.match(plain) or plain.startswith(FIRST_FRAME))]

    def texts(self) -> list[str]:
        """Everything the cells printed or showed as text: streams, and every output's text/plain."""
        return [_joined(o.get("text", "")) if o.get("output_type") == "stream" else _joined(o.get("data", {}).get("text/plain", ""))
                for cell in self.outputs for o in cell]

    def errors(self) -> list[str]:
        return [f"{o['ename']}: {o['evalue']}" for cell in self.outputs for o in cell if o.get("output_type") == "error"]


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """``folder`` served over HTTP on 127.0.0.1 (a free port) while the block runs; its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_notebook(chromium: str, site: str, name: str, timeout: float = 180.0) -> LiteRun:
    """Open ``name`` (e.g. ``00-start-here.ipynb``) in the site at ``site``, run all its cells."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1150})
            context.on("request", lambda request: requests.append(request.url))
            page = context.new_page()
            started = time.monotonic()
            page.goto(f"{site}/lab/index.html?path={name}")
            page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)
            kernel_ready = time.monotonic() - started
            # not awaited here: the command's promise settles when every cell has run
            page.evaluate(RUN_ALL)
            page.wait_for_function(FIRST_DIAGRAM, timeout=timeout * 1000)
            first_diagram = time.monotonic() - started
            page.wait_for_function("() => window.__liteRunAll !== undefined", timeout=timeout * 1000)
            finished = time.monotonic() - started
            outputs = page.evaluate(OUTPUTS)
        finally:
            browser.close()
    return LiteRun(kernel_ready, first_diagram, finished, outputs, requests)

