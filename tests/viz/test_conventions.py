"""What the diagram draws besides messages says what it is: failed calls, streams, stalls, and
what happens after the end."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import scenes
from conftest import SVG, texts, words
from rich.console import Console

from playground.trace import FaultEvent
from playground.viz import TraceRenderable, render_svg


def _groups(svg: str, attribute: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(SVG + "g") if attribute in g.attrib]


def test_a_call_on_a_crashed_stub_is_drawn_failing_at_once_at_its_callers_lane():
    play, rec = scenes.crashed_room()
    [failed] = [e for e in rec.events if type(e) is FaultEvent and e.action == "failed"]
    assert (failed.a, failed.b, failed.detail) == ("app", None, "ConnectionLost: Network connection lost.")
    crash = next(e for e in rec.events if type(e) is FaultEvent and e.action == "crash")
    assert failed.at == crash.at and not [m for m in rec.messages if m.seq < failed.seq]  # nothing sent
    svg = render_svg(rec)
    [mark] = _groups(svg, "data-t-failed")
    assert mark.get("data-t-failed") == "0"
    assert mark.find(SVG + "title").text == (
        "a call from app failed at once, sending nothing: ConnectionLost: Network connection lost. (at 0 ms)"
    )
    line = mark.find(SVG + "line")
    top = float(next(g for g in _groups(svg, "data-top")).get("data-top"))
    lane_x = float(next(t.get("x") for t in ET.fromstring(svg).iter(SVG + "text") if t.text == "app"))
    assert line.get("stroke") == "#dc2626" and float(line.get("y1")) == float(line.get("y2")) == top
    assert float(line.get("x1")) == lane_x and float(line.get("x2")) > lane_x
    assert words(mark) == ["✗ ConnectionLost"]
    console = Console(width=100, color_system=None, record=True, file=io.StringIO())
    console.print(TraceRenderable(rec))
    assert " 0  ✗ ConnectionLost: failed at once, nothing sent" in console.export_text()


def test_a_streams_round_trip_is_the_call_that_carried_it_and_the_diagram_says_why():
    play, rec = scenes.slow_reader_stream()
    assert rec.round_trips == 1
    svg = render_svg(rec)
    [bracket] = [t for t in (g.findtext(SVG + "title") or "" for g in ET.fromstring(svg).iter(SVG + "g")) if t.startswith("round trip")]
    upload = next(m for m in rec.messages if m.kind == "push")
    answer = next(m for m in rec.messages if m.kind == "resolve" and m.counted)
    assert upload.sent_at == rec.start and bracket == f"round trip 1: 0–{(answer.received_at - rec.start) * 1000:g} ms"
    note = (
        "Note: Streams: 17 chunks (writes and closes) flowed without round trips of their own, under flow "
        "control (their acks are bookkeeping, not answers); a stream's round trip is the call that carried "
        "it, until its answer."
    )
    words = " ".join(t.strip() for t in texts(svg) if t.startswith(("Note: ", "      ")))
    assert note in " ".join(words.split())
    assert note in rec._repr_mimebundle_()["text/plain"]


def test_what_arrives_after_the_end_is_drawn_below_an_end_line_and_marked_not_counted():
    play, rec = scenes.pipelined_counter()
    assert rec.elapsed == 0.05
    svg = render_svg(rec)
    [end] = _groups(svg, "data-end-ms")
    [axis] = _groups(svg, "data-top")
    top, px_per_ms = float(axis.get("data-top")), float(axis.get("data-px-per-ms"))
    assert end.get("data-end-ms") == "50" and float(end.find(SVG + "line").get("y1")) == top + 50 * px_per_ms
    assert words(end) == ["end · 50 ms", "↓ not counted"]
    arrows = _groups(svg, "data-t-send")
    late = [g for g in arrows if float(g.get("data-t-arrive")) > 50]
    assert [g.findtext(SVG + "title").split(" #")[0] for g in late] == ["release", "release"]
    labels = {id(g): words(g) for g in arrows}
    assert [w for g in late for w in labels[id(g)]] == ["release ×2 (not counted)"]
    assert not [w for g in arrows if g not in late for w in labels[id(g)] if "not counted" in w]
