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

from playground import DurableObject, Playground, WorkerEntrypoint  # noqa: E402
from playground.viz import html_page, render_svg  # noqa: E402


class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.visits = 0

    def visit(self):
        self.visits += 1
        return self.visits


class App(WorkerEntrypoint):
    async def visit(self, name):
        ns = self.env.ROOM  # Room, exported by the worker "rooms"
        return await ns.get(ns.id_from_name(name)).visit()


def durable_object_from_another_worker():
    """The README's example: "app" binds ROOM to the class Room of worker "rooms"."""
    play = Playground(latency="25ms")
    play.worker("rooms", App, exports=[Room])
    play.worker("app", App, durable_objects={"ROOM": ("rooms", "Room")})
    play.worker("client", App, services={"APP": "app"})
    with play.record() as rec:
        play.run(play.env("client").APP.visit("lobby"))
    return play, rec

SCENES = {
    "pipelined-counter": scenes.pipelined_counter,
    "awaited-counter": scenes.awaited_counter,
    "forwarding": scenes.forwarding,
    "callback": scenes.callback,
    "leaked-stub": scenes.leaked_counter,
    "slow-reader-stream": scenes.slow_reader_stream,
    "durable-object-from-another-worker": durable_object_from_another_worker,
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
        svg = re.sub(r"/[^\s\"<>`]*/((?:scenes|make)\.py)", r"\1", svg)
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
