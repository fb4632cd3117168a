"""Flow control strips, drawn from stream events alone (synthetic until streams emit them)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import SVG, texts

from playground.trace import MessageEvent, StreamEvent
from playground.viz import render_svg
from playground.viz.flow import streams

KIB = 1024


def stalled_stream() -> list:
    """A 64 KiB window, 16 KiB chunks, 25 ms each way: the writer stalls each round trip."""
    events: list = [MessageEvent(0, 0.0, "push", "a", "b", 0.0, 0.025, 30, 1, 1, 0, ("upload",), None, b"\x90", True)]
    seq, in_flight, t = 1, 0, 0.0
    for burst in range(3):
        for _ in range(4):
            in_flight += 16 * KIB
            events.append(StreamEvent(seq, t, "chunk", 7, "a", "b", 16 * KIB, in_flight, 64 * KIB))
            seq += 1
        events.append(StreamEvent(seq, t + 0.050, "stall", 7, "a", "b", 0, in_flight, 64 * KIB, since=t))
        seq += 1
        t += 0.050
        in_flight -= 64 * KIB
        events.append(StreamEvent(seq, t, "ack", 7, "a", "b", 64 * KIB, in_flight, 64 * KIB))
        seq += 1
    events.append(StreamEvent(seq, t, "close", 7, "a", "b", 0, 0, 64 * KIB))
    return events


def test_stream_story_counts_bytes_chunks_and_stalls():
    [s] = streams([e for e in stalled_stream() if isinstance(e, StreamEvent)])
    assert (s.stream, s.sender, s.receiver, s.chunks, s.sent, s.ended) == (7, "a", "b", 12, 192 * KIB, "close")
    assert len(s.stalls) == 3 and abs(s.stalled - 0.150) < 1e-9


def test_a_strip_per_stream_with_its_stalls_in_solid_red_and_a_key_that_matches():
    svg = render_svg(stalled_stream())
    [heading] = [t for t in texts(svg) if t.startswith("stream 7:")]
    assert heading == "stream 7: a → b · 192 KiB in 12 chunks · stalled 150 ms"
    root = ET.fromstring(svg)
    stalls = [g for g in root.iter(SVG + "g") if (g.findtext(SVG + "title") or "").startswith("writer waited 50 ms")]
    assert len(stalls) == 3
    for g in stalls:  # red itself, on the white above the strip: not pink over the purple area
        rect = g.find(SVG + "rect")
        assert rect.get("fill") == "#dc2626" and rect.get("fill-opacity") is None
    key = {"".join(g.find(SVG + "text").itertext()): g for g in root.iter(SVG + "g") if g.get("transform", "").startswith("translate")}
    sample = key["writer stalled"].find(SVG + "rect")
    assert sample.get("fill") == "#dc2626" and sample.get("fill-opacity") is None
    assert key["bytes in flight"].find(SVG + "rect").get("fill") == "#9333ea"
    assert not [t for t in texts(svg) if "stalls (red)" in t]


def test_a_stream_whose_only_events_here_are_its_end_gets_no_strip():
    events = stalled_stream()
    tail = [e for e in events if isinstance(e, MessageEvent) or e.action == "close"]
    svg = render_svg(tail)
    assert not [t for t in texts(svg) if t.startswith("stream 7:")]
    assert [t for t in texts(render_svg(events)) if t.startswith("stream 7:")]  # the full one has it


def test_sizes_use_the_largest_unit_without_exponents():
    from playground.viz.labels import size_text

    sizes = [512, 1536, 192 * KIB, 4100 * KIB, 4 * KIB * KIB, 3 * KIB**3]
    assert [size_text(n) for n in sizes] == ["512 B", "1.5 KiB", "192 KiB", "4 MiB", "4 MiB", "3 GiB"]
