"""The event log of a playground (:class:`Recorder`), and read-only views over it (:class:`Trace`).

The recorder writes events into an :class:`~.store.EventLog` (packed, optionally bounded) and
hands each to its listeners as a named tuple. The runtime records the events of every call
through the typed methods (:meth:`Recorder.message`, :meth:`Recorder.call`...), which pack the
fields without building the tuple unless someone listens; anything else goes through
:meth:`Recorder.add`.
"""

from __future__ import annotations

import builtins
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .events import AwaitEvent, CallEvent, ContextEvent, Event, MessageEvent, StreamEvent, StubEvent
from .stats import pipelined_calls, round_trips
from .store import Dropped, EventLog

__all__ = ["Recorder", "Trace", "set_renderers"]

NS = 1_000_000_000
E = TypeVar("E")


class Recorder:
    """Every event of one playground, in order. Listeners see each event as it is added.

    ``limit``: keep at least the last ``limit`` events (None: all, the default; 0: none, only
    counts). See :mod:`.store`.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.events = EventLog(limit)
        self._listeners: list[Callable[[Event], None]] = []
        self._views: weakref.WeakSet[Trace] = weakref.WeakSet()
        self._lanes: dict[tuple[str, str], tuple[str, str]] = {}
        self._bind()

    def _bind(self) -> None:
        """With nobody listening, the typed methods are the log's own (no tuple is built)."""
        if self._listeners:
            for name in _TYPED:
                self.__dict__.pop(name, None)
        else:
            log = self.events
            self.message = log.append_message  # type: ignore[method-assign,assignment]
            self.call = log.append_call  # type: ignore[method-assign,assignment]
            self.await_ = log.append_await  # type: ignore[method-assign,assignment]
            self.context = log.append_context  # type: ignore[method-assign,assignment]

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next event will have."""
        return self.events.next

    @property
    def limit(self) -> int | None:
        return self.events.limit

    @limit.setter
    def limit(self, limit: int | None) -> None:
        self.events.limit = limit

    @property
    def dropped(self) -> Dropped:
        """Counts of the events no longer kept (see :class:`~.store.Dropped`)."""
        return self.events.dropped

    def add(self, event: Event) -> None:
        """Record ``event`` (its ``seq`` must be :attr:`next_seq`)."""
        self.events.append(event)
        if self._listeners:
            self._emit(event)

    # -- the runtime's hot path: fields in, no tuple unless someone listens -------------------

    def message(
        self, at_ns: int, message: tuple[Any, ...], lanes: tuple[str, str], received_ns: int | None, size: int,
        session: int, cause: int | None, counted: bool,
    ) -> int:
        """Record the :class:`MessageEvent` of protocol ``message`` (``(kind, *fields)``), sent
        now (``at_ns``) from ``lanes[0]`` to ``lanes[1]``; returns its seq. (``lanes`` is best a
        tuple shared by every message of the pair: see :meth:`lanes`.)"""
        log = self.events
        seq = log.append_message(at_ns, message, lanes, received_ns, size, session, cause, counted)
        if self._listeners:
            if seq >= log.first:
                self._emit(log[seq])
            else:  # not kept: build it for the listeners
                kept = EventLog()
                kept.append_message(at_ns, message, lanes, received_ns, size, session, cause, counted)
                self._emit(kept[0]._replace(seq=seq))
        return seq

    def call(
        self, at_ns: int, lanes: tuple[str, str], session: int, ident: int, path: tuple[Any, ...],
        is_get: bool, pipelined: bool, target_call: int | None, target_stub: int | None, where: Any,
    ) -> int:
        """Record a :class:`CallEvent` from ``lanes[0]`` (the caller) to ``lanes[1]``; returns
        its seq."""
        seq = self.events.append_call(
            at_ns, lanes, session, ident, path, is_get, pipelined, target_call, target_stub, where
        )
        if self._listeners:
            self._emit(CallEvent(
                seq, at_ns / NS, lanes[0], lanes[1], session, ident, path, is_get, pipelined, target_call,
                target_stub, where,
            ))
        return seq

    def lanes(self, sender: str, receiver: str) -> tuple[str, str]:
        """The one ``(sender, receiver)`` tuple for that pair (every event of the pair refers
        to it instead of holding its own)."""
        pair = (sender, receiver)
        return self._lanes.setdefault(pair, pair)

    def await_(self, at_ns: int, worker: str, call: int | None, where: Any) -> int:
        """Record an :class:`AwaitEvent`; returns its seq."""
        seq = self.events.append_await(at_ns, worker, call, where)
        if self._listeners:
            self._emit(AwaitEvent(seq, at_ns / NS, worker, call, where))
        return seq

    def context(self, at_ns: int, action: str, worker: str, context: int, label: str) -> int:
        """Record a :class:`ContextEvent`; returns its seq."""
        seq = self.events.append_context(at_ns, action, worker, context, label)
        if self._listeners:
            self._emit(ContextEvent(seq, at_ns / NS, action, worker, context, label))
        return seq

    # -- listeners -----------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # a broken view must not break the simulation
                self._listeners.remove(listener)
                self._bind()
                warnings.warn(
                    f"a trace listener raised {exc!r} and was unsubscribed",
                    RuntimeWarning,
                    stacklevel=3,
                )

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener(event)`` for every new event; returns a function that unsubscribes."""
        self._listeners.append(listener)
        self._bind()

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
                self._bind()

        return unsubscribe

    # -- memory --------------------------------------------------------------------------------

    def release(self) -> None:
        """Let go of the events no view still held refers to (the playground was closed)."""
        spans = [(v._start, v._stop if v._stop is not None else self.next_seq) for v in list(self._views)]
        if not spans:
            self.events.clear()
            return
        self.events.keep_only(min(s for s, _ in spans), max(e for _, e in spans))


