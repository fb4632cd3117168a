"""The pieces drawn around the arrows: lanes and axis, round-trip brackets, stub lifetimes,
flights. Each function returns SVG text; ``until`` (seconds) hides what had not happened yet."""

from __future__ import annotations

from ..trace.events import FaultEvent
from .labels import COLOURS, ms_text, stub_tooltip, where_text
from .layout import Layout
from .model import Diagram, Lifetime
from .svgkit import BRACKET, FLIGHT, GRID, LEAK, MONO, MUTED, attr, esc, text

__all__ = ["axis", "brackets", "breaks", "faults", "flights", "lanes", "legend", "lifetimes"]

STUB_FILL, STUB_EDGE = "#ddd6fe", "#7c3aed"
PROMISE_FILL, PROMISE_EDGE = "#f5f3ff", "#a78bfa"
MAX_COLUMNS = 6


def lanes(d: Diagram, lay: Layout) -> list[str]:
    """A header box and a dashed line down for every worker."""
    out = []
    for lane, x in lay.x.items():
        w = max(90, 8 * len(lane) + 24)
        out.append(
            f"<line {attr(x1=x, y1=lay.top - 22, x2=x, y2=lay.bottom, stroke='#cbd5e1', stroke_width=1.2, stroke_dasharray='5 4')}/>"
            f"<rect {attr(x=x - w / 2, y=lay.top - 52, width=w, height=28, rx=6, fill='#f1f5f9', stroke='#94a3b8')}/>"
            + text(x, lay.top - 33.5, lane, size=13, anchor="middle", weight="600")
        )
    return out


def axis(d: Diagram, lay: Layout) -> list[str]:
    """Grid lines at equal steps of time (in every stretch between breaks), with ms labels on
    the left.

    The group carries the axis for tools and tests: ``data-top`` is the y of ``t0``,
    ``data-px-per-ms`` the scale; each grid line has its ``data-ms``."""
    instants = [m.sent_at for m in d.messages] + [m.received_at for m in d.messages if m.received_at is not None]
    out = [f"<g {attr(data_top=lay.top, data_px_per_ms=f'{lay.scale / 1000:.6g}')}>"]
    ticks = [(lay.y(t), ms_text((t - lay.t0) * 1000)) for t in lay.ticks(instants)]
    right = max([50.0] + [4 + 6.1 * len(f"{ms} ms") for _, ms in ticks])  # long labels stay on the page
    for y, ms in ticks:
        out.append(f"<line {attr(x1=right + 6, y1=y, x2=lay.width - 20, y2=y, stroke=GRID, stroke_width=1, data_ms=ms)}/>")
        out.append(text(right, y + 4, f"{ms} ms", size=10, fill=MUTED, anchor="end", family=MONO))
    out.append("</g>")
    return out


def breaks(lay: Layout) -> list[str]:
    """A zigzag across the diagram at each break of the time axis (an idle stretch cut out),
    labelled with the time it stands for; drawn over the lanes and bars it interrupts."""
    out = []
    for a, b in lay.breaks:
        if (a, b) in lay.collapsed:
            continue  # a collapsed run of a stream: drawn by compact.collapsed_rows
        y1, y2 = lay.y(a), lay.y(b)
        mid = (y1 + y2) / 2
        zig = " ".join(f"L {x:.0f} {mid + (4 if i % 2 else -4):.1f}" for i, x in enumerate(range(36, int(lay.width) - 10, 12)))
        what = f"axis break: {ms_text((b - a) * 1000)} ms with nothing in flight ({ms_text((a - lay.t0) * 1000)}–{ms_text((b - lay.t0) * 1000)} ms), not drawn to scale"
        out.append(
            f"<g {attr(data_break_ms=ms_text((b - a) * 1000))}><title>{esc(what)}</title>"
            f"<rect {attr(x=20.0, y=y1 + 6, width=lay.width - 30, height=max(y2 - y1 - 12, 1.0), fill='#ffffff')}/>"
            f"<path {attr(d=f'M 24 {mid:.1f} ' + zig, fill='none', stroke=MUTED, stroke_width=1.2)}/>"
            + text(lay.width / 2, mid - 7, f"⋯ {ms_text((b - a) * 1000)} ms with nothing in flight, cut out ⋯", size=10.5, fill=MUTED, anchor="middle", halo=True)
            + "</g>"
        )
    return out


