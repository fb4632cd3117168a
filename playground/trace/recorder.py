"""The append-only event log of a playground, and read-only views (segments) over it."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .events import AwaitEvent, CallEvent, Event, MessageEvent, StreamEvent, StubEvent
from .stats import pipelined_calls, round_trips

__all__ = ["Recorder", "Trace"]

NS = 1_000_000_000
E = TypeVar("E")


class Recorder:
    """Every event of one playground, in order. Listeners see each event as it is added."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next event will have."""
        return len(self.events)

    def add(self, event: Event) -> None:
        self.events.append(event)
        if self._listeners:
            for listener in tuple(self._listeners):
                try:
                    listener(event)
                except Exception as exc:  # a broken view must not break the simulation
                    self._listeners.remove(listener)
                    warnings.warn(
                        f"a trace listener raised {exc!r} and was unsubscribed",
                        RuntimeWarning,
                        stacklevel=2,
                    )

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener(event)`` for every new event; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


class Trace:
    """A read-only view of a playground's events, from ``start`` to ``stop`` (open: up to now).

    ``play.trace`` is the whole history; ``with play.record() as rec:`` gives the segment of
    what happened inside the block. Both offer the same summaries.
    """

    def __init__(
        self,
        recorder: Recorder,
        clock_ns: Callable[[], int],
        *,
        start: int = 0,
        start_ns: int = 0,
        stop: int | None = None,
        stop_ns: int | None = None,
        workers: Callable[[], list[str]] | None = None,
    ) -> None:
        self._recorder = recorder
        self._clock_ns = clock_ns
        self._start = start
        self._start_ns = start_ns
        self._stop = stop
        self._stop_ns = stop_ns
        self._workers = workers

    # -- the events ---------------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """Every event in this view, in order."""
        return self._recorder.events[self._start : self._stop]

    def _of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if type(e) is kind]  # type: ignore[misc]

    @property
    def messages(self) -> list[MessageEvent]:
        """Every message sent on the simulated network."""
        return self._of(MessageEvent)

    @property
    def calls(self) -> list[CallEvent]:
        """Every call and property read that left a worker."""
        return self._of(CallEvent)

    @property
    def awaits(self) -> list[AwaitEvent]:
        return self._of(AwaitEvent)

    @property
    def stub_events(self) -> list[StubEvent]:
        return self._of(StubEvent)

    @property
    def stream_events(self) -> list[StreamEvent]:
        return self._of(StreamEvent)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    # -- summaries --------------------------------------------------------------------------

    @property
    def start(self) -> float:
        """Virtual time (seconds) at which this view begins."""
        return self._start_ns / NS

    @property
    def end(self) -> float:
        """Virtual time (seconds) at which it ends (now, while still recording)."""
        return (self._stop_ns if self._stop_ns is not None else self._clock_ns()) / NS

    @property
    def elapsed(self) -> float:
        """Virtual seconds covered by this view."""
        stop_ns = self._stop_ns if self._stop_ns is not None else self._clock_ns()
        return (stop_ns - self._start_ns) / NS

    @property
    def round_trips(self) -> int:
        """Longest causal chain of calls and results, divided by two (see API.md)."""
        return round_trips(self.messages)

    @property
    def bytes(self) -> int:
        """Total size of all messages, in bytes."""
        return sum(m.size for m in self.messages)

    @property
    def pipelined(self) -> int:
        """Calls addressed to results that had not come back yet."""
        return pipelined_calls(self.calls)

    @property
    def workers(self) -> list[str]:
        """Worker names, in the order they were added to the playground, then any others seen."""
        names = list(self._workers()) if self._workers else []
        for m in self.messages:
            for name in (m.sender, m.receiver):
                if name not in names:
                    names.append(name)
        return names

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a dict."""
        calls = self.calls
        return {
            "round_trips": self.round_trips,
            "elapsed": self.elapsed,
            "calls": len(calls),
            "pipelined": pipelined_calls(calls),
            "messages": len(self.messages),
            "bytes": self.bytes,
        }

    # -- seeing it: thin doors into playground.viz, imported only when used --------------------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..viz import mimebundle

        return mimebundle(self)

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from ..viz import TraceRenderable

        yield TraceRenderable(self)

    def to_svg(self, path: str | None = None) -> str:
        """The timed sequence diagram as SVG text (also written to ``path`` if given)."""
        from ..viz import render_svg

        svg = render_svg(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
        return svg

    def to_html(self, *, inline: bool = False) -> str:
        """HTML: a data-URI image (safe in saved notebooks) or, ``inline``, the SVG itself."""
        from ..viz import render_html

        return render_html(self, inline=inline)

    def to_mermaid(self) -> str:
        """A Mermaid ``sequenceDiagram``."""
        from ..viz import to_mermaid

        return to_mermaid(self)

    def to_perfetto(self, path: str | None = None) -> str:
        """Chrome trace JSON for ui.perfetto.dev (also written to ``path`` if given)."""
        from ..viz import to_perfetto

        return to_perfetto(self, path)

    def to_json(self) -> str:
        """Summary, lanes, advice and every event, as JSON text."""
        from ..viz import to_json

        return to_json(self)

    def advice(self) -> list[Any]:
        """Awaits that pipelining would remove, each with the round trips it would save."""
        from ..viz import advise, view_of

        return advise(view_of(self))

    def replay(self) -> Any:
        """ipywidgets controls (play, step, time slider, highlight a call) over this trace."""
        from ..viz import replay

        return replay(self)

    def show(self) -> None:
        """Draw it now: inline SVG with tooltips in Jupyter, a rich table in a terminal."""
        from ..viz.term import show

        show(self)

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<Trace {s['round_trips']} round trip(s), {s['elapsed'] * 1000:g} ms, "
            f"{s['calls']} call(s) ({s['pipelined']} pipelined), {s['messages']} message(s), "
            f"{s['bytes']} bytes>"
        )


class Recording(Trace):
    """A segment being recorded: a context manager that closes the segment on exit."""

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End the segment now (idempotent)."""
        if self._stop is None:
            self._stop = self._recorder.next_seq
            self._stop_ns = self._clock_ns()
