"""Flow control strips, drawn from stream events alone (synthetic until streams emit them)."""

from __future__ import annotations

from conftest import texts, titles

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


def test_a_strip_per_stream_with_its_stalls_shaded():
    svg = render_svg(stalled_stream())
    [heading] = [t for t in texts(svg) if t.startswith("stream 7:")]
    assert heading == "stream 7: a → b · 192.0 KiB in 12 chunks · stalled 150 ms"
    assert len([t for t in titles(svg) if t.startswith("writer waited 50 ms")]) == 3