def brackets(d: Diagram, lay: Layout, until: float | None) -> list[str]:
    """A numbered bracket per round trip of the critical path, on its caller's lane (past 60,
    one bracket for them all, its count written along it)."""
    if len(d.brackets) > 60:
        return [_all_brackets(d, lay, until)]
    out = []
    for b in d.brackets:
        if until is not None and b.start > until:
            continue
        x = lay.x[b.lane] - 22
        end = b.end if until is None else min(b.end, until)
        y1, y2 = lay.y(b.start), lay.y(end)
        tip = f"round trip {b.number}: {ms_text((b.start - lay.t0) * 1000)}–{ms_text((b.end - lay.t0) * 1000)} ms"
        out.append(
            f"<g><title>{esc(tip)}</title>"
            f"<path {attr(d=f'M {x + 6:.1f} {y1 + 1:.1f} H {x:.1f} V {y2 - 1:.1f} H {x + 6:.1f}', fill='none', stroke=BRACKET, stroke_width=2)}/>"
            f"<circle {attr(cx=x - 10, cy=(y1 + y2) / 2, r=9 if b.number < 100 else 12, fill=BRACKET)}/>"
            + text(x - 10, (y1 + y2) / 2 + 3.8, str(b.number), size=10.5, fill="#fff", anchor="middle", weight="700")
            + "</g>"
        )
    return out


def _all_brackets(d: Diagram, lay: Layout, until: float | None) -> str:
    first, last = d.brackets[0], d.brackets[-1]
    x = lay.x[first.lane] - 22
    end = last.end if until is None else min(last.end, until)
    y1, y2 = lay.y(first.start), lay.y(end)
    label = f"{len(d.brackets):,} round trips"
    mid = (y1 + y2) / 2
    return (
        f"<g><title>{esc(label)}, one after another</title>"
        f"<path {attr(d=f'M {x + 6:.1f} {y1:.1f} H {x:.1f} V {y2:.1f} H {x + 6:.1f}', fill='none', stroke=BRACKET, stroke_width=2)}/>"
        + text(x - 8, mid, label, size=11, fill=BRACKET, anchor="middle", weight="700", halo=True,
               extra=f'transform="rotate(-90 {x - 8:.1f} {mid:.1f})"')
        + "</g>"
    )


def _columns(lives: list[Lifetime], end: float) -> dict[int, int]:
    """Greedy columns so that overlapping lifetimes on one lane sit side by side."""
    free_at: list[float] = []
    col: dict[int, int] = {}
    for life in sorted(lives, key=lambda l: l.start):
        stop = life.end if life.end is not None else end + 1
        for i, t in enumerate(free_at):
            if t <= life.start:
                free_at[i] = stop
                col[life.stub] = i
                break
        else:
            free_at.append(stop)
            col[life.stub] = min(len(free_at) - 1, MAX_COLUMNS - 1)
    return col


def lifetimes(d: Diagram, lay: Layout, until: float | None, limit: int = 400) -> list[str]:
    """A bar per stub from creation to its end; still-alive stubs open and red, with their line."""
    out: list[str] = []
    by_lane: dict[str, list[Lifetime]] = {}
    lives = d.lifetimes if len(d.lifetimes) <= limit else [l for l in d.lifetimes if l.alive][:limit]
    for life in lives:
        if life.owner in lay.x and (until is None or life.start <= until):
            by_lane.setdefault(life.owner, []).append(life)
    labels = 0
    for lane, lives_here in by_lane.items():
        cols = _columns(lives_here, lay.t1)
        for life in lives_here:
            x = lay.x[lane] + 5 + cols[life.stub] * 9
            y1 = lay.y(life.start)
            ended = life.end is not None and (until is None or life.end <= until)
            y2 = lay.y(life.end) if ended and life.end is not None else (lay.y(until) if until is not None else lay.bottom - 8)
            promise = life.kind == "promise"
            leak = life.alive and until is None
            fill, edge = (("#fecaca", LEAK) if leak else (PROMISE_FILL, PROMISE_EDGE) if promise else (STUB_FILL, STUB_EDGE))
            tip = stub_tooltip(life.events[0], life.events[1:], life.alive)
            parts = [f"<g><title>{esc(tip)}</title>"]
            parts.append(f"<rect {attr(x=x, y=y1, width=6, height=max(y2 - y1, 2), fill=fill, stroke='none')}/>")
            side = f"M {x:.1f} {y2:.1f} V {y1:.1f} H {x + 6:.1f} V {y2:.1f}"
            parts.append(f"<path {attr(d=side if not ended else side + ' Z', fill='none', stroke=edge, stroke_width=1, stroke_dasharray='3 2' if promise and not leak else None)}/>")
            for t, action in life.marks:
                if until is None or t <= until:
                    ym = lay.y(t)
                    parts.append(f"<line {attr(x1=x - 2, y1=ym, x2=x + 8, y2=ym, stroke=edge, stroke_width=2)}/>")
            if leak and labels < 12:
                labels += 1
                note = f"stub #{life.stub} alive · made at {where_text(life.where)}"
                parts.append(text(x + 10, y2 - 4 - 13 * (labels - 1), note, size=10.5, fill=LEAK, weight="600", halo=True))
            parts.append("</g>")
            out.append("".join(parts))
    return out


