"""Bundled arrows for big traces: one arrow per (sender, receiver, time bucket).

Drawing 10,000 arrows gives neither a readable picture nor a fast one. Past the renderer's
``max_arrows``, messages are grouped into ``BUCKETS`` slices of time per direction; each group
is drawn as one arrow from its mean send time to its mean arrival, its width growing with the
log of its count, labelled ``×N`` and with a tooltip that breaks the group down by kind.
"""

from __future__ import annotations

import math
from collections import Counter

from .labels import colour, ms_text, role
from .layout import Layout
from .model import Diagram
from .svgkit import MUTED, attr, esc, text

__all__ = ["BUCKETS", "bundles"]

BUCKETS = 24
#: A bundle takes the colour of the first of these kinds it holds (calls before bookkeeping).
PRIORITY = ("push", "resolve", "reject", "chunk", "abort", "pull", "ack", "release")


class _Group:
    __slots__ = ("count", "bytes", "kinds", "sent", "received", "arrived", "first", "last")

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.kinds: Counter[str] = Counter()
        self.sent = 0.0
        self.received = 0.0
        self.arrived = 0
        self.first = math.inf
        self.last = -math.inf


def bundles(d: Diagram, lay: Layout, until: float | None) -> list[str]:
    """The bundled arrows, and a note saying how many messages they stand for."""
    span = max(lay.t1 - lay.t0, 1e-12)
    groups: dict[tuple[str, str, int], _Group] = {}
    for m in d.messages:
        if until is not None and m.sent_at > until:
            continue
        bucket = min(int((m.sent_at - lay.t0) / span * BUCKETS), BUCKETS - 1)
        g = groups.get((m.sender, m.receiver, bucket))
        if g is None:
            g = groups[(m.sender, m.receiver, bucket)] = _Group()
        g.count += 1
        g.bytes += m.size
        g.kinds[role(m)] += 1
        g.sent += m.sent_at
        if m.received_at is not None:
            g.received += m.received_at
            g.arrived += 1
        g.first = min(g.first, m.sent_at)
        g.last = max(g.last, m.sent_at)
    out = []
    order = {lane: i for i, lane in enumerate(lay.x)}
    for (sender, receiver, _), g in groups.items():
        sent = g.sent / g.count
        received = g.received / g.arrived if g.arrived else sent
        if until is not None:
            received = min(received, until)
        forward = order[sender] < order[receiver]
        shift = -5.0 if forward else 5.0  # the two directions side by side, not on top
        x1, x2 = lay.x[sender], lay.x[receiver]
        y1, y2 = lay.y(sent) + shift, lay.y(received) + shift
        kind = next((k for k in PRIORITY if k in g.kinds), g.kinds.most_common(1)[0][0])
        stroke = colour(kind)
        width = 1.2 + min(math.log2(g.count), 7.0) * 0.6
        kinds = ", ".join(f"{k} {n:,}" for k, n in g.kinds.most_common())
        tip = (
            f"{g.count:,} messages {sender} → {receiver}\n"
            f"sent {ms_text((g.first - lay.t0) * 1000)}–{ms_text((g.last - lay.t0) * 1000)} ms\n"
            f"{kinds}\n{g.bytes:,} bytes"
        )
        angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
        if abs(angle) > 90:
            angle -= math.copysign(180, angle)
        f = 0.3  # from each sender: the labels of the two directions stay apart too
        mx, my = x1 + (x2 - x1) * f, y1 + (y2 - y1) * f
        head = _head(x1, y1, x2, y2, stroke)
        out.append(
            f"<g><title>{esc(tip)}</title>"
            f"<line {attr(x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=width, stroke_opacity=0.6, stroke_linecap='round')}/>"
            + head
            + text(mx, my - width / 2 - 2, f"×{g.count:,}", size=10, fill=MUTED, anchor="middle", halo=True,
                   extra=f'transform="rotate({angle:.1f} {mx:.1f} {my:.1f})"')
            + "</g>"
        )
    note = f"{len(d.messages):,} messages bundled into {len(groups):,} arrows (hover one for its breakdown)"
    out.append(text(20, lay.bottom + 6, note, size=11, fill=MUTED))
    return out


def _head(x1: float, y1: float, x2: float, y2: float, fill: str) -> str:
    """A fixed-size arrowhead at (x2, y2), whatever the line's width."""
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    bx, by = x2 - 9 * ux, y2 - 9 * uy
    points = f"{x2:.1f},{y2:.1f} {bx - 4 * uy:.1f},{by + 4 * ux:.1f} {bx + 4 * uy:.1f},{by - 4 * ux:.1f}"
    return f'<polygon points="{points}" fill="{fill}"/>'
