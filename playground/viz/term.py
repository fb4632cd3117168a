"""The terminal view: a rich renderable with lanes as columns and events in time order.

``rich`` is imported only when a trace is actually printed, so the core never needs it.
Rows are messages in the order they were sent: the sender's column says what left (with an
arrow pointing at the receiver), the receiver's column when it arrived. A summary table and the
advisor's tips follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..trace.events import FaultEvent, MessageEvent
from .html import render_html
from .labels import message_label, ms_text, role, where_text
from .model import Diagram, build
from .view import view_of

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = ["TraceRenderable", "require_rich"]

STYLES = {
    "push": "bold blue",
    "pull": "dim",
    "resolve": "green",
    "reject": "bold red",
    "release": "dim",
}


def require_rich() -> Any:
    """Import rich, or say plainly how to get it."""
    try:
        import rich
    except ImportError as exc:  # pragma: no cover - rich is a dependency, but may be removed
        raise ImportError("Printing a trace in a terminal needs rich: pip install rich") from exc
    return rich


def _ms(seconds: float) -> str:
    return ms_text(seconds * 1000)


class TraceRenderable:
    """A trace for ``rich``: ``Console().print(TraceRenderable(trace))``.

    At most ``max_rows`` messages are listed (the rest are counted); ``max_rows=None`` lists all.
    """

    def __init__(self, source: Any, *, max_rows: int | None = 40) -> None:
        self.diagram: Diagram = build(view_of(source))
        self.max_rows = max_rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        require_rich()
        from rich.table import Table
        from rich.text import Text

        d = self.diagram
        t0 = d.view.start
        lanes = list(d.lanes)
        events = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        events.add_column("ms", justify="right", style="dim", no_wrap=True)
        for lane in lanes:
            events.add_column(lane, overflow="fold")
        shown = d.messages if self.max_rows is None else d.messages[: self.max_rows]
        last = shown[-1].seq if len(shown) < len(d.messages) else None
        failed = [e for e in d.failed if e.a in lanes and (last is None or e.seq < last)]
        rows: list[MessageEvent | FaultEvent] = [*shown, *failed]
        for m in sorted(rows, key=lambda e: e.seq):
            if type(m) is FaultEvent:  # a call that failed at once: nothing was sent
                cells = [""] * len(lanes)
                cells[lanes.index(m.a)] = f"✗ {m.detail.split(':', 1)[0]}: failed at once, nothing sent"
                events.add_row(Text(_ms(m.at - t0)), *(Text(c, style="bold red") for c in cells))
                continue
            assert type(m) is MessageEvent
            cells = [""] * len(lanes)
            i, j = lanes.index(m.sender), lanes.index(m.receiver)
            label = message_label(d.view, m) + d.after_end(m)
            flight = d.flight_of.get(m.seq)
            mark = f" [flight {flight}]" if flight else ""
            cells[i] = f"{label} ─▶{mark}" if j >= i else f"◀─ {label}{mark}"
            if m.received_at is None:
                cells[j] = "✕ lost" if j != i else cells[i] + " ✕ lost"
            elif j != i:
                cells[j] = f"● {_ms(m.received_at - t0)} ms"
            row = [Text(_ms(m.sent_at - t0))]
            for k, cell in enumerate(cells):
                style = STYLES.get(role(m), "") if k == i else "dim"
                row.append(Text(cell, style=style))
            events.add_row(*row)
        rest = len(d.messages) - len(shown)
        if rest:
            events.add_row(Text("…"), Text(f"{rest:,} more messages", style="dim"), *[""] * (len(lanes) - 1))
        yield events
        yield from self._footer()

    def _footer(self) -> RenderResult:
        from rich.table import Table
        from rich.text import Text

        d, s = self.diagram, self.diagram.summary
        table = Table(title=None, box=None, header_style="bold", pad_edge=False)
        heads = ["round trips", "virtual time", "calls", "pipelined", "messages", "bytes", "leaks"]
        values = [s.round_trips, f"{_ms(s.elapsed)} ms", s.calls, s.pipelined, s.messages, s.bytes, s.leaks]
        if s.shows_saving:
            heads.append("without pipelining")
            values.append(f"{s.without_pipelining} round trips")
        for h in heads:
            table.add_column(h, justify="right")
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in values])
        yield Text("")
        yield table
        for life in d.lifetimes:
            if life.alive:
                yield Text(
                    f"alive at the end: stub #{life.stub} in {life.owner} → {life.target}, "
                    f"made at {where_text(life.where)}",
                    style="bold red",
                )
        for tip in d.advice:
            yield Text(f"Tip: {tip}", style="yellow")
        if d.together:
            yield Text(d.together, style="yellow")
        for note in [*d.notes, d.after_end_note()]:
            if note:
                yield Text(f"Note: {note}", style="italic")


def show(source: Any) -> None:
    """Draw a trace now: inline SVG in a Jupyter kernel, the rich view elsewhere."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import HTML, display

        display(HTML(render_html(source, inline=True)))  # type: ignore[no-untyped-call]
        return
    require_rich()
    from rich.console import Console

    Console().print(TraceRenderable(source))