def flights(d: Diagram, lay: Layout, until: float | None) -> list[str]:
    """A soft box around messages that left together, pipelined, with how many calls it held."""
    out = []
    for f in d.flights:
        if until is not None and f.at > until:
            continue
        x, y = lay.x[f.lane], lay.y(f.at)
        top, bottom = y - 7, y + 7
        out.append(
            f"<g><title>{esc(f'flight {f.number}: {f.calls} calls sent together, before any answer came back')}</title>"
            f"<rect {attr(x=x - 9, y=top, width=18, height=bottom - top, rx=7, fill=FLIGHT, fill_opacity=0.10, stroke=FLIGHT, stroke_width=1.2, stroke_dasharray='3 2')}/>"
            + text(x + 12, top - 1, f"⇉ {f.calls} calls in one flight", size=10, fill=FLIGHT, weight="600", halo=True)
            + "</g>"
        )
    return out


def legend(y: float, width: float, streams: bool = False) -> tuple[str, int]:
    """Colour key for message kinds, bars and brackets; wraps to a second row when narrow.
    Returns the SVG and the number of rows."""
    items: list[tuple[str, str, float]] = []
    kinds = ("push", "pull", "resolve", "reject", "release") + (("chunk", "ack") if streams else ())
    for name in kinds:
        colour = COLOURS[name]
        mark = f"<line {attr(x1=0.0, y1=-4.0, x2=22.0, y2=-4.0, stroke=colour, stroke_width=2.5)}/>"
        items.append((mark, name, 27.0))
    for label, fill, edge in (("stub", STUB_FILL, STUB_EDGE), ("alive at the end", "#fecaca", LEAK)):
        items.append((f"<rect {attr(x=0.0, y=-10.0, width=6, height=12, fill=fill, stroke=edge)}/>", label, 11.0))
    bracket = f"<path {attr(d='M 6 -10 H 0 V 2 H 6', fill='none', stroke=BRACKET, stroke_width=2)}/>"
    items.append((bracket, "round trip", 11.0))
    out, x, rows = [], 20.0, 1
    for mark, label, indent in items:
        w = indent + 6.4 * len(label) + 22
        if x + w > width - 10:
            x, y, rows = 20.0, y + 18, rows + 1
        out.append(f'<g transform="translate({x:.1f} {y:.1f})">{mark}' + text(indent, 0, label, size=10.5, fill=MUTED) + "</g>")
        x += w
    return "".join(out), rows


def faults(d: Diagram, lay: Layout, until: float | None) -> list[str]:
    """A red mark across the lanes a fault touched: a crash, a link cut or restored; and a short
    red stub of an arrow where a call failed at once, sending nothing."""
    out = []
    for e in d.view.events:
        if type(e) is not FaultEvent or e.action == "lost" or (until is not None and e.at > until):
            continue
        if e.action == "failed":
            continue
        lanes_hit = [n for n in (e.a, e.b) if n is not None and n in lay.x]
        if not lanes_hit:
            continue
        y = lay.y(e.at)
        xs = [lay.x[n] for n in lanes_hit]
        x1, x2 = min(xs) - 14, max(xs) + 14
        colour = "#16a34a" if e.action == "reconnect" else LEAK
        what = f"{e.action} {' – '.join(lanes_hit)}" + (f": {e.detail}" if e.detail else "")
        out.append(
            f"<g><title>{esc(what)} at {ms_text((e.at - lay.t0) * 1000)} ms</title>"
            f"<line {attr(x1=x1, y1=y, x2=x2, y2=y, stroke=colour, stroke_width=2.5, stroke_dasharray='2 3')}/>"
            + text(x2 + 4, y + 4, "⚡ " + e.action, size=10.5, fill=colour, weight="700", halo=True)
            + "</g>"
        )
    out += [_failed(e, lay) for e in d.failed if e.a in lay.x and (until is None or e.at <= until)]
    return out


def _failed(e: FaultEvent, lay: Layout) -> str:
    """A call that failed before anything was sent: a short red stub of an arrow at its caller's
    lane at that time, ``✗`` and the error's name above it (clear of the words of an arrow that
    leaves at the same time)."""
    x, y = lay.x[e.a], lay.y(e.at)
    name = e.detail.split(":", 1)[0] or "error"
    what = f"a call from {e.a} failed at once, sending nothing: {e.detail} (at {ms_text((e.at - lay.t0) * 1000)} ms)"
    return (
        f"<g {attr(data_t_failed=ms_text((e.at - lay.t0) * 1000))}><title>{esc(what)}</title>"
        f"<line {attr(x1=x, y1=y, x2=x + 34, y2=y, stroke=LEAK, stroke_width=2)}/>"
        + text(x + 4, y - 5, f"✗ {name}", size=11, fill=LEAK, weight="700", halo=True)
        + "</g>"
    )
