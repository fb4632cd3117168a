"""The time axis never misleads: every message is drawn at its times on one linear scale."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET

import pytest
import scenes
from conftest import SVG, text_elements, words

from playground import Playground, sleep
from playground.viz import render_svg


def _axis(svg: str) -> tuple[float, float, list[tuple[float, float]]]:
    """(y of the start, pixels per ms, [(ms, y) of every grid line])."""
    root = ET.fromstring(svg)
    group = next(g for g in root.iter(SVG + "g") if "data-px-per-ms" in g.attrib)
    grid = [(float(line.get("data-ms").replace(",", "")), float(line.get("y1"))) for line in group.iter(SVG + "line")]
    return float(group.get("data-top")), float(group.get("data-px-per-ms")), grid


def _arrows(svg: str) -> dict[int, tuple[float, float, float, float, dict[str, str]]]:
    """seq -> (x1, y1, x2, y2, attributes of its group) for every message arrow."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if "data-t-send" not in g.attrib:
            continue
        seq = int(re.match(r"\w+ #(\d+):", g.find(SVG + "title").text).group(1))
        d = g.find(SVG + "path").get("d")
        numbers = [float(v) for v in re.findall(r"-?[\d.]+", d)]
        x1, y1 = numbers[0], numbers[1]
        if " L " in d:
            x2, y2 = numbers[2], numbers[3]
        else:  # a loop to its own lane: M x y h 36 V y2 H x
            x2, y2 = x1, numbers[3]
        out[seq] = (x1, y1, x2, y2, dict(g.attrib))
    return out


def fan_out(latency: str = "20ms"):
    """Three calls on a counter that has not come back yet: seven messages leave at 0 ms."""
    play = Playground(latency=latency)
    play.worker("counter", scenes.OkHandler, exports=[scenes.CounterService])
    play.worker("client", scenes.Client, services={"S": ("counter", "CounterService")})
    env = play.env("client")

    async def main():
        with env.S.get_counter() as counter:
            return await asyncio.gather(counter.increment(1), counter.increment(2), counter.increment(3))

    with play.record() as rec:
        play.run(main())
    return play, rec


@pytest.mark.parametrize("make", [fan_out, scenes.pipelined_counter, scenes.awaited_counter, scenes.forwarding,
                                  scenes.callback, scenes.slow_reader_stream])
def test_every_send_and_arrival_is_drawn_at_its_time_on_one_scale(make):
    play, rec = make()
    svg = render_svg(rec)
    top, px_per_ms, grid = _axis(svg)
    arrows = _arrows(svg)
    assert sorted(arrows) == [m.seq for m in rec.messages]
    for m in rec.messages:
        x1, y1, x2, y2, attrs = arrows[m.seq]
        sent, arrived = (m.sent_at - rec.start) * 1000, (m.received_at - rec.start) * 1000
        assert y1 == pytest.approx(top + sent * px_per_ms, abs=0.06), m
        assert y2 == pytest.approx(top + arrived * px_per_ms, abs=0.06), m
        assert float(attrs["data-t-send"]) == pytest.approx(sent) and float(attrs["data-t-arrive"]) == pytest.approx(arrived)
    # grid lines: at their times, equally spaced
    assert len(grid) >= 3
    for ms, y in grid:
        assert y == pytest.approx(top + ms * px_per_ms, abs=0.06)
    steps = {round(b[0] - a[0], 6) for a, b in zip(grid, grid[1:])}
    gaps = [b[1] - a[1] for a, b in zip(grid, grid[1:])]
    assert len(steps) == 1 and max(gaps) - min(gaps) < 0.11


