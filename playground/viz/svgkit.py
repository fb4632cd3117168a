"""Small SVG helpers: escaping, text with a halo, arrowhead markers, number formatting.

Everything is drawn with presentation attributes (``fill=``, ``stroke=``), never CSS classes, so
the picture survives sanitisers (GitHub, untrusted notebooks) and needs no stylesheet.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .labels import COLOURS, OTHER

__all__ = ["FONT", "MONO", "attr", "esc", "markers", "num", "text"]

FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif"
MONO = "ui-monospace, 'SFMono-Regular', Menlo, 'DejaVu Sans Mono', monospace"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
PAPER = "#ffffff"
BRACKET = "#ea580c"
LEAK = "#dc2626"
FLIGHT = "#2563eb"


def esc(value: object) -> str:
    """Text escaped for SVG content and attribute values."""
    return escape(str(value), {'"': "&quot;"})


def num(v: float) -> str:
    """A coordinate, short."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def attr(**attrs: object) -> str:
    """``key="value"`` pairs; underscores in keys become dashes, ``None`` values are left out."""
    return " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{esc(num(v) if isinstance(v, float) else v)}"'
        for k, v in attrs.items()
        if v is not None
    )


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 11,
    fill: str = INK,
    anchor: str = "start",
    weight: str | None = None,
    halo: bool = False,
    family: str = FONT,
    extra: str = "",
) -> str:
    """A ``<text>`` element; ``halo`` first draws a copy of it in white with a wide white outline
    (marked ``data-halo``), so that the words read over lines. The copy is a separate element, not
    ``paint-order``, which cairosvg and some other renderers ignore (they paint the outline over
    the letters)."""
    common = attr(x=x, y=y, font_size=size, text_anchor=anchor, font_weight=weight, font_family=family)
    tail = f"{' ' + extra if extra else ''}>{esc(content)}</text>"
    under = f"<text {common} {HALO}{tail}" if halo else ""
    return f"{under}<text {common} {attr(fill=fill)}{tail}"


#: The attributes of a halo: the copy of a text drawn under it, white, with a wide white outline.
HALO = attr(fill=PAPER, stroke=PAPER, stroke_width="3.5", stroke_linejoin="round", data_halo="", aria_hidden="true")


def marker_id(colour: str) -> str:
    """The id of the arrowhead marker for ``colour``."""
    return "head-" + colour.lstrip("#")


def markers(prefix: str = "") -> str:
    """``<defs>`` with one arrowhead per message colour (older renderers lack context-stroke)."""
    out = ["<defs>"]
    for colour in sorted({*COLOURS.values(), OTHER, LEAK}):
        out.append(
            f'<marker id="{prefix}{marker_id(colour)}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M 0 1 L 9 5 L 0 9 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    return "".join(out)
