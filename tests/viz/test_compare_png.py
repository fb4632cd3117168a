"""Two runs compared on one time scale; PNG export; labels that every renderer draws."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET

import pytest
import scenes
from conftest import SVG, text_elements, words
from rich.console import Console

import playground
from playground.viz import render_svg


def _runs():
    return scenes.awaited_counter()[1], scenes.pipelined_counter()[1]


DIFFERENCES = [
    "round trips 2 → 1 (−1)",
    "time 100 ms → 50 ms (−50 ms, −50 %)",
    "messages 9 → 6 (−3, −33 %)",
    "bytes 122 → 89 (−33, −27 %)",
]


def test_compare_draws_both_runs_at_one_scale_and_states_the_differences():
    awaited, pipelined = _runs()
    c = playground.compare(awaited, pipelined)
    root = ET.fromstring(c.to_svg())
    panels = {g.get("data-run"): g for g in root.iter(SVG + "g") if "data-run" in g.attrib}
    assert list(panels) == ["awaited", "pipelined"]
    axes = [next(g for g in panel.iter(SVG + "g") if "data-px-per-ms" in g.attrib) for panel in panels.values()]
    scales = {g.get("data-px-per-ms") for g in axes}
    assert len(scales) == 1 and float(scales.pop()) > 0  # the same px per ms
    assert axes[0].get("data-top") == axes[1].get("data-top")  # the first instants level
    heights = [float(panel.find(SVG + "svg").get("height")) for panel in panels.values()]
    assert heights[0] > heights[1]  # 100 ms is taller than 50 ms
    # the longer run's last grid line is lower than the shorter one's, by 50 ms at that scale
    last = [max(float(line.get("y1")) for line in g.iter(SVG + "line")) for g in axes]
    assert last[0] - last[1] == pytest.approx(50 * float(axes[0].get("data-px-per-ms")), abs=0.2)
    [table] = [g for g in root.iter(SVG + "g") if "data-differences" in g.attrib]
    assert words(table) == ["From awaited to pipelined", *DIFFERENCES]
    assert c.differences == DIFFERENCES
    assert str(c) == "awaited → pipelined\n" + "\n".join("  " + line for line in DIFFERENCES)


def test_a_comparison_displays_like_a_trace_and_prints_in_a_terminal():
    awaited, pipelined = _runs()
    c = playground.compare(awaited, pipelined, labels=("before", "after"))
    bundle = c._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    assert bundle["text/html"].startswith('<img src="data:image/svg+xml;base64,')
    assert bundle["image/svg+xml"] == c.to_svg() and bundle["text/plain"].startswith("before → after\n")
    console = Console(width=100, color_system=None, record=True, file=io.StringIO())
    console.print(c)
    out = console.export_text()
    assert out.index("before") < out.index("after") and "get_counter() ─▶" in out
    assert all(line in out for line in DIFFERENCES)


def test_no_change_is_said_so_and_bad_input_is_explained():
    awaited, _ = _runs()
    assert playground.compare(awaited, awaited).differences[0] == "round trips 2 → 2 (same)"
    with pytest.raises(ValueError) as e:
        playground.compare(awaited, awaited, labels="ab")
    assert str(e.value) == "labels must be two strings, one per run, like ('awaited', 'pipelined'); got 'ab'"
    with pytest.raises(TypeError) as e:
        playground.compare(awaited, 3)
    assert str(e.value) == "compare() takes two recordings or traces (with play.record() as rec: ...); its second run is int"


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def _svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width")), float(root.get("height"))


def test_to_png_draws_the_svg_at_the_scale_asked(tmp_path):
    pytest.importorskip("resvg_py")
    from PIL import Image

    _, rec = scenes.pipelined_counter()
    width, height = _svg_size(rec.to_svg())
    path = tmp_path / "trace.png"
    png = rec.to_png(str(path), scale=2)
    assert path.read_bytes() == png
    assert _png_size(png) == (int(width * 2), int(height * 2))
    assert _png_size(rec.to_png(scale=1)) == (int(width), int(height))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(0, image.width, 7) for y in range(0, image.height, 7)}
    assert (255, 255, 255) in colours and len(colours) > 20  # white paper, and things drawn on it
    c = playground.compare(*_runs())
    assert _png_size(c.to_png(scale=3)) == tuple(int(v * 3) for v in _svg_size(c.to_svg()))
    with pytest.raises(ValueError) as e:
        rec.to_png(scale=0)
    assert str(e.value) == "scale must be a number above 0 (2 draws every SVG pixel as 2 × 2 PNG pixels); got 0"


def test_without_resvg_the_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "resvg_py", None)  # an import of it raises ImportError
    _, rec = scenes.pipelined_counter()
    with pytest.raises(ImportError) as e:
        rec.to_png()
    assert str(e.value) == (
        "PNG export needs the optional library resvg-py (a renderer with no system library to install). "
        "Install it with: pip install 'workers-rpc-playground[png]'"
    )


def _label_ink(png: bytes, x: float, y: float, scale: float) -> int:
    """Pixels of the diagram's ink (#1f2937: every channel dark) in a box over a label's anchor."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    box = [(int((x + dx) * scale), int((y + dy) * scale)) for dx in range(-30, 31) for dy in range(-14, 4)]
    return sum(1 for p in box if max(image.getpixel(p)) < 90)


