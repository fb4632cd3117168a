"""Replay a recorded trace with ipywidgets: play, step, a time slider, highlight one call.

ipywidgets is optional: it is imported when a replay is made, with a clear message if it is
missing; everything else in ``playground.viz`` works without it. The picture is the same SVG as
everywhere else, drawn up to the chosen instant with the full trace's layout, so nothing moves
while you scrub.
"""

from __future__ import annotations

from typing import Any

from .labels import call_label, ms_text, where_text
from .model import Diagram, build
from .svg import render_svg
from .widgets import with_static
from .view import View, view_of

__all__ = ["Replay", "replay", "require_ipywidgets"]


def require_ipywidgets(what: str = "Replaying a trace") -> Any:
    """Import ipywidgets, or explain how to install it (``what`` needs it: the message's
    subject)."""
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError(
            f"{what} needs ipywidgets: pip install 'workers-rpc-playground[notebook]' "
            "(or pip install ipywidgets; in JupyterLite, run %pip install ipywidgets in a cell). "
            "Everything else works without it: display the trace itself, or use trace.to_svg()."
        ) from exc
    return ipywidgets


class Replay:
    """Widgets over one trace. ``frame`` indexes :attr:`frames`, the instants when something
    was sent or arrived; ``highlight`` is a call's seq (or ``None``) whose messages stand out."""

    def __init__(self, source: Any, *, interval_ms: int = 500) -> None:
        W = require_ipywidgets()
        self.view: View = view_of(source)
        self.diagram: Diagram = build(self.view)
        times = {self.view.start, self.view.end}
        for m in self.diagram.messages:
            times.add(m.sent_at)
            if m.received_at is not None:
                times.add(m.received_at)
        self.frames: list[float] = sorted(times)
        last = len(self.frames) - 1
        self.player = W.Play(value=last, min=0, max=last, step=1, interval=interval_ms, description="play")
        self.slider = W.IntSlider(value=last, min=0, max=last, description="time", readout=False, continuous_update=True)
        W.link((self.player, "value"), (self.slider, "value"))
        self.back = W.Button(description="◀ step", layout=W.Layout(width="80px"))
        self.forward = W.Button(description="step ▶", layout=W.Layout(width="80px"))
        self.clock = W.Label()
        options: list[tuple[str, int | None]] = [("(no highlight)", None)]
        for c in self.diagram.view.calls:
            options.append((f"{c.caller} → {c.callee}: {call_label(c)} at {where_text(c.where)}", c.seq))
        self.picker = W.Dropdown(options=options, value=None, description="highlight")
        self.html = W.HTML()
        self.back.on_click(lambda _: self.step(-1))
        self.forward.on_click(lambda _: self.step(1))
        self.slider.observe(lambda _: self.redraw(), names="value")
        self.picker.observe(lambda _: self.redraw(), names="value")
        controls = W.HBox([self.player, self.back, self.forward, self.slider, self.clock])
        self.widget = W.VBox([controls, self.picker, self.html])
        self.redraw()

    @property
    def frame(self) -> int:
        """The index of the instant shown."""
        return int(self.slider.value)

    @frame.setter
    def frame(self, value: int) -> None:
        self.slider.value = max(0, min(int(value), len(self.frames) - 1))

    @property
    def time(self) -> float:
        """The virtual time shown, in seconds."""
        return self.frames[self.frame]

    @property
    def highlight(self) -> int | None:
        """The seq of the highlighted call, or ``None``."""
        return self.picker.value  # type: ignore[no-any-return]

    @highlight.setter
    def highlight(self, call_seq: int | None) -> None:
        self.picker.value = call_seq

    def step(self, delta: int) -> None:
        """Move ``delta`` instants forward (negative: back)."""
        self.frame = self.frame + delta

    def highlighted_messages(self) -> set[int] | None:
        """The seqs of the highlighted call's messages (``None`` when nothing is highlighted)."""
        if self.highlight is None:
            return None
        call = self.view.calls_by_seq.get(self.highlight)
        return {m.seq for m in self.diagram.messages if call is not None and self.view.call_of(m) is call}

    def redraw(self) -> None:
        """Draw the trace up to :attr:`time` into the HTML widget."""
        t = self.time
        until = None if self.frame == len(self.frames) - 1 else t
        svg = render_svg(self.view, until=until, highlight=self.highlighted_messages(), diagram=self.diagram)
        self.svg = svg
        self.html.value = f"<div>{svg}</div>"
        self.clock.value = f"t = {ms_text((t - self.view.start) * 1000)} ms ({self.frame + 1}/{len(self.frames)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, and the frame shown now as a picture (``text/html``, ``image/svg+xml``)
        for saved notebooks and viewers without a kernel (see :func:`~playground.viz.widgets.with_static`)."""
        return with_static(self.widget, lambda: self.svg)._repr_mimebundle_(**kwargs)


def replay(source: Any, **options: Any) -> Replay:
    """A :class:`Replay` of ``source`` (display it as a cell's value)."""
    return Replay(source, **options)
