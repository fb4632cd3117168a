"""The timed sequence diagram as one self-contained SVG document.

Lanes per worker, time flowing down on a labelled ms axis, one sloped arrow per message
(labelled with what it carries, a ``<title>`` tooltip with ids, bytes and the decoded payload),
flights of pipelined calls boxed, numbered round trips on the caller's lane, stub lifetimes,
the summary line on top and the advisor's tips below. Past ``max_arrows`` messages, arrows are
bundled (see ``svg_bundle.py``) so that even 10,000 messages draw in well under a second.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection

from ..trace.events import MessageEvent, NoteEvent
from .compact import Collapse, collapsed_rows, collapsible
from .flow import flow_panels
from .labels import colour, message_label, ms_text, role, tooltip
from .layout import LANE_GAP, Layout, layout, typical_latency
from .model import Diagram, build
from .svg_bundle import bundles
from .svg_parts import axis, brackets, breaks, faults, flights, lanes, legend, lifetimes
from .svgkit import FONT, INK, LEAK, MUTED, attr, esc, marker_id, markers, text
from .view import View, view_of

__all__ = ["render_svg"]

FADED = ' opacity="0.22"'


def _arrow(d: Diagram, lay: Layout, m: MessageEvent, until: float | None, faded: bool, label: tuple[str, int]) -> str:
    """One message's arrow from its send to its arrival, both at their times on the axis. Its
    label sits above it (bookkeeping words below), ``label[1]`` lines away from the arrow when
    other messages share it (see :func:`_labels`)."""
    x1, x2 = lay.x[m.sender], lay.x[m.receiver]
    y1 = lay.y(m.sent_at)
    lost = m.received_at is None
    arrived = not lost and (until is None or m.received_at <= until)  # type: ignore[operator]
    if lost:  # drawn half way, at the slope a typical message of the view has
        x2, y2 = (x1 + x2) / 2, y1 + max(typical_latency(d) / 2 * lay.scale, 12.0)
    else:
        y2 = lay.y(m.received_at)  # type: ignore[arg-type]
    if not arrived and not lost and until is not None:  # in flight: draw up to now
        assert m.received_at is not None
        f = (until - m.sent_at) / max(m.received_at - m.sent_at, 1e-12)
        x2, y2 = x1 + (x2 - x1) * f, y1 + (y2 - y1) * f
    kind = role(m)
    stroke = colour(kind)
    dash = {"release": "5 3", "pull": "2 3", "ack": "2 3"}.get(kind)
    width = 1.1 if not m.counted or m.kind == "pull" else 1.7
    if x1 == x2 and not lost:  # a message to itself: a small loop
        path = f"M {x1:.1f} {y1:.1f} h 36 V {y2:.1f} H {x1 + 2:.1f}"
        x2, mid_x, mid_y, angle = x1 + 36, x1 + 40, (y1 + y2) / 2, 0.0
    else:
        path = f"M {x1:.1f} {y1:.1f} L {x2:.1f} {y2:.1f}"
        # the label sits in the last gap before the receiver, so that long arrows crossing
        # other lanes do not put their words on top of a shorter arrow's
        span = abs(x2 - x1)
        f = 0.5 if span <= LANE_GAP * 1.2 else 1 - (LANE_GAP / 2) / span
        f += _STEP_ASIDE.get(kind, 0.0) * min(LANE_GAP / max(span, 1.0), 1.0)
        mid_x, mid_y = x1 + (x2 - x1) * f, y1 + (y2 - y1) * f
        angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
        if abs(angle) > 90:
            angle -= math.copysign(180, angle)
    head = f"url(#pg-{marker_id(stroke)})" if arrived else None
    words, level = label
    if words and until is None:
        words += d.after_end(m)
    weight = "600" if m.kind == "push" else None
    times = attr(data_t_send=ms_text((m.sent_at - lay.t0) * 1000),
                 data_t_arrive=None if lost else ms_text((m.received_at - lay.t0) * 1000))  # type: ignore[operator]
    parts = [
        f"<g {times}{FADED if faded else ''}><title>{esc(tooltip(d.view, m))}</title>",
        f"<path {attr(d=path, fill='none', stroke=stroke, stroke_width=width, stroke_dasharray=dash, marker_end=head)}/>",
    ]
    if lost:
        parts.append(text(x2, y2 + 5, "✕", size=14, fill=LEAK, anchor="middle", weight="700", halo=True))
    rotate = f'transform="rotate({angle:.1f} {mid_x:.1f} {mid_y:.1f})"'
    fill = INK if m.counted and m.kind != "pull" else MUTED
    size = 11 if m.counted else 10
    below = kind in _STEP_ASIDE
    y = mid_y + size + 1 + level * (size + 2) if below else mid_y - 4 - level * (size + 2)
    if words:
        parts.append(text(mid_x, y, words, size=size, fill=fill, anchor="middle", weight=weight, halo=True, extra=rotate))
    parts.append("</g>")
    return "".join(parts)


#: Bookkeeping words step aside along their arrow, below it: pulls towards the sender,
#: releases and acknowledgements towards the receiver (an ack crosses the next write mid-way).
_STEP_ASIDE = {"pull": -0.2, "release": 0.2, "ack": 0.25}


def _labels(d: Diagram) -> dict[int, tuple[str, int]]:
    """Each message's label and its line counted from the arrow, for messages that share one
    arrow (same ends, same times) and one place for their words: calls and results are stacked
    above it, first sent on top; bookkeeping below, first sent nearest. Equal words are said
    once, with a count (``write 32 KiB ×3``); the others get no label (an empty text)."""
    groups: dict[tuple[object, ...], dict[str, list[int]]] = {}
    for m in d.messages:
        kind = role(m)
        key = (m.sender, m.receiver, m.sent_at, m.received_at, kind in _STEP_ASIDE, _STEP_ASIDE.get(kind))
        groups.setdefault(key, {}).setdefault(message_label(d.view, m), []).append(m.seq)
    out: dict[int, tuple[str, int]] = {}
    for (*_, below, _), words in groups.items():
        for i, (label, seqs) in enumerate(words.items()):
            level = i if below else len(words) - 1 - i
            out[seqs[0]] = (label if len(seqs) == 1 else f"{label} ×{len(seqs)}", level)
            out.update((seq, ("", level)) for seq in seqs[1:])
    return out


def _end_line(lay: Layout, end: float) -> str:
    """A line at the end of what the summary counts, when messages still arrive after it."""
    y, ms = lay.y(end), ms_text((end - lay.t0) * 1000)
    return (
        f"<g {attr(data_end_ms=ms)}><title>{esc(f'the end: {ms} ms; what is drawn below it is not in the time')}</title>"
        f"<line {attr(x1=56.0, y1=y, x2=lay.width - 20, y2=y, stroke=MUTED, stroke_width=1.2, stroke_dasharray='8 3 2 3')}/>"
        + text(lay.width - 22, y - 4, f"end · {ms} ms", size=10, fill=MUTED, anchor="end", halo=True)
        + text(lay.width - 22, y + 12, "↓ not counted", size=10, fill=MUTED, anchor="end", halo=True)
        + "</g>"
    )


def _footer(d: Diagram, width: float, y: float) -> tuple[list[str], float]:
    out = []
    chars = max(int((width - 40) / 7.4), 40)
    notes = [e for e in d.view.events if type(e) is NoteEvent and e.level in ("warning", "error")]
    for note in notes[:6]:
        who = f"{note.worker}: " if note.worker else ""
        for i, line in enumerate(textwrap.wrap(f"⚠ {who}{note.text}", chars)):
            out.append(text(20 if i == 0 else 34, y, line, size=11.5, fill=LEAK, weight="600" if i == 0 else None))
            y += 16
    if len(notes) > 6:
        out.append(text(20, y, f"… and {len(notes) - 6} more warnings", size=11.5, fill=LEAK))
        y += 16
    amber: tuple[str, str | None] = ("#92400e", "600")
    paragraphs = [("Tip: ", str(a), amber) for a in d.advice] + [("", d.together, amber)] * bool(d.together)
    for prefix, words, (fill, weight) in paragraphs + [("Note: ", words, (INK, None)) for words in d.notes]:
        for i, line in enumerate(textwrap.wrap(words, chars)):
            out.append(text(20, y, (prefix if i == 0 else " " * len(prefix)) + line, size=11.5, fill=fill, weight=weight if i == 0 else None))
            y += 16
        y += 4
    key, rows = legend(y + 8, width, streams=any(m.kind == "stream" for m in d.view.messages))
    out.append(key)
    return out, y + 8 + 18 * rows


def _header(d: Diagram) -> str:
    s = d.summary
    saving = s.saving()
    out = (
        f"<text {attr(x=20, y=26, font_size=16, fill=INK, font_family=FONT)}>"
        f'<tspan font-weight="700">{esc(s.headline())}</tspan>'
        + (f'<tspan fill="#15803d" font-size="13" font-weight="600">   ({esc(saving)})</tspan>' if saving else "")
        + "</text>"
    )
    details = s.details()
    spans = []
    for i, part in enumerate(details):
        leak = i == len(details) - 1 and s.leaks > 0
        colour = f' fill="{LEAK}" font-weight="700"' if leak else ""
        spans.append(("" if i == 0 else " · ") + f"<tspan{colour}>{esc(part)}</tspan>")
    return out + f"<text {attr(x=20, y=44, font_size=12, fill=MUTED, font_family=FONT)}>{''.join(spans)}</text>"


def _place(d: Diagram, labels: dict[int, tuple[str, int]], max_arrows: int, compact: bool | None,
           scale: float | None = None, headroom: float | None = None) -> tuple[Layout, list[Collapse]]:
    """The layout of ``d`` and the runs of its streams collapsed into one row each."""
    rows = collapsible(d, compact) if len(d.messages) <= max_arrows else []
    lay = layout(d, max_arrows=max_arrows, headroom=_headroom(d, labels) if headroom is None else headroom, scale=scale,
                 collapsed=[(c.start, c.end) for c in rows])
    return lay, rows


def _headroom(d: Diagram, labels: dict[int, tuple[str, int]]) -> float:
    """Pixels to lower the first instant by, so that the words stacked over the first arrows
    do not reach the lanes' names."""
    first = [labels[m.seq][1] for m in d.messages if labels and m.sent_at == d.view.start and role(m) not in _STEP_ASIDE]
    return 13.0 * max(max(first, default=0) - 1, 0)


