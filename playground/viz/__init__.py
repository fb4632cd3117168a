"""Read-only renderers of traces: SVG/HTML, rich, ipywidgets replay, exports, the advisor.

Everything here is built from trace events alone (``playground.trace``); nothing imports the
runtime. ``rich`` and ``ipywidgets`` are imported only when a renderer that needs them is used.

* :func:`render_svg` — the timed sequence diagram, one self-contained SVG.
* :func:`render_html`, :func:`mimebundle` — what Jupyter shows (data-URI image by default).
* :class:`TraceRenderable` — the terminal view for ``rich``.
* :func:`to_mermaid`, :func:`to_perfetto`, :func:`to_json` — exports.
* :func:`compare` — two runs side by side on one time scale, with what changed.
* :func:`to_png` — a trace's diagram as PNG (``pip install 'workers-rpc-playground[png]'``).
* :func:`advise` — awaits that pipelining would remove, with the round trips saved.
* :func:`replay` — ipywidgets controls over a recorded trace.
* :func:`with_static` — a widget that leaves its current figure in saved notebooks.
* :class:`LiveView` — a throttled, growing view for a running cell (used by the extension).
"""

from __future__ import annotations

from .advisor import Advice, advise
from .compare import Comparison, compare
from .exports import to_json, to_mermaid
from .html import html_page, mimebundle, render_html, summary_text
from .live import LiveView
from .model import Diagram, Summary, build
from .perfetto import perfetto_events, to_perfetto
from .png import svg_to_png
from .replay import Replay, replay
from .svg import render_svg
from .term import TraceRenderable, show
from .view import View, view_of
from .widgets import Static, static_bundle, with_static

__all__ = [
    "Advice",
    "Comparison",
    "Diagram",
    "LiveView",
    "Replay",
    "Static",
    "Summary",
    "TraceRenderable",
    "View",
    "advise",
    "build",
    "compare",
    "html_page",
    "mimebundle",
    "perfetto_events",
    "render_html",
    "render_svg",
    "replay",
    "show",
    "static_bundle",
    "summary",
    "summary_text",
    "to_json",
    "to_mermaid",
    "to_perfetto",
    "to_png",
    "view_of",
    "with_static",
]


def summary(source: object) -> Summary:
    """The headline numbers of a trace, including the round trips without pipelining."""
    return build(view_of(source)).summary


def to_png(source: object, path: str | None = None, *, scale: float = 2, **options: object) -> bytes:
    """The diagram of a trace as PNG bytes, ``scale`` times the SVG's size (also written to
    ``path`` if given); ``options`` go to :func:`render_svg`."""
    return svg_to_png(render_svg(source, **options), path, scale=scale)  # type: ignore[arg-type]
