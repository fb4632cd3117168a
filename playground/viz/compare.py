"""Two runs side by side on one time axis, with what changed between them.

:func:`compare` draws each run's diagram (as :func:`~playground.viz.svg.render_svg` does) at
the *same* pixels per millisecond and with their first instants level, so the longer run is the
taller picture; under them a table says how the round trips, the time, the messages and the
bytes changed, from the first run to the second: ``round trips 2 → 1 (−1)``,
``time 100 ms → 50 ms (−50 ms, −50 %)``. The result shows itself in Jupyter (an SVG image,
like a trace), prints in a terminal (the table, or with rich both runs' tables), and exports
with ``to_svg`` and ``to_png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import Text
from .html import _img
from .labels import ms_text
from .model import Diagram, Summary, build
from .png import svg_to_png
from .layout import TOP
from .svg import natural_layout, render_svg
from .term import TraceRenderable
from .svgkit import FONT, INK, MUTED, attr, esc, markers, text
from .view import View, view_of

__all__ = ["Comparison", "compare", "differences"]

MINUS = "\u2212"
#: Pixels between the two panels, above them (for their names) and above the table.
GAP, HEAD, TABLE_GAP = 24.0, 40.0, 20.0


def _signed(delta: float, words: str) -> str:
    return ("+" if delta > 0 else MINUS) + words


def _row(name: str, a: float, b: float, shown: Any, percent: bool = True) -> str:
    """``name a → b (±change, ±percent)``; ``(same)`` when nothing changed."""
    delta = b - a
    head = f"{name} {shown(a)} → {shown(b)}"
    if delta == 0:
        return head + " (same)"
    change = [_signed(delta, shown(abs(delta)))]
    if percent and a:
        pct = abs(delta) / a * 100
        change.append(_signed(delta, f"{pct:.0f} %" if pct >= 1 else "<1 %"))
    return f"{head} ({', '.join(change)})"


def differences(a: Summary, b: Summary) -> list[str]:
    """One line per figure, from run ``a`` to run ``b``: round trips, time, messages, bytes."""
    return [
        _row("round trips", a.round_trips, b.round_trips, lambda n: f"{n:,}", percent=False),
        _row("time", round(a.elapsed * 1000, 3), round(b.elapsed * 1000, 3), lambda ms: f"{ms_text(ms)} ms"),
        _row("messages", a.messages, b.messages, lambda n: f"{n:,}"),
        _row("bytes", a.bytes, b.bytes, lambda n: f"{n:,}"),
    ]


def _view(run: object, which: str) -> View:
    if isinstance(run, View) or (hasattr(run, "events") and hasattr(run, "workers")):
        return view_of(run)
    raise TypeError(Text.COMPARE_RUN.format(which=which, kind=type(run).__name__))


class Comparison:
    """Two runs drawn side by side at one scale, and the differences between them."""

    def __init__(self, a: object, b: object, labels: tuple[str, str] = ("awaited", "pipelined")) -> None:
        if not (isinstance(labels, (tuple, list)) and len(labels) == 2 and all(isinstance(s, str) for s in labels)):
            raise ValueError(Text.COMPARE_LABELS.format(labels=labels))
        self.labels: tuple[str, str] = (labels[0], labels[1])
        self.diagrams: tuple[Diagram, Diagram] = (build(_view(a, "first")), build(_view(b, "second")))
        self._svg: str | None = None

    @property
    def differences(self) -> list[str]:
        """The lines of the table: ``round trips 2 → 1 (−1)``, ``time 100 ms → 50 ms (−50 ms, −50 %)``…"""
        return differences(self.diagrams[0].summary, self.diagrams[1].summary)

    def title(self) -> str:
        """``awaited → pipelined``."""
        return f"{self.labels[0]} → {self.labels[1]}"

    def __str__(self) -> str:
        return "\n".join([self.title(), *("  " + line for line in self.differences)])

    def __repr__(self) -> str:
        return f"<Comparison {self.title()}: " + "; ".join(self.differences) + ">"

    def to_svg(self, path: str | None = None) -> str:
        """Both diagrams side by side, one time scale, and the table under them (also written to
        ``path`` if given)."""
        if self._svg is None:
            self._svg = self._render()
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(self._svg)
        return self._svg

    def to_png(self, path: str | None = None, *, scale: float = 2) -> bytes:
        """The picture as PNG bytes, ``scale`` times the SVG's size (needs
        ``pip install 'workers-rpc-playground[png]'``); also written to ``path`` if given."""
        return svg_to_png(self.to_svg(), path, scale=scale)

    def _render(self) -> str:
        lays = [natural_layout(d) for d in self.diagrams]
        scale = min(lay.scale for lay in lays)  # the longer run fits as it would alone
        headroom = max(lay.top for lay in lays) - TOP  # the first instants level
        panels, x, heights = [], 20.0, []
        defs = markers("pg-")
        for i, (d, label) in enumerate(zip(self.diagrams, self.labels)):
            svg = render_svg(d.view, diagram=d, scale=scale, headroom=headroom)
            width, height = (float(v) for v in re.match(r'<svg [^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups())  # type: ignore[union-attr]
            inner = svg.replace(defs, "", 1) if i else svg  # one set of arrowheads for the page
            panels.append(
                f"<g {attr(data_run=label)}>"
                + text(x + 20, HEAD - 8, label, size=17, weight="700", fill=INK)
                + inner.replace("<svg ", f'<svg x="{x:.0f}" y="{HEAD:.0f}" ', 1)
                + "</g>"
            )
            x += width + GAP
            heights.append(height)
        y = HEAD + max(heights) + TABLE_GAP
        rows = [text(20, y, f"From {self.labels[0]} to {self.labels[1]}", size=14, weight="700")]
        for line in self.differences:
            y += 20
            rows.append(text(28, y, line, size=13, fill=INK))
        y += 16
        width = max(x - GAP + 20, 420.0)
        table = f"<g {attr(data_differences='')}>" + "".join(rows) + "</g>"
        note = text(20, y + 4, "Both runs are drawn at one scale: equal heights are equal times.", size=11, fill=MUTED)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{y + 16:.0f}" '
            f'viewBox="0 0 {width:.0f} {y + 16:.0f}" font-family="{esc(FONT)}">'
            f"<rect {attr(width='100%', height='100%', fill='#ffffff')}/>"
            + "".join(panels) + table + note + "</svg>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        svg = self.to_svg()
        return {"text/html": _img(svg, self.title()), "image/svg+xml": svg, "text/plain": str(self)}

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text as RichText

        for d, label in zip(self.diagrams, self.labels):
            yield RichText(label, style="bold")
            yield TraceRenderable(d.view)
        table = Table(title=self.title(), show_header=False)
        for line in self.differences:
            table.add_row(line)
        yield table


def compare(a: object, b: object, *, labels: tuple[str, str] = ("awaited", "pipelined")) -> Comparison:
    """Two runs (recordings or traces) side by side on one time scale, with the differences in
    round trips, time, messages and bytes from ``a`` to ``b``."""
    return Comparison(a, b, labels)