_TYPED = ("message", "call", "await_", "context")


class _Renderers:
    """The seam between the trace and the renderers above it (the visualiser package).

    A trace can draw itself, but this layer must not import the one that draws: the package's
    ``__init__`` tells it, with :func:`set_renderers`, how to load the renderers when a trace
    is first displayed.
    """

    loader: Callable[[], Any] | None = None

    def get(self) -> Any:
        if self.loader is None:
            raise RuntimeError("No renderers: import playground (its __init__ connects them).")
        return self.loader()


_renderers = _Renderers()


def set_renderers(loader: Callable[[], Any]) -> None:
    """Connect the renderers: ``loader()`` returns the module that draws traces."""
    _renderers.loader = loader


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
        recorder._views.add(self)

    # -- the events ---------------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """Every event in this view, in order (those still kept, see :attr:`dropped`)."""
        return self._recorder.events[self._start : self._stop]

    def _of(self, kind: type[E]) -> list[E]:
        return list(self._recorder.events.iter(self._start, self._stop, kind))  # type: ignore[arg-type]

    @property
    def dropped(self) -> int:
        """How many events of this view the trace no longer keeps (``Playground(trace_limit=...)``
        keeps only the newest); the summaries cover the kept ones."""
        stop = self._recorder.next_seq if self._stop is None else self._stop
        return max(0, min(self._recorder.events.first, stop) - self._start)

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
        stop = self._recorder.next_seq if self._stop is None else self._stop
        return max(0, stop - max(self._start, self._recorder.events.first))

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
        """Longest causal chain of calls and results, divided by two (see docs/design.md, "Round trips, precisely")."""
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
        messages = self.messages
        summary: dict[str, Any] = {
            "round_trips": round_trips(messages),
            "elapsed": self.elapsed,
            "calls": len(calls),
            "pipelined": pipelined_calls(calls),
            "messages": len(messages),
            "bytes": sum(m.size for m in messages),
        }
        dropped = self.dropped
        if dropped:
            summary["dropped"] = dropped
        return summary

    # -- seeing it: thin doors into the renderers, loaded only when used (see _Renderers) ------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return _renderers.get().mimebundle(self)  # type: ignore[no-any-return]

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        yield _renderers.get().TraceRenderable(self)

    def to_svg(self, path: str | None = None, *, compact: bool | None = None) -> str:
        """The timed sequence diagram as SVG text (also written to ``path`` if given).

        ``compact=True`` draws each run of 5 or more stream writes and acks as one row
        (``write 32 KiB ×28``); by default (``None``) only runs of more than 24; ``False`` never."""
        svg: str = _renderers.get().render_svg(self, compact=compact)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
        return svg

    def to_png(self, path: str | None = None, *, scale: float = 2, compact: bool | None = None) -> builtins.bytes:
        """The diagram as PNG bytes, ``scale`` times the SVG's size (also written to ``path`` if
        given); ``compact`` as for :meth:`to_svg`. Needs resvg-py: ``pip install 'workers-rpc-playground[png]'``."""
        return _renderers.get().to_png(self, path, scale=scale, compact=compact)  # type: ignore[no-any-return]

    def to_html(self, *, inline: bool = False) -> str:
        """HTML: a data-URI image (safe in saved notebooks) or, ``inline``, the SVG itself."""
        return _renderers.get().render_html(self, inline=inline)  # type: ignore[no-any-return]

    def to_mermaid(self) -> str:
        """A Mermaid ``sequenceDiagram``."""
        return _renderers.get().to_mermaid(self)  # type: ignore[no-any-return]

    def to_perfetto(self, path: str | None = None) -> str:
        """Chrome trace JSON for ui.perfetto.dev (also written to ``path`` if given)."""
        return _renderers.get().to_perfetto(self, path)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """Summary, lanes, advice and every event, as JSON text."""
        return _renderers.get().to_json(self)  # type: ignore[no-any-return]

    def advice(self) -> list[Any]:
        """Awaits that pipelining would remove, each with the round trips it would save."""
        renderers = _renderers.get()
        return renderers.advise(renderers.view_of(self))  # type: ignore[no-any-return]

    def replay(self) -> Any:
        """ipywidgets controls (play, step, time slider, highlight a call) over this trace."""
        return _renderers.get().replay(self)

    def show(self) -> None:
        """Draw it now: inline SVG with tooltips in Jupyter, a rich table in a terminal."""
        _renderers.get().show(self)

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
