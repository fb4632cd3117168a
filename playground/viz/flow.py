"""Flow control, per stream: bytes in flight against the window over time, stalls shaded.

Drawn from :class:`~playground.trace.StreamEvent` alone, as a strip under the sequence diagram
(one per stream): time runs left to right over the same span as the diagram; the purple area
is unacknowledged bytes in flight, the dashed line the window, and a solid red bar over the
strip the times the writer waited (``stall`` events, from ``since`` to ``at``); a key under
the strip shows each of them. A stream with no stalls is one whose window covered the
bandwidth-delay product.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..trace.events import StreamEvent
from .labels import ms_text, size_text
from .svgkit import LEAK, MUTED, attr, esc, text

__all__ = ["StreamStory", "flow_panels", "streams"]

HEIGHT = 112
CHUNK = "#9333ea"
WINDOW = "#374151"


@dataclass(slots=True)
class StreamStory:
    """One stream's flow-control history."""

    stream: int
    sender: str
    receiver: str
    points: list[tuple[float, int, int]] = field(default_factory=list)  # (at, in_flight, window)
    stalls: list[tuple[float, float]] = field(default_factory=list)
    sent: int = 0
    chunks: int = 0
    ended: str = ""

    @property
    def stalled(self) -> float:
        """Seconds the writer spent waiting for the window."""
        return sum(b - a for a, b in self.stalls)


def streams(events: list[StreamEvent]) -> list[StreamStory]:
    """Group stream events by stream, in order of first appearance."""
    stories: dict[int, StreamStory] = {}
    for e in events:
        s = stories.get(e.stream)
        if s is None:
            s = stories[e.stream] = StreamStory(e.stream, e.sender, e.receiver)
        s.points.append((e.at, e.in_flight, e.window))
        if e.action == "chunk":
            s.sent += e.size
            s.chunks += 1
        elif e.action == "stall":
            s.stalls.append((e.since if e.since is not None else e.at, e.at))
        elif e.action in ("close", "error"):
            s.ended = e.action
    return list(stories.values())


def flow_panels(events: list[StreamEvent], t0: float, t1: float, width: float, y: float) -> tuple[list[str], float]:
    """SVG for every stream's strip starting at ``y``; returns the parts and the y after them."""
    out: list[str] = []
    span = max(t1 - t0, 1e-12)
    left, right = 76.0, width - 30
    for s in streams(events):
        if not (s.chunks or s.stalls or s.ended == "error"):
            continue  # only the end of a stream drawn in an earlier cell: nothing to show here
        top, bottom = y + 28, y + HEIGHT - 24
        peak = max([max(p[1], p[2]) for p in s.points] + [1])

        def px(t: float) -> float:
            return left + (t - t0) / span * (right - left)

        def py(v: float) -> float:
            return bottom - v / peak * (bottom - top)

        stalled = f" · stalled {ms_text(s.stalled * 1000)} ms" if s.stalls else " · never stalled"
        title = f"stream {s.stream}: {s.sender} → {s.receiver} · {size_text(s.sent)} in {s.chunks:,} chunks{stalled}"
        out.append(text(20, y + 12, title, size=11.5, weight="600"))
        out.append(f"<rect {attr(x=left, y=top, width=right - left, height=bottom - top, fill='#fafafa', stroke='#e5e7eb')}/>")
        for a, b in s.stalls:  # a solid red bar over the strip: red on white, not pink on purple
            tip = f"writer waited {ms_text((b - a) * 1000)} ms ({ms_text((a - t0) * 1000)}–{ms_text((b - t0) * 1000)} ms)"
            out.append(
                f"<g><title>{esc(tip)}</title><rect {attr(x=px(a), y=top - 7, width=max(px(b) - px(a), 1.0), height=5, fill=LEAK)}/></g>"
            )
        area = [f"M {px(s.points[0][0]):.1f} {bottom:.1f}"]
        line: list[str] = []
        last_f, last_w = 0, s.points[0][2]
        for at, in_flight, window in s.points:
            area.append(f"L {px(at):.1f} {py(last_f):.1f} L {px(at):.1f} {py(in_flight):.1f}")
            line.append(f"{'M' if not line else 'L'} {px(at):.1f} {py(last_w):.1f} L {px(at):.1f} {py(window):.1f}")
            last_f, last_w = in_flight, window
        area.append(f"L {px(s.points[-1][0]):.1f} {bottom:.1f} Z")
        out.append(f"<path {attr(d=' '.join(area), fill=CHUNK, fill_opacity=0.22, stroke=CHUNK, stroke_width=1.2)}/>")
        out.append(f"<path {attr(d=' '.join(line), fill='none', stroke=WINDOW, stroke_width=1.2, stroke_dasharray='5 3')}/>")
        out.append(text(left - 6, top + 8, size_text(peak), size=9.5, fill=MUTED, anchor="end"))
        out += _key(left, bottom + 16)
        y += HEIGHT + 14
    return out, y


def _key(x: float, y: float) -> list[str]:
    """The strip's key, each word beside a sample of what it names, in its colour."""
    out = []
    for sample, words in (
        (f"<rect {attr(x=0.0, y=-9.0, width=14, height=10, fill=CHUNK, fill_opacity=0.22, stroke=CHUNK)}/>", "bytes in flight"),
        (f"<line {attr(x1=0.0, y1=-4.0, x2=14.0, y2=-4.0, stroke=WINDOW, stroke_width=1.2, stroke_dasharray='5 3')}/>", "window"),
        (f"<rect {attr(x=0.0, y=-7.0, width=14, height=5, fill=LEAK)}/>", "writer stalled"),
    ):
        out.append(f'<g transform="translate({x:.1f} {y:.1f})">{sample}' + text(19, 0, words, size=9.5, fill=MUTED) + "</g>")
        x += 19 + 5.8 * len(words) + 16
    return out
