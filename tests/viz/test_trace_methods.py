"""A trace displays itself: the bundle Jupyter shows, and the export methods."""

from __future__ import annotations

import base64
from pathlib import Path

import scenes

import playground.trace.recorder as recorder


def test_the_display_bundle_survives_untrusted_notebooks():
    play, rec = scenes.pipelined_counter()
    bundle = rec._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    html = bundle["text/html"]
    assert html.startswith('<img src="data:image/svg+xml;base64,') and "<svg" not in html
    data = html.split("base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(data).decode() == bundle["image/svg+xml"]
    assert bundle["text/plain"] == rec.to_html().split('alt="', 1)[1].split('"', 1)[0]


def test_to_svg_writes_a_file(tmp_path):
    play, rec = scenes.callback()
    path = tmp_path / "trace.svg"
    svg = rec.to_svg(str(path))
    assert path.read_text() == svg and svg.startswith("<svg")
    assert rec.to_html(inline=True).startswith("<div><svg")


def test_the_trace_layer_does_not_import_the_visualiser_at_import_time():
    source = Path(recorder.__file__).read_text(encoding="utf-8")
    top = source.split("class Trace", 1)[0]
    assert "viz" not in top and "rich" not in top and "ipywidgets" not in top


def test_advice_from_the_trace():
    play, rec = scenes.awaited_counter()
    [tip] = rec.advice()
    assert tip.saved == 1
