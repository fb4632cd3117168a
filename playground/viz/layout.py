"""Where things go: lane x positions and a linear time axis that flows down.

Theory of operation. Time maps to y on one linear scale: ``y = top + (t - t0) * scale``, so
every event is drawn at its time, a slope is a latency, and equal times are equal distances.
Things that happen at the same instant share their y; the renderer tells them apart another way
(labels stacked beside arrows that coincide, a box around a flight of calls).

The one exception is a long idle stretch: a gap between two instants in which no message is in
flight, that would take more than ``BREAK_MIN`` pixels, is cut out of the axis and drawn as a
*break*, ``BREAK`` pixels tall, marked with a zigzag and labelled with the time it stands for.
Every stretch between breaks has the same scale; time runs on across a break (its labels keep
counting from the start).

The scale gives the drawn time about ``22`` pixels per distinct instant (at least 440, at most
1,600 pixels in all) and never more than ``MAX_SCALE``. Beyond ``max_arrows`` messages the
diagram is *bundled*: the renderer draws one arrow per (sender, receiver, time bucket).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from .model import Diagram

__all__ = ["Layout", "layout", "typical_latency"]

TOP = 104
LEFT = 76
LANE_GAP = 250
#: Pixels per second at most (2.6 px per ms: a 25 ms hop is 65 px).
MAX_SCALE = 2600.0
#: Height of an axis break, and the least an idle gap must take to be cut (pixels).
BREAK, BREAK_MIN = 44.0, 200.0
#: Height of a collapsed run of stream writes (see ``compact.py``): cut out like a break.
COLLAPSE = 72.0
#: Least pixels between two grid lines.
GRID_MIN = 26.0


@dataclass(slots=True)
class Layout:
    """Positions for a diagram: lane x, and y for any time."""

    x: dict[str, float]
    scale: float  # pixels per second
    bottom: float
    width: float
    bundled: bool
    t0: float
    t1: float
    breaks: list[tuple[float, float]] = field(default_factory=list)  # idle gaps cut out, in order
    top: float = TOP  # the y of t0
    collapsed: frozenset[tuple[float, float]] = frozenset()  # breaks that are collapsed stream runs

    def y(self, t: float) -> float:
        """The y of time ``t``: ``top + (t - t0) * scale``, less what the breaks before ``t`` cut
        out (a time inside a break is placed proportionally across it)."""
        scale = self.scale
        y = self.top + (t - self.t0) * scale
        for a, b in self.breaks:
            if t <= a:
                break
            tall = COLLAPSE if self.collapsed and (a, b) in self.collapsed else BREAK
            if t >= b:
                y -= (b - a) * scale - tall
            else:
                y -= (t - a) * scale - (t - a) / (b - a) * tall
        return y

    def stretches(self) -> list[tuple[float, float]]:
        """The spans of time drawn at the one scale: from ``t0`` to ``t1`` between the breaks."""
        out, start = [], self.t0
        for a, b in self.breaks:
            out.append((start, a))
            start = b
        out.append((start, self.t1))
        return out

    def ticks(self, instants: list[float]) -> list[float]:
        """Grid times: equal steps counted from ``t0``, in every stretch between breaks.

        The step is the largest common step of ``instants`` (25 ms when everything happens at
        multiples of a 25 ms latency) when its lines fall at least ``GRID_MIN`` pixels apart and
        are not too many; otherwise 1, 2 or 5 times a power of ten ms, ``GRID_MIN`` px apart."""
        step = _step(self, instants)
        out = []
        for a, b in self.stretches():
            k = math.ceil(round((a - self.t0) / step, 9))
            while True:
                t = self.t0 + k * step
                if t > b + step * 1e-9:
                    break
                out.append(t)
                k += 1
        return out


def _step(lay: Layout, instants: list[float]) -> float:
    """The grid step in seconds (see :meth:`Layout.ticks`)."""
    us = [round((t - lay.t0) * 1e6) for t in instants]
    common = 0
    for v in us:
        common = math.gcd(common, v)
    drawn = sum(b - a for a, b in lay.stretches())
    if common and common * 1e-6 * lay.scale >= GRID_MIN and drawn / (common * 1e-6) <= 24:
        return common * 1e-6
    least = GRID_MIN / max(lay.scale, 1e-12)  # seconds
    power = 10 ** math.floor(math.log10(least))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= least * (1 - 1e-9))


def typical_latency(d: Diagram) -> float:
    """The median latency of the view's delivered messages (for drawing lost ones)."""
    cached = d.view.memo.get("typical_latency")
    if cached is None:
        latencies = sorted(m.received_at - m.sent_at for m in d.messages if m.received_at is not None)
        cached = d.view.memo["typical_latency"] = latencies[len(latencies) // 2] if latencies else 0.0
    return cached  # type: ignore[return-value]


def _idle_gaps(d: Diagram, t0: float, t1: float) -> list[tuple[float, float]]:
    """Gaps between consecutive instants (anything drawn) with no message in flight."""
    times = {t0, t1}
    flights: list[tuple[float, float]] = []
    for e in d.view.events:
        times.add(e.at)
    lost = typical_latency(d) / 2  # a lost message is drawn half way, at a typical slope
    for m in d.messages:
        times.add(m.sent_at)
        end = m.received_at if m.received_at is not None else m.sent_at + lost
        times.add(end)
        flights.append((m.sent_at, end))
    instants = sorted(t for t in times if t0 <= t <= t1)
    flights.sort()
    starts = [a for a, _ in flights]
    # the latest arrival among messages sent at or before each instant: a gap is idle when
    # everything sent before it has arrived by its start
    reach: list[float] = []
    latest = -math.inf
    for _, b in flights:
        latest = max(latest, b)
        reach.append(latest)
    gaps = []
    for a, b in zip(instants, instants[1:]):
        i = bisect.bisect_right(starts, a) - 1  # messages sent at or before a
        if i < 0 or reach[i] <= a:
            gaps.append((a, b))
    return gaps


def layout(
    d: Diagram,
    *,
    max_arrows: int = 300,
    headroom: float = 0.0,
    scale: float | None = None,
    collapsed: list[tuple[float, float]] | None = None,
) -> Layout:
    """Place ``d``: one lane every ``LANE_GAP`` pixels, time flowing down from ``TOP`` (lower
    by ``headroom`` pixels, for the words of the first arrows). ``scale`` (pixels per second)
    replaces the computed one: two diagrams drawn at one scale compare by their heights.
    ``collapsed`` spans of time are cut out like breaks, ``COLLAPSE`` pixels tall each (the
    collapsed runs of a long stream, see ``compact.py``)."""
    x = {lane: float(LEFT + 70 + i * LANE_GAP) for i, lane in enumerate(d.lanes)}
    width = LEFT + 70 + max(len(d.lanes) - 1, 0) * LANE_GAP + 190
    view = d.view
    t0 = view.start
    last = max((m.received_at or m.sent_at for m in d.messages), default=t0)
    t1 = max(view.end, last, t0)
    span = max(t1 - t0, 1e-9)
    if len(d.messages) > max_arrows:
        scale = scale or 640 / span
        return Layout(x, scale, TOP + span * scale + 24, width, True, t0, t1)
    cut = collapsed or []
    gaps = _idle_gaps(d, t0, t1)
    instants = {t0, t1} | {m.sent_at for m in d.messages} | {m.received_at for m in d.messages if m.received_at is not None}
    if cut:
        gaps = [(a, b) for a, b in gaps if not any(c <= a and b <= e for c, e in cut)]
        instants = {t for t in instants if not any(c < t < e for c, e in cut)}
        gaps += cut
    height = min(max(440.0, 22.0 * len(instants)), 1600.0)
    busy = max(span - sum(b - a for a, b in gaps), 1e-9)
    fixed = scale
    scale = fixed or min(height / busy, MAX_SCALE)
    breaks = sorted((a, b) for a, b in gaps if (b - a) * scale > BREAK_MIN or (a, b) in cut)
    drawn = max(span - sum(b - a for a, b in breaks), 1e-9)
    scale = fixed or min(height / drawn, MAX_SCALE)
    lay = Layout(x, scale, 0.0, width, False, t0, t1, breaks, TOP + headroom, frozenset(cut))
    lay.bottom = lay.y(t1) + 30
    return lay
