"""Long streams drawn compactly: a steady run of stream writes and their acks drawn as one row.

A stream of many chunks repeats one pattern: ``write 32 KiB`` one way, ``ack`` the other, again
and again, each a row of the diagram. :func:`collapsible` finds each *run* of such messages
(consecutive messages, each a write of the same size or an ack, nothing else in between) and
keeps its first and last writes drawn as they are; what lies between, from the send of the
second write to the send of the last, is cut out of the time axis like an idle break and drawn as
one row, ``COLLAPSE`` pixels tall: one arrow each way, labelled with the count
(``write 32 KiB ×28``, ``ack ×28``), a tooltip with the time and bytes it stands for.

``compact=True`` collapses every run of at least ``MIN_RUN`` (5) writes; ``compact=None`` (the
default) only runs of more than ``AUTO_RUN`` (24) writes, whose rows would make the diagram
thousands of pixels tall; ``compact=False`` none. At least 3 writes go into a row. The summary, the brackets and the axis labels still count every message and every
millisecond: time runs on across the row, as across a break.
"""

from __future__ import annotations

from dataclasses import dataclass

from .labels import colour, message_label, ms_text, role, size_text
from .layout import COLLAPSE, Layout
from .model import Diagram
from .svgkit import MUTED, attr, esc, marker_id, text

__all__ = ["AUTO_RUN", "COLLAPSE", "Collapse", "MIN_RUN", "collapsible", "collapsed_rows"]

#: Writes a run must have to be collapsed on request (``compact=True``), and more than which
#: it is collapsed by default (``compact=None``).
MIN_RUN, AUTO_RUN = 5, 24


@dataclass(frozen=True, slots=True)
class Collapse:
    """Messages ``seqs`` sent from ``start`` to before ``end``, drawn as one row."""

    start: float
    end: float
    seqs: frozenset[int]
    sender: str  # the writer
    receiver: str
    write: str  # the words of each write (``write 32 KiB``)
    writes: int
    acks: int
    bytes: int

    def words(self) -> tuple[str, str]:
        """``write 32 KiB ×28`` and ``ack ×28``."""
        return f"{self.write} ×{self.writes:,}", f"ack ×{self.acks:,}"


def collapsible(d: Diagram, compact: bool | None) -> list[Collapse]:
    """The runs of ``d`` to draw as one row each (see the module's docstring)."""
    if compact is False or not any(m.kind == "stream" for m in d.messages):
        return []
    least = MIN_RUN if compact else AUTO_RUN + 1  # writes in the run
    out: list[Collapse] = []
    messages = d.messages
    run: list[int] = []  # indices into messages
    write = ""

    def close() -> None:
        chunks = [i for i in run if role(messages[i]) == "chunk"]
        if len(chunks) < least:
            return
        start, end = chunks[1], chunks[-1]
        while start < end and messages[start].sent_at == messages[start - 1].sent_at:
            start += 1  # the row starts after everything sent with the kept first write
        while end > start and messages[end - 1].sent_at == messages[end].sent_at:
            end -= 1
        hidden = messages[start:end]
        writes = sum(1 for m in hidden if role(m) == "chunk")
        if writes < 3 or messages[start].sent_at >= messages[end].sent_at:
            return
        first = messages[chunks[0]]
        out.append(Collapse(
            messages[start].sent_at, messages[end].sent_at, frozenset(m.seq for m in hidden), first.sender,
            first.receiver, write, writes, len(hidden) - writes, sum(m.size for m in hidden),
        ))

    for i, m in enumerate(messages):
        kind = role(m)
        if kind == "chunk":
            label = message_label(d.view, m)
            if run and label != write:
                close()
                run = []
            write = label
            run.append(i)
        elif kind == "ack" and run:
            run.append(i)
        else:
            if run:
                close()
            run = []
    if run:
        close()
    return out


def collapsed_rows(d: Diagram, lay: Layout, rows: list[Collapse]) -> list[str]:
    """Each collapsed run as one row: an arrow each way with its count, between two zigzags."""
    out = []
    for c in rows:
        y1, y2 = lay.y(c.start), lay.y(c.end)
        xa, xb = lay.x[c.sender], lay.x[c.receiver]
        write, ack = c.words()
        span = ms_text((c.end - c.start) * 1000)
        what = (
            f"{c.writes:,} writes and {c.acks:,} acks ({size_text(c.bytes)}) sent from {ms_text((c.start - lay.t0) * 1000)} "
            f"to {ms_text((c.end - lay.t0) * 1000)} ms, drawn as one row; rec.to_svg(compact=False) draws each"
        )
        edges = "".join(
            f"<path {attr(d=_zigzag(lay.width, y), fill='none', stroke=MUTED, stroke_width=1.0)}/>" for y in (y1 + 8, y2 - 8)
        )
        chunk, back = colour("chunk"), colour("ack")
        top, bottom = y1 + 29, y1 + 41
        out.append(
            f"<g {attr(data_collapsed=c.writes)}><title>{esc(what)}</title>"
            f"<rect {attr(x=20.0, y=y1 + 6, width=lay.width - 30, height=max(y2 - y1 - 12, 1.0), fill='#ffffff')}/>"
            + edges
            + f"<line {attr(x1=xa, y1=top, x2=xb, y2=top, stroke=chunk, stroke_width=2.5, marker_end=f'url(#pg-{marker_id(chunk)})')}/>"
            + text((xa + xb) / 2, top - 4, write, size=11, fill="#1f2937", anchor="middle", weight="600", halo=True)
            + f"<line {attr(x1=xb, y1=bottom, x2=xa, y2=bottom, stroke=back, stroke_width=1.5, stroke_dasharray='2 3', marker_end=f'url(#pg-{marker_id(back)})')}/>"
            + text((xa + xb) / 2, bottom + 13, ack, size=10, fill=MUTED, anchor="middle", halo=True)
            + text(lay.width - 22, (y1 + y2) / 2 + 4, f"⋯ {span} ms in one row", size=10, fill=MUTED, anchor="end", halo=True)
            + "</g>"
        )
    return out


def _zigzag(width: float, y: float) -> str:
    return f"M 24 {y:.1f} " + " ".join(f"L {x} {y + (2 if i % 2 else -2):.1f}" for i, x in enumerate(range(30, int(width) - 10, 8)))
