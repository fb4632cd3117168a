"""Widgets that leave a picture behind: a static fallback in the widget's display bundle.

A widget's display bundle holds ``application/vnd.jupyter.widget-view+json``: live Jupyter draws
the widget from it, but a saved notebook seen on GitHub, in nbviewer or after ``nbconvert`` has
no kernel and shows nothing (or ``text/plain``'s ``interactive(...)``). :func:`with_static` adds
the current figure beside the view, as ``text/html`` (data-URI images, which survive untrusted
notebooks and sanitisers) and, when the figure is one SVG, ``image/svg+xml``. A live frontend
still prefers the widget view; the others fall back to the picture. The figure is computed when
the bundle is asked for, so it shows what the controls showed when the cell ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import Text
from .html import _img

__all__ = ["Static", "static_bundle", "with_static"]


def static_bundle(figures: Any) -> dict[str, str]:
    """``text/html`` (and ``image/svg+xml`` for a single SVG) for an object, or a list of
    objects, that display themselves (a trace, a comparison, a chart, ``IPython.display.HTML``)
    or are HTML or SVG text."""
    items = figures if isinstance(figures, (list, tuple)) else [figures]
    html, svgs = [], []
    for item in items:
        if isinstance(item, str):
            bundle = {"image/svg+xml": item} if item.lstrip().startswith("<svg") else {"text/html": item}
        elif hasattr(item, "_repr_mimebundle_"):
            bundle = item._repr_mimebundle_()
            bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        elif hasattr(item, "_repr_html_"):
            bundle = {"text/html": item._repr_html_()}
        else:
            raise TypeError(Text.STATIC_FIGURE.format(kind=type(item).__name__))
        if "image/svg+xml" in bundle:
            svgs.append(bundle["image/svg+xml"])
        if "text/html" in bundle:
            html.append(bundle["text/html"])
        elif "image/svg+xml" in bundle:
            html.append(_img(bundle["image/svg+xml"], "figure"))
    out = {"text/html": "<div>" + "".join(html) + "</div>"}
    if len(svgs) == 1 and len(html) == 1:
        out["image/svg+xml"] = svgs[0]
    return out


class Static:
    """A widget and a way to draw what it shows now: displays as the widget, with that picture
    in its bundle for viewers without a kernel. ``widget`` is the widget itself."""

    def __init__(self, widget: Any, figure: Callable[[], Any]) -> None:
        self.widget = widget
        self.figure = figure

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        data.update(static_bundle(self.figure()))
        return data

    def __getattr__(self, name: str) -> Any:  # the widget's own attributes (children, kwargs...)
        return getattr(self.__dict__["widget"], name)


def with_static(widget: Any, figure: Callable[[], Any]) -> Static:
    """``widget`` displayed with a static picture beside its view: ``figure()`` returns what it
    shows now (see :func:`static_bundle`), for saved notebooks, nbconvert and GitHub."""
    return Static(widget, figure)
