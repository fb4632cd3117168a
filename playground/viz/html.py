"""HTML and the display bundle: what a trace shows in Jupyter, live or saved.

The bundle's ``text/html`` holds the SVG as a ``data:`` URI image, which survives untrusted
notebooks, nbviewer and GitHub (an inline ``<svg>`` is stripped there); ``image/svg+xml`` carries
the SVG itself and ``text/plain`` the one-line summary. ``inline=True`` gives an inline ``<svg>``
instead, whose ``<title>`` tooltips work in a trusted, live session.
"""

from __future__ import annotations

import base64
from typing import Any

from .model import Diagram, build
from .svg import render_svg
from .svgkit import esc
from .view import view_of

__all__ = ["html_page", "mimebundle", "render_html", "summary_text"]


def summary_text(source: Any) -> str:
    """The one-line summary of a trace, as ``text/plain`` shows it."""
    return build(view_of(source)).summary.line()


def _img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(alt)}" style="max-width:100%"/>'


def _html(svg: str, alt: str, inline: bool) -> str:
    return f"<div>{svg}</div>" if inline else _img(svg, alt)


def render_html(source: Any, *, inline: bool = False, diagram: Diagram | None = None, **options: Any) -> str:
    """HTML for a trace: a data-URI image (default, safe everywhere) or an inline SVG."""
    d = diagram or build(view_of(source))
    return _html(render_svg(d.view, diagram=d, **options), d.summary.line(), inline)


def mimebundle(source: Any, *, inline: bool = False, complete: bool = True, **options: Any) -> dict[str, str]:
    """``text/html`` (see :func:`render_html`), ``image/svg+xml`` and a ``text/plain`` summary.

    ``complete=False`` leaves out the advisor and the saving (for live frames)."""
    d = build(view_of(source), complete=complete)
    svg = render_svg(d.view, diagram=d, **options)
    line = d.summary.line()
    text = line + "".join(f"\nTip: {a}" for a in d.advice) + (f"\n{d.together}" if d.together else "") + "".join(f"\nNote: {n}" for n in d.notes)
    return {
        "text/html": _html(svg, line, inline),
        "image/svg+xml": svg,
        "text/plain": text,
    }


def html_page(source: Any, title: str = "playground trace") -> str:
    """A standalone HTML document with the inline SVG (for files and screenshots); ``source``
    may also be SVG text already rendered."""
    svg = source if isinstance(source, str) and source.startswith("<svg") else render_svg(source)
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title></head>"
        f'<body style="margin:0;background:#fff">{svg}</body></html>'
    )