def natural_layout(d: Diagram, max_arrows: int = 300, compact: bool | None = None) -> Layout:
    """The layout :func:`render_svg` gives ``d`` by itself (its own scale and headroom)."""
    labels = _labels(d) if len(d.messages) <= max_arrows else {}
    return _place(d, labels, max_arrows, compact)[0]


def render_svg(
    source: object,
    *,
    until: float | None = None,
    highlight: Collection[int] | None = None,
    max_arrows: int = 300,
    diagram: Diagram | None = None,
    scale: float | None = None,
    headroom: float | None = None,
    compact: bool | None = None,
) -> str:
    """The SVG text of a trace (or recording, view, or list of events).

    ``until`` (virtual seconds) draws only what had happened by then, arrows in flight cut
    short; ``highlight`` is a set of message seqs to draw strongly while the others fade;
    past ``max_arrows`` messages arrows are bundled. ``scale`` (pixels per second) and
    ``headroom`` (pixels above the first instant) replace the computed ones, so that two
    diagrams put side by side share one time axis (see :func:`~playground.viz.compare.compare`).
    ``compact`` draws each long run of stream writes and acks as one row (``write 32 KiB ×28``):
    ``True`` every run of at least 5 writes, ``None`` (the default) runs of more than 24,
    ``False`` none (see ``compact.py``).
    """
    view: View = view_of(source)
    d = diagram or build(view)
    labels = _labels(d) if len(d.messages) <= max_arrows else {}
    lay, rows = _place(d, labels, max_arrows, compact, scale, headroom)
    hidden = frozenset().union(*(c.seqs for c in rows)) if rows else frozenset()
    s = d.summary
    headline, saving, details = s.headline(), s.saving(), " · ".join(s.details())
    width = lay.width = max(lay.width, 40 + 8.6 * len(headline) + 7 * len(saving), 40 + 6.4 * len(details), 600)
    body: list[str] = []
    body += axis(d, lay)
    body += lanes(d, lay)
    body += lifetimes(d, lay, until)
    body += brackets(d, lay, until)
    body += breaks(lay)
    body += faults(d, lay, until)
    if lay.bundled:
        body += bundles(d, lay, until)
    else:
        body += flights(d, lay, until)
        body += collapsed_rows(d, lay, [c for c in rows if until is None or c.start <= until])
        for m in d.messages:
            if (until is None or m.sent_at <= until) and m.seq not in hidden:
                faded = highlight is not None and m.seq not in highlight
                body.append(_arrow(d, lay, m, until, faded, labels[m.seq]))
    if until is None and lay.t1 > view.end:
        body.append(_end_line(lay, view.end))
    if until is not None:
        y = lay.y(until)
        body.append(f"<line {attr(x1=56.0, y1=y, x2=lay.width - 20, y2=y, stroke='#f59e0b', stroke_width=1.5, stroke_dasharray='6 3')}/>")
    below = lay.bottom + 24
    if view.stream_events:
        panels, below = flow_panels(view.stream_events, lay.t0, lay.t1, width, below)
        body += panels
    foot, height = _footer(d, width, below)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{esc(FONT)}">'
        f"{markers('pg-')}"
        f"<rect {attr(width='100%', height='100%', fill='#ffffff')}/>"
        + _header(d)
        + "".join(body)
        + "".join(foot)
        + "</svg>"
    )
