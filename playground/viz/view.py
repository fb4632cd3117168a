"""A frozen snapshot of trace events, with the indexes every renderer needs.

The visualiser reads traces only: a :class:`View` is built from anything that has the shape of
a :class:`~playground.trace.Trace` (``events``, ``workers``, ``start``, ``end``) or from a plain
list of events. It links each message to the call it belongs to, so that renderers can say
``get_counter()`` where the wire says ``push``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

from ..trace.stats import unawaited, unpulled
from ..trace.events import (
    AwaitEvent,
    CallEvent,
    Event,
    MessageEvent,
    StreamEvent,
    StubEvent,
)

__all__ = ["View", "view_of"]

#: Message kinds that travel from the caller to the callee of a call, keyed by the call's id.
CALLER_KINDS = frozenset({"push", "pull", "release"})
#: Message kinds that answer a call, travelling from the callee back to the caller.
ANSWER_KINDS = frozenset({"resolve", "reject"})


class View:
    """Events to draw, the lanes to draw them on, and the time span ``start``..``end`` (seconds).

    A view never changes after it is made; :meth:`until` gives a shorter one (for replay).
    """

    def __init__(
        self,
        events: Sequence[Event],
        workers: Iterable[str] = (),
        start: float | None = None,
        end: float | None = None,
        dropped: int = 0,
    ) -> None:
        self.events: tuple[Event, ...] = tuple(events)
        #: events of the span that the trace no longer kept (``Playground(trace_limit=...)``)
        self.dropped = dropped
        times = [getattr(e, "received_at", None) or e.at for e in self.events]
        self.start = start if start is not None else (self.events[0].at if self.events else 0.0)
        self.end = end if end is not None else max(times, default=self.start)
        self.workers = self._lanes(list(workers))
        self.memo: dict[str, object] = {}  # results computed once per view by the renderers

    def _lanes(self, known: list[str]) -> tuple[str, ...]:
        """Lanes in order of first appearance (the first caller on the left), then the rest."""
        seen: dict[str, None] = {}
        for e in self.events:
            if isinstance(e, MessageEvent):
                seen.setdefault(e.sender)
                seen.setdefault(e.receiver)
            elif isinstance(e, CallEvent):
                seen.setdefault(e.caller)
                seen.setdefault(e.callee)
            elif isinstance(e, StubEvent) and e.owner in known:
                seen.setdefault(e.owner)
        if not seen:
            return tuple(known)
        return tuple(seen)

    # -- events by type ----------------------------------------------------------------------

    @cached_property
    def messages(self) -> list[MessageEvent]:
        """Every message, in order."""
        return [e for e in self.events if type(e) is MessageEvent]

    @cached_property
    def calls(self) -> list[CallEvent]:
        """Every call, in order."""
        return [e for e in self.events if type(e) is CallEvent]

    @cached_property
    def awaits(self) -> list[AwaitEvent]:
        """Every await of a call's result, in order."""
        return [e for e in self.events if type(e) is AwaitEvent]

    @cached_property
    def stub_events(self) -> list[StubEvent]:
        """Every stub event, in order."""
        return [e for e in self.events if type(e) is StubEvent]

    @cached_property
    def stream_events(self) -> list[StreamEvent]:
        """Every stream flow-control event, in order."""
        return [e for e in self.events if type(e) is StreamEvent]

    # -- links between events ----------------------------------------------------------------

    @cached_property
    def _calls_by_key(self) -> dict[tuple[int, str, int], CallEvent]:
        return {(c.session, c.caller, c.id): c for c in self.calls}

    def value_of(self, m: MessageEvent) -> Any:
        """``m.value`` (its payload decoded for display), decoded once per view."""
        values = self.memo.setdefault("values", {})
        assert isinstance(values, dict)
        if m.seq not in values:
            values[m.seq] = m.value
        return values[m.seq]

    def call_of(self, m: MessageEvent) -> CallEvent | None:
        """The call a message belongs to: its push, pull and release, or its answer."""
        if m.id is None:
            return None
        if m.kind in CALLER_KINDS:
            return self._calls_by_key.get((m.session, m.sender, m.id))
        if m.kind in ANSWER_KINDS:
            return self._calls_by_key.get((m.session, m.receiver, m.id))
        return None

    @cached_property
    def messages_of_call(self) -> dict[int, list[MessageEvent]]:
        """Call seq → its messages (push, pull, answer, release), in order."""
        out: dict[int, list[MessageEvent]] = {}
        for m in self.messages:
            call = self.call_of(m)
            if call is not None:
                out.setdefault(call.seq, []).append(m)
        return out

    def _first_of_each_call(self, kinds: Iterable[str]) -> dict[int, MessageEvent]:
        out: dict[int, MessageEvent] = {}
        for seq, messages in self.messages_of_call.items():
            found = next((m for m in messages if m.kind in kinds), None)
            if found is not None:
                out[seq] = found
        return out

    @cached_property
    def pushes(self) -> dict[int, MessageEvent]:
        """Call seq → the push message that carried it."""
        return self._first_of_each_call(("push",))

    @cached_property
    def answers(self) -> dict[int, MessageEvent]:
        """Call seq → the resolve or reject that answered it."""
        return self._first_of_each_call(ANSWER_KINDS)

    @cached_property
    def unpulled(self) -> frozenset[int]:
        """Seqs of the pushes whose result was never asked for (no pull) in this view."""
        return unpulled(self.messages)

    @cached_property
    def unawaited(self) -> frozenset[int]:
        """:attr:`unpulled` less the intermediates of pipelined chains: calls never awaited."""
        return unawaited(self.messages)

    @cached_property
    def never_awaited(self) -> list[MessageEvent]:
        """The pushes of :attr:`unawaited`, in order."""
        return [m for m in self.messages if m.seq in self.unawaited]

    @cached_property
    def held_results(self) -> int:
        """Results of calls nobody asked for (no pull) and the caller did not let go (no release)
        in this view: still held on the other side, for as long as the caller's context lives
        (a chain's intermediates included, until the chain is awaited)."""
        settled = {(m.session, m.sender, m.id) for m in self.messages if m.kind in ("pull", "release")}
        # a promise disposed from outside the loop: its release leaves at the loop's next step
        let_go = {e.origin_call for e in self.stub_events if e.kind == "promise" and e.action == "let go"}
        held = 0
        for m in self.messages:
            if m.kind == "push" and (m.session, m.sender, m.id) not in settled:
                call = self.call_of(m)
                held += call is None or call.seq not in let_go
        return held

    @cached_property
    def calls_by_seq(self) -> dict[int, CallEvent]:
        """Call seq → call."""
        return {c.seq: c for c in self.calls}


def view_of(source: Any) -> View:
    """A :class:`View` of a trace, a recording, a view, or a sequence of events."""
    if isinstance(source, View):
        return source
    if hasattr(source, "events") and hasattr(source, "workers"):
        return View(source.events, source.workers, source.start, source.end, getattr(source, "dropped", 0))
    return View(list(source))
