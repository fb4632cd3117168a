"""PNG export: the SVG rasterised by resvg (``pip install 'workers-rpc-playground[png]'``).

resvg-py ships self-contained wheels (no cairo or other system library), renders the SVG the
way browsers do, and is imported only when a PNG is asked for. ``scale`` multiplies the SVG's
size: ``scale=2`` (the default) gives a PNG twice as wide and tall as the SVG, sharp on
high-density screens and in slides.
"""

from __future__ import annotations

from ..errors import Text

__all__ = ["svg_to_png"]


def svg_to_png(svg: str, path: str | None = None, *, scale: float = 2) -> bytes:
    """The PNG bytes of ``svg`` drawn at ``scale`` times its size on white (also written to
    ``path`` if given). An :class:`ImportError` naming ``pip install 'workers-rpc-playground[png]'`` when
    resvg-py is missing; a :class:`ValueError` for a scale that is not a positive number."""
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ValueError(Text.PNG_SCALE.format(scale=scale))
    try:
        import resvg_py
    except ImportError:
        raise ImportError(Text.PNG_MISSING) from None
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=float(scale), background="#ffffff"))
    if path is not None:
        with open(path, "wb") as f:
            f.write(png)
    return png