def test_simultaneous_messages_share_their_y_and_their_words_are_stacked():
    play, rec = fan_out()
    svg = render_svg(rec)
    arrows = _arrows(svg)
    at_zero = [m for m in rec.messages if m.sent_at == rec.start]
    assert len(at_zero) == 7 and {m.kind for m in at_zero} == {"push", "pull"}
    assert {arrows[m.seq][1] for m in at_zero} == {_axis(svg)[0]}
    resolves = [m for m in rec.messages if m.kind == "resolve"]
    assert {m.sent_at for m in resolves} == {0.02}
    top, px_per_ms, _ = _axis(svg)
    ys = {arrows[m.seq][1] for m in resolves}
    assert len(ys) == 1 and ys.pop() == pytest.approx(top + 20 * px_per_ms, abs=0.06)  # not pushed down by the rows above
    # the calls' words one above the other (first sent on top), the three pulls said once
    stacked = ["get_counter()", "→ increment(1)", "→ increment(2)", "→ increment(3)", "pull ×3"]
    words = [("".join(e.itertext()), float(e.get("y"))) for e in text_elements(ET.fromstring(svg))]
    calls = [(w, y) for w, y in words if w in stacked]
    assert [w for w, _ in calls] == stacked
    assert [y for _, y in calls] == sorted(y for _, y in calls)


def test_a_long_idle_gap_is_cut_out_with_a_labelled_break_and_the_scale_kept():
    play = scenes.counter_world()
    env = play.env("client")

    async def main():
        with env.COUNTER_SERVICE.get_counter() as counter:
            await counter.increment(1)
            await sleep(10)
            await counter.increment(2)

    with play.record() as rec:
        play.run(main())
    svg = render_svg(rec)
    root = ET.fromstring(svg)
    cut = [g for g in root.iter(SVG + "g") if "data-break-ms" in g.attrib]
    assert [g.get("data-break-ms") for g in cut] == ["9,975"]
    assert cut[0].find(SVG + "title").text == (
        "axis break: 9,975 ms with nothing in flight (75–10,050 ms), not drawn to scale"
    )
    assert "⋯ 9,975 ms with nothing in flight, cut out ⋯" in words(root)
    top, px_per_ms, grid = _axis(svg)
    arrows = _arrows(svg)
    # before the break y = top + t * scale; after it the same scale, shifted by one constant
    shifts = set()
    for m in rec.messages:
        _, y1, _, y2, _ = arrows[m.seq]
        for t, y in ((m.sent_at, y1), (m.received_at, y2)):
            ms = (t - rec.start) * 1000
            shift = round(y - (top + ms * px_per_ms), 1)
            if ms <= 75:
                assert shift == 0, m
            else:
                shifts.add(shift)
    assert len(shifts) == 1 and shifts.pop() < -1000
    before = [y for ms, y in grid if ms <= 75]
    after = [y for ms, y in grid if ms > 75]
    gaps = {round(b - a, 1) for ys in (before, after) for a, b in zip(ys, ys[1:])}
    assert len(before) >= 3 and len(after) >= 3 and len(gaps) == 1


def test_a_break_after_a_lost_message_starts_below_where_its_arrow_ends():
    from playground.trace import MessageEvent

    events = [
        MessageEvent(0, 0.0, "push", "a", "b", 0.0, 0.010, 20, 1, 1, 0, ("f",), None, b"\x90", True),
        MessageEvent(1, 0.010, "resolve", "b", "a", 0.010, 0.020, 20, 1, 1, None, (), 0, b"\x01", True),
        MessageEvent(2, 0.020, "push", "a", "b", 0.020, None, 20, 1, 2, 0, ("g",), None, b"\x90", True),
        MessageEvent(3, 5.0, "push", "a", "b", 5.0, 5.010, 20, 1, 3, 0, ("h",), None, b"\x90", True),
    ]
    svg = render_svg(events)
    [cut] = [g for g in ET.fromstring(svg).iter(SVG + "g") if "data-break-ms" in g.attrib]
    assert cut.find(SVG + "title").text == "axis break: 4,975 ms with nothing in flight (25–5,000 ms), not drawn to scale"
