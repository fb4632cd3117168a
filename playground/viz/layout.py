"""Where things go: lane x positions and a time axis that flows down.

Theory of operation. Time maps to y linearly (``scale`` pixels per second), except that several
things happening on one lane at the same instant (three messages leaving in one flight, say)
need a row each, ``gap`` pixels apart. So the axis is a list of *bands*: each distinct instant
gets as many rows as its busiest lane needs, and the span between two instants is
``max(dt * scale, gap)``. The warp is monotonic and global, so parallel messages stay parallel,
slopes still show latency, and the ms ticks are placed through the same warp.

Beyond ``max_arrows`` messages the diagram is *bundled*: no rows, a plain linear axis, and the
renderer draws one arrow per (sender, receiver, time bucket).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .chart import nice_ticks
from .model import Diagram

__all__ = ["Layout", "layout"]

TOP = 104
LEFT = 76
LANE_GAP = 250
GAP = 17.0


@dataclass(slots=True)
class Layout:
    """Positions for a diagram: lane x, and y for any time (or message end)."""

    x: dict[str, float]
    times: list[float]
    band_top: list[float]
    band_rows: list[int]
    ends: dict[tuple[int, str], float]
    scale: float
    bottom: float
    width: float
    bundled: bool
    t0: float
    t1: float

    def y(self, t: float) -> float:
        """The y of time ``t``: the top of its band if it is an instant with events."""
        times = self.times
        if not times:
            return TOP
        i = bisect.bisect_right(times, t) - 1
        if i < 0:
            return self.band_top[0] - (times[0] - t) * self.scale
        top = self.band_top[i]
        if times[i] == t or i + 1 == len(times):
            extra = (t - times[i]) * self.scale
            return top + (self.band_rows[i] - 1) * GAP * (t > times[i]) + extra
        low = top + (self.band_rows[i] - 1) * GAP
        high = self.band_top[i + 1]
        return low + (t - times[i]) / (times[i + 1] - times[i]) * (high - low)

    def y_end(self, t: float) -> float:
        """The y of the last row of time ``t``'s band."""
        i = bisect.bisect_left(self.times, t)
        if i < len(self.times) and self.times[i] == t:
            return self.band_top[i] + (self.band_rows[i] - 1) * GAP
        return self.y(t)

    def at(self, seq: int, end: str, t: float) -> float:
        """The y of a message's ``"send"`` or ``"receive"`` end (its own row when stacked)."""
        return self.ends.get((seq, end), self.y(t))


def layout(d: Diagram, *, max_arrows: int = 300) -> Layout:
    """Place ``d``: one lane every ``LANE_GAP`` pixels, time flowing down from ``TOP``."""
    x = {lane: float(LEFT + 70 + i * LANE_GAP) for i, lane in enumerate(d.lanes)}
    width = LEFT + 70 + max(len(d.lanes) - 1, 0) * LANE_GAP + 190
    view = d.view
    t0 = view.start
    last = max((m.received_at or m.sent_at for m in d.messages), default=t0)
    t1 = max(view.end, last, t0)
    span = max(t1 - t0, 1e-9)
    bundled = len(d.messages) > max_arrows
    if bundled:
        scale = 640 / span
        return Layout(x, [t0], [float(TOP)], [1], {}, scale, TOP + 640 + 24, width, True, t0, t1)
    # rows: on each (instant, lane), arrivals first then departures, each in log order
    slots: dict[tuple[float, str], list[tuple[int, int, str]]] = {}
    for m in d.messages:
        slots.setdefault((m.sent_at, m.sender), []).append((1, m.seq, "send"))
        if m.received_at is not None:
            slots.setdefault((m.received_at, m.receiver), []).append((0, m.seq, "receive"))
    for life in d.lifetimes:
        for t in (life.start, life.end):
            if t is not None:
                slots.setdefault((t, life.owner), [])
    rows_at: dict[float, int] = {t0: 1, t1: 1}
    for (t, _), items in slots.items():
        rows_at[t] = max(rows_at.get(t, 1), len(items))
    times = sorted(rows_at)
    scale = min(max(440 / span, 1e-6), 2.6 / 0.001)  # at most 2.6 px per ms
    tops: list[float] = []
    y = float(TOP)
    for i, t in enumerate(times):
        if i:
            y += (rows_at[times[i - 1]] - 1) * GAP + max((t - times[i - 1]) * scale, GAP)
        tops.append(y)
    rows = [rows_at[t] for t in times]
    index = {t: i for i, t in enumerate(times)}
    ends: dict[tuple[int, str], float] = {}
    for (t, _), items in slots.items():
        for row, (_, seq, end) in enumerate(sorted(items)):
            ends[(seq, end)] = tops[index[t]] + row * GAP
    bottom = tops[-1] + (rows[-1] - 1) * GAP + 30
    return Layout(x, times, tops, rows, ends, scale, bottom, width, False, t0, t1)


def time_ticks(t0: float, t1: float, count: int = 8) -> list[float]:
    """About ``count`` times from ``t0`` to ``t1`` at round distances *from ``t0``* (the axis
    labels times relative to the start of what it shows, which need not be a round time)."""
    span_ms = max((t1 - t0) * 1000, 1e-6)
    return [t0 + v / 1000 for v in nice_ticks(0, span_ms, count) if v <= span_ms * (1 + 1e-9)]
