"""Render the seed's examples to PNG with headless Chromium: ``python docs/images/make.py``.

Needs Chromium (``apt-get install -y chromium``). Writes ``<name>.svg`` and ``<name>.png`` here.
No network is used: each page is a local file holding one self-contained SVG.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "viz"))

import scenes  # noqa: E402

from playground.viz import html_page, render_svg  # noqa: E402

SCENES = {
    "pipelined-counter": scenes.pipelined_counter,
    "awaited-counter": scenes.awaited_counter,
    "forwarding": scenes.forwarding,
    "callback": scenes.callback,
    "leaked-stub": scenes.leaked_counter,
    "slow-reader-stream": scenes.slow_reader_stream,
}


def screenshot(html: Path, png: Path, width: int, height: int) -> None:
    """One headless Chromium screenshot of a local HTML file, with a fresh profile."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("Chromium is needed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", f"--user-data-dir={profile}",
                "--hide-scrollbars", "--force-device-scale-factor=1",
                f"--screenshot={png}", f"--window-size={width},{height}", html.as_uri(),
            ],
            check=True, capture_output=True, timeout=120,
        )


def main(names: list[str]) -> None:
    for name, make in SCENES.items():
        if names and name not in names:
            continue
        play, rec = make()
        svg = render_svg(rec)
        # file paths in tips and tooltips: keep them short and machine-independent
        svg = re.sub(r"/[^\s\"<>`]*/(scenes\.py)", r"\1", svg)
        (HERE / f"{name}.svg").write_text(svg, encoding="utf-8")
        width, height = (int(float(v)) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups())
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "page.html"
            page.write_text(html_page(svg), encoding="utf-8")
            screenshot(page, HERE / f"{name}.png", width, height)
        print(f"{name}: {rec.round_trips} round trips -> {name}.png ({width}x{height})")
        play.close()


if __name__ == "__main__":
    main(sys.argv[1:])
