"""The real thing: JupyterLab in Chromium runs ``00-start-here`` and the live diagram appears,
updates while the paced cell runs, and ends as the final frame, checked in the DOM."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROMIUM_ARGS, Lab

DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "jupyterlab-live.png"

# One sample of the page: the paced cell's diagram (alt text = the summary line, and a hash of
# the image so that redraws with the same summary still count), the kernel's status, and the
# number of diagrams in the notebook.
SAMPLE = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const paced = cells.find(c => (c.querySelector('.jp-InputArea-editor')?.textContent || '').includes('pace=20'));
  const img = paced?.querySelector('.jp-OutputArea-output img[src^="data:image/svg+xml"]');
  let hash = 0;
  if (img) { for (let i = 0; i < img.src.length; i += 7) hash = (hash * 31 + img.src.charCodeAt(i)) | 0; }
  const widget = window.jupyterapp?.shell?.currentWidget;
  return {
    alt: img ? img.alt : null,
    hash: img ? `${img.src.length}:${hash}` : null,
    kernel: widget?.sessionContext?.session?.kernel?.status ?? null,
    diagrams: document.querySelectorAll('.jp-OutputArea-output img[src^="data:image/svg+xml"]').length,
  };
}"""

SCROLL_TO_PACED = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
  .find(c => (c.querySelector('.jp-InputArea-editor')?.textContent || '').includes('pace=20'))
  .scrollIntoView({block: 'start'})"""

# The final diagram, decoded from its data URI in the page.
FINAL_SVG = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const paced = cells.find(c => (c.querySelector('.jp-InputArea-editor')?.textContent || '').includes('pace=20'));
  paced.scrollIntoView({block: 'start'});
  const img = paced.querySelector('.jp-OutputArea-output img[src^="data:image/svg+xml"]');
  const svg = atob(img.src.split(',')[1]);
  return {svg, width: img.naturalWidth, height: img.naturalHeight, shown: img.getBoundingClientRect().height};
}"""


def _in_flight_of_second_call(alt: str | None) -> bool:
    """A frame drawn while the second call's arrows are half way to worker B."""
    match = re.match(r"2 round trips · ([\d.]+) ms", alt or "")
    return match is not None and 62 <= float(match.group(1)) <= 80


@pytest.mark.browser
def test_start_here_runs_in_jupyterlab_with_a_live_diagram(lab: Lab, chromium_path: str, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    samples: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1150})
            page.goto(lab.page("00-start-here.ipynb"))
            page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
            page.wait_for_function(
                "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
                timeout=60_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
            # not awaited: the command's promise settles only when every cell has run
            page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            mid_shot = tmp_path / "lab-live-mid.png"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                sample = page.evaluate(SAMPLE)
                sample["t"] = round(time.monotonic() - started, 2)
                samples.append(sample)
                if _in_flight_of_second_call(sample["alt"]) and not mid_shot.exists():
                    page.evaluate(SCROLL_TO_PACED)
                    page.screenshot(path=str(mid_shot))  # the diagram half drawn, arrows in flight
                seen_busy = any(s["kernel"] == "busy" for s in samples)
                if seen_busy and sample["kernel"] == "idle" and (sample["alt"] or "").startswith("3 round trips"):
                    break
                page.wait_for_timeout(100)
            final = page.evaluate(FINAL_SVG)
            page.wait_for_timeout(300)
            final_shot = tmp_path / "lab-live-final.png"
            page.screenshot(path=str(final_shot))
        finally:
            browser.close()

    frames = [s for s in samples if s["hash"]]
    assert frames, f"the live diagram never appeared: {samples[-5:]}"
    distinct = list(dict.fromkeys((s["alt"], s["hash"]) for s in frames))
    assert len(distinct) >= 2, f"the diagram appeared but never updated: {distinct}"
    assert not distinct[0][0].startswith("3 round trips"), "the first frame seen was already the final one"
    assert frames[-1]["alt"].startswith("3 round trips · 150 ms"), frames[-1]
    assert samples[-1]["diagrams"] == 4, samples[-1]  # the three RPC cells above drew theirs too
    svg = final["svg"]
    assert svg.startswith("<svg") and "worker_a" in svg and "worker_b" in svg
    assert "add(3, 3)" in svg and "resolve 6" in svg
    assert final["width"] > 300 and final["shown"] > 200
    assert final_shot.stat().st_size > 20_000
    if os.environ.get("PLAYGROUND_UPDATE_DOCS_IMAGES") == "1":
        shutil.copy(mid_shot if mid_shot.exists() else final_shot, DOCS_IMAGE)
    print(f"\nbrowser test: {len(frames)} samples with a diagram, {len(distinct)} distinct frames, "
          f"first at {frames[0]['t']} s, final at {frames[-1]['t']} s; screenshots in {tmp_path}")