def _cairosvg_png(svg: str) -> bytes:
    cairosvg = pytest.importorskip("cairosvg")
    try:
        return cairosvg.svg2png(bytestring=svg.encode("utf-8"))  # type: ignore[no-any-return]
    except OSError as exc:  # no cairo library on this machine
        pytest.skip(f"cairo is not installed: {exc}")


def test_labels_are_dark_in_cairosvg_and_resvg_with_a_fill_only_text_over_a_separate_halo():
    pytest.importorskip("resvg_py")
    _, rec = scenes.pipelined_counter()
    svg = rec.to_svg()
    assert "paint-order" not in svg
    root = ET.fromstring(svg)
    halos = [t for t in root.iter(SVG + "text") if "data-halo" in t.attrib]
    assert halos
    for group in root.iter(SVG + "g"):  # every halo is followed by the same words, filled only
        children = list(group)
        for i, t in enumerate(children):
            if t.tag == SVG + "text" and "data-halo" in t.attrib:
                top = children[i + 1]
                assert top.tag == SVG + "text" and "data-halo" not in top.attrib and top.get("stroke") is None
                assert "".join(top.itertext()) == "".join(t.itertext()) and top.get("x") == t.get("x")
    [label] = [t for t in text_elements(root) if "".join(t.itertext()) == "resolve 2"]
    x, y = float(label.get("x")), float(label.get("y"))
    assert _label_ink(rec.to_png(scale=1), x, y, 1) > 25
    assert _label_ink(_cairosvg_png(svg), x, y, 1) > 25


def _stream(chunks: int):
    """``chunks`` writes of 32 KiB through a 96 KiB window to a reader that needs 20 ms each."""
    from playground import Playground, ReadableStream, WorkerEntrypoint, sleep

    class SlowUploader(WorkerEntrypoint):
        async def upload(self, readable):
            size = 0
            async for chunk in readable:
                size += len(chunk)
                await sleep(0.02)
            return size

    play = Playground(latency="10ms", stream_window=96 * 1024)
    play.worker("uploader", SlowUploader)
    play.worker("client", scenes.Client, services={"UPLOADER": "uploader"})
    with play.record() as rec:
        play.run(play.env("client").UPLOADER.upload(ReadableStream.from_iterable(bytes(32 * 1024) for _ in range(chunks))))
    return rec


def test_a_long_stream_is_drawn_compactly_with_its_repeated_writes_and_acks_as_one_row():
    rec = _stream(32)
    full, compact = rec.to_svg(compact=False), rec.to_svg(compact=True)
    assert _svg_size(full)[1] > 1800 and _svg_size(compact)[1] < 1500
    assert rec.to_svg() == compact  # more than 24 writes in a run: compact by default
    root = ET.fromstring(compact)
    [row] = [g for g in root.iter(SVG + "g") if "data-collapsed" in g.attrib]
    assert row.get("data-collapsed") == "27" and words(row) == ["write 32 KiB ×27", "ack ×27", "⋯ 540 ms in one row"]
    assert row.findtext(SVG + "title") == (
        "27 writes and 27 acks (865 KiB) sent from 40 to 580 ms, drawn as one row; rec.to_svg(compact=False) draws each"
    )
    # the axis still counts every millisecond: the labels after the row go on from 580 ms
    axis = next(g for g in root.iter(SVG + "g") if "data-px-per-ms" in g.attrib)
    assert [line.get("data-ms") for line in axis.iter(SVG + "line")][4:6] == ["40", "580"]
    drawn = [g for g in root.iter(SVG + "g") if "data-t-send" in g.attrib]
    assert len(drawn) == len(rec.messages) - 54
    # a short stream is drawn in full unless asked
    short = scenes.slow_reader_stream()[1]
    assert short.to_svg() == short.to_svg(compact=False) and "data-collapsed" not in short.to_svg()
    assert 'data-collapsed="' in short.to_svg(compact=True)


def test_widgets_leave_a_static_picture_beside_their_view():
    pytest.importorskip("ipywidgets")
    import ipywidgets as W

    from playground.viz import with_static

    _, rec = scenes.pipelined_counter()
    replay = rec.replay()
    bundle = replay._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == replay.widget.model_id
    assert bundle["image/svg+xml"] == replay.svg == render_svg(rec, diagram=replay.diagram)
    assert bundle["text/html"].startswith('<div><img src="data:image/svg+xml;base64,')
    replay.frame = 1  # the picture is the frame shown when the bundle is made
    assert replay._repr_mimebundle_()["image/svg+xml"] == replay.svg != bundle["image/svg+xml"]
    slider = W.IntSlider(value=3)
    shown = with_static(slider, lambda: [rec, "<p>n = 3</p>"])
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "application/vnd.jupyter.widget-view+json", "text/html"}
    assert bundle["text/html"].endswith("<p>n = 3</p></div>") and shown.value == 3
    with pytest.raises(TypeError) as e:
        with_static(slider, lambda: 3)._repr_mimebundle_()
    assert str(e.value) == (
        "with_static() needs a figure that displays itself (a trace, a comparison, a chart, "
        "IPython.display.HTML) or HTML or SVG text; got int"
    )
