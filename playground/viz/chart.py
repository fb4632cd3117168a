"""Small line charts as self-contained SVG, for the notebooks' explorers and labs.

No plotting library: a chart is a few series of ``(x, y)`` points drawn with polylines on nice
axes (ticks at 1, 2 or 5 times a power of ten), with a legend and optional vertical markers
(such as the bandwidth-delay product). The SVG uses presentation attributes only, no CSS and no
script, so it survives sanitisers (GitHub, untrusted notebooks) like the trace diagrams do.

:class:`Figure` shows one or more charts side by side in Jupyter, as data-URI images.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .svgkit import esc

__all__ = ["Chart", "Figure", "Marker", "Series", "nice_ticks", "PALETTE"]

#: Colours for series, in order: blue, orange, green, red, purple, grey.
PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#dc2626", "#7c3aed", "#6b7280")
FONT = "font-family=\"DejaVu Sans, Verdana, sans-serif\""


@dataclass(frozen=True)
class Series:
    """One line: a name for the legend, its points, a colour, and whether it is dashed."""

    name: str
    points: Sequence[tuple[float, float]]
    color: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``x`` with a label (e.g. "window = BDP")."""

    x: float
    label: str
    color: str = "#6b7280"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]``: steps of 1, 2 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"ticks need finite bounds; got {low!r}, {high!r}")
    if high < low:
        low, high = high, low
    if high == low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    index = 0
    while True:
        value = round(first + index * step, 12)
        ticks.append(value)
        if value >= high - step * 1e-9:
            return ticks
        index += 1


def _label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e7 or abs(value) < 0.01:
        return f"{value:.3g}"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6g}"


@dataclass(frozen=True)
class Chart:
    """A line chart. ``render()`` gives the SVG text; in Jupyter it displays as an image."""

    title: str
    series: Sequence[Series]
    x_label: str = ""
    y_label: str = ""
    markers: Sequence[Marker] = field(default_factory=tuple)
    width: int = 440
    height: int = 300
    y_from_zero: bool = True

    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_low, x_high, y_low, y_high)`` over every point and marker."""
        xs = [x for s in self.series for x, _ in s.points] + [m.x for m in self.markers]
        ys = [y for s in self.series for _, y in s.points]
        if not xs or not ys:
            raise ValueError(f"chart {self.title!r} has no points to draw")
        y_low = min(0.0, min(ys)) if self.y_from_zero else min(ys)
        return min(xs), max(xs), y_low, max(ys)

    def render(self) -> str:
        """The chart as a standalone SVG document."""
        left, right, top, bottom = 62, 16, 40, 70
        plot_w = self.width - left - right
        plot_h = self.height - top - bottom
        x_low, x_high, y_low, y_high = self.bounds()
        x_ticks = nice_ticks(x_low, x_high)
        y_ticks = nice_ticks(y_low, y_high)
        x0, x1 = x_ticks[0], x_ticks[-1]
        y0, y1 = y_ticks[0], y_ticks[-1]

        def px(x: float) -> float:
            return left + (x - x0) / (x1 - x0) * plot_w

        def py(y: float) -> float:
            return top + plot_h - (y - y0) / (y1 - y0) * plot_h

        out: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}">',
            f'<rect width="{self.width}" height="{self.height}" fill="#ffffff"/>',
            f'<text x="{left}" y="22" {FONT} font-size="14" font-weight="bold" fill="#111827">'
            f"{esc(self.title)}</text>",
        ]
        for t in y_ticks:
            y = py(t)
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
            out.append(
                f'<text x="{left - 6}" y="{y + 4:.1f}" {FONT} font-size="11" fill="#4b5563" '
                f'text-anchor="end">{esc(_label(t))}</text>'
            )
        for t in x_ticks:
            x = px(t)
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#f3f4f6"/>')
            out.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" {FONT} font-size="11" fill="#4b5563" '
                f'text-anchor="middle">{esc(_label(t))}</text>'
            )
        out.append(
            f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#9ca3af"/>'
        )
        if self.x_label:
            out.append(
                f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 34}" {FONT} font-size="12" '
                f'fill="#374151" text-anchor="middle">{esc(self.x_label)}</text>'
            )
        if self.y_label:
            cy = top + plot_h / 2
            out.append(
                f'<text x="14" y="{cy:.1f}" {FONT} font-size="12" fill="#374151" text-anchor="middle" '
                f'transform="rotate(-90 14 {cy:.1f})">{esc(self.y_label)}</text>'
            )
        for marker in self.markers:
            x = px(marker.x)
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="{marker.color}" '
                f'stroke-width="1.5" stroke-dasharray="2 3"/>'
            )
            anchor = "end" if x > left + plot_w * 0.7 else "start"
            dx = -4 if anchor == "end" else 4
            out.append(
                f'<text x="{x + dx:.1f}" y="{top + 12}" {FONT} font-size="11" fill="{marker.color}" '
                f'text-anchor="{anchor}">{esc(marker.label)}</text>'
            )
        for number, s in enumerate(self.series):
            color = s.color or PALETTE[number % len(PALETTE)]
            points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"{dash}>')
            out.append(f"<title>{esc(s.name)}</title></polyline>")
            for x, y in s.points:
                out.append(
                    f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}">'
                    f"<title>{esc(s.name)}: {esc(_label(x))}, {esc(_label(y))}</title></circle>"
                )
        out.extend(self._legend(left, top + plot_h + 48))
        out.append("</svg>")
        return "\n".join(out)

    def _legend(self, x: float, y: float) -> list[str]:
        parts: list[str] = []
        for number, s in enumerate(self.series):
            color = s.color or PALETTE[number % len(PALETTE)]
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 22:.1f}" y2="{y:.1f}" stroke="{color}" '
                f'stroke-width="2"{dash}/>'
            )
            parts.append(
                f'<text x="{x + 27:.1f}" y="{y + 4:.1f}" {FONT} font-size="11" fill="#374151">{esc(s.name)}</text>'
            )
            x += 40 + 6.5 * len(s.name)
        return parts

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return Figure([self])._repr_mimebundle_()


@dataclass(frozen=True)
class Figure:
    """Charts side by side; in Jupyter, data-URI images that survive untrusted notebooks."""

    charts: Sequence[Chart]
    caption: str = ""

    def html(self) -> str:
        """The figure as HTML: one ``<img>`` per chart, wrapping on narrow screens."""
        images = []
        for chart in self.charts:
            data = base64.b64encode(chart.render().encode("utf-8")).decode("ascii")
            images.append(
                f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(chart.title)}" '
                f'width="{chart.width}" style="max-width:100%;margin:0 8px 8px 0"/>'
            )
        caption = f'<div style="color:#4b5563;font-size:90%">{esc(self.caption)}</div>' if self.caption else ""
        return f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">{"".join(images)}</div>{caption}'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        text = "; ".join(c.title for c in self.charts)
        if self.caption:
            text += "\n" + self.caption
        bundle = {"text/html": self.html(), "text/plain": text}
        if len(self.charts) == 1:
            bundle["image/svg+xml"] = self.charts[0].render()
        return bundle
