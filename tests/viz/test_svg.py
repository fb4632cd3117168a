"""The timed sequence diagram: structure, not pixels."""

from __future__ import annotations

import re

import scenes
from conftest import SVG, message_titles, texts, titles

from playground.trace import MessageEvent
from playground.viz import render_svg


def test_one_arrow_per_message_and_one_lane_per_worker():
    play, rec = scenes.forwarding()
    svg = render_svg(rec)
    arrows = message_titles(svg)
    assert len(arrows) == len(rec.messages)
    assert sorted(int(re.match(r"\w+ #(\d+)", t).group(1)) for t in arrows) == [m.seq for m in rec.messages]
    lane_names = {"introducer", "counter", "another"}
    assert [t for t in texts(svg) if t in lane_names] == ["introducer", "counter", "another"]


def test_arrows_are_labelled_with_what_they_carry():
    play, rec = scenes.pipelined_counter()
    words = texts(render_svg(rec))
    assert "get_counter()" in words
    assert "→ increment(2)" in words  # pipelined
    assert "resolve 2" in words
    assert "release" in words


def test_tooltips_hold_ids_bytes_and_the_decoded_message():
    play, rec = scenes.pipelined_counter()
    push = next(m for m in rec.messages if m.kind == "push" and m.path == ("increment",))
    tip = next(t for t in message_titles(render_svg(rec)) if t.startswith(f"push #{push.seq}:"))
    assert f"session {push.session}, id {push.id}" in tip
    assert f"{push.size} bytes" in tip
    assert "payload: [2]" in tip
    assert "pipelined" in tip and "scenes.py:" in tip


def test_round_trips_are_numbered_brackets_on_the_callers_lane():
    for make, expected in ((scenes.pipelined_counter, 1), (scenes.awaited_counter, 2), (scenes.callback, 2)):
        play, rec = make()
        brackets = [t for t in titles(render_svg(rec)) if t.startswith("round trip ")]
        assert len(brackets) == rec.round_trips == expected
        assert [t.split(":")[0] for t in brackets] == [f"round trip {i}" for i in range(1, expected + 1)]


def test_a_pipelined_flight_is_marked_as_one():
    play, rec = scenes.pipelined_counter()
    svg = render_svg(rec)
    assert any(t.startswith("flight 1: 2 calls") for t in titles(svg))
    play, rec = scenes.awaited_counter()
    assert not any(t.startswith("flight") for t in titles(render_svg(rec)))


def test_summary_line_with_the_saving():
    play, rec = scenes.pipelined_counter()
    headline, details = texts(render_svg(rec))[:2]
    assert headline == "1 round trip · 50 ms   (without pipelining: 2 round trips)"
    assert details.startswith("2 calls (1 pipelined) · 6 messages · ")
    assert details.endswith(" · 0 leaks")


def test_a_stub_alive_at_the_end_is_drawn_open_in_red_with_its_line():
    play, rec = scenes.leaked_counter()
    play.leaked.__exit__(None, None, None)  # disposed after the recording ended
    svg = render_svg(rec)
    notes = [t for t in texts(svg) if "alive" in t and t.startswith("stub #")]
    assert len(notes) == 1 and "made at scenes.py:" in notes[0]
    assert texts(svg)[1].endswith("1 leak")


def test_until_draws_only_what_had_happened_and_cuts_arrows_in_flight():
    play, rec = scenes.awaited_counter()
    svg = render_svg(rec, until=0.010)
    sent_by_then = [m for m in rec.messages if m.sent_at <= 0.010]
    assert len(message_titles(svg)) == len(sent_by_then)
    assert 'marker-end' not in "".join(re.findall(r"<path [^>]*>", svg))  # none has arrived


def test_svg_uses_presentation_attributes_not_css_classes():
    play, rec = scenes.callback()
    svg = render_svg(rec)
    assert "class=" not in svg and "<style" not in svg and "http://" not in svg.replace(SVG[1:-1], "")


def test_ten_thousand_messages_are_bundled():
    events = []
    lanes = ["a", "b", "c"]
    for i in range(10_000):
        s, r = lanes[i % 3], lanes[(i + 1) % 3]
        t = i * 0.001
        events.append(MessageEvent(i, t, "push", s, r, t, t + 0.025, 20, 1, i, 0, ("f",), None, b"\x90", True))
    svg = render_svg(events)  # how quickly: benchmarks/render.py
    assert len(message_titles(svg)) == 0
    bundled = [t for t in titles(svg) if " messages " in t]
    assert 3 <= len(bundled) <= 3 * 48
    assert sum(int(t.split(" ")[0].replace(",", "")) for t in bundled) == 10_000


def test_lost_messages_and_faults_are_marked():
    from playground.trace import FaultEvent

    events = [
        MessageEvent(0, 0.0, "push", "a", "b", 0.0, 0.025, 20, 1, 1, 0, ("f",), None, b"\x90", True),
        MessageEvent(1, 0.0, "push", "a", "b", 0.0, None, 20, 1, 2, 0, ("g",), None, b"\x90", True),
        FaultEvent(2, 0.0, "lost", "a", "b", "message 1"),
        FaultEvent(3, 0.010, "crash", "b", None, ""),
    ]
    svg = render_svg(events)
    assert len(message_titles(svg)) == 2
    assert "✕" in texts(svg)
    assert any("received lost" in t for t in message_titles(svg))
    assert [t for t in titles(svg) if t.startswith("crash")] == ["crash b at 10 ms"]


def test_runtime_warnings_are_shown_under_the_diagram():
    from playground.trace import NoteEvent

    events = [
        MessageEvent(0, 0.0, "push", "a", "b", 0.0, 0.025, 20, 1, 1, 0, ("f",), None, b"\x90", True),
        NoteEvent(1, 0.03, "warning", "b", "A stub was not disposed."),
        NoteEvent(2, 0.03, "info", "b", "quiet"),
    ]
    words = texts(render_svg(events))
    assert "⚠ b: A stub was not disposed." in words
    assert not any("quiet" in w for w in words)


def test_the_time_axis_counts_round_steps_from_the_start_of_a_cell_that_starts_at_an_odd_time():
    start, messages = 1.2371, []
    for i in range(20):  # more instants than get a grid line each: the axis picks round steps
        sent = start + i * 0.007
        messages.append(MessageEvent(i, sent, "push", "a", "b", sent, sent + 0.025, 30, 1, i + 1, 0, ("f",), None, b"\x90", True))
    labels = [t for t in texts(render_svg(messages)) if re.fullmatch(r"[\d,.]+ ms", t)]
    values = [float(t[:-3].replace(",", "")) for t in labels]
    assert values[0] == 0 and len(values) >= 4
    step = values[1] - values[0]
    assert step in (10, 20, 25, 50) and all(v == i * step for i, v in enumerate(values))


def test_capabilities_in_payloads_are_named_by_what_they_are():
    from playground.codec import DisplayRef, Ext
    from playground.viz.labels import short

    assert [short(DisplayRef(code, 3)) for code in (Ext.EXPORT, Ext.IMPORT)] == ["stub", "your stub"]
    assert short(DisplayRef(Ext.HANDOFF, [1, 3])) == "your stub"
