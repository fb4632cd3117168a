"""What the diagram shows, as plain data: arrows, flights, stub lifetimes, round trips, summary.

:func:`build` reads a :class:`~playground.viz.view.View` once and returns a :class:`Diagram`;
every renderer (SVG, rich, Mermaid, Perfetto) draws from it, so they all agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..trace.events import FaultEvent, MessageEvent, StubEvent, Where
from .advisor import Advice, advise_together
from ..trace.stats import pipelined_calls, round_trips_of
from .chains import Bracket, brackets, plain_depths, without_pipelining
from .labels import ms_text, role
from .view import View

__all__ = ["Diagram", "Flight", "Lifetime", "Summary", "build"]

#: Stub actions that end a stub's life on its owner's lane.
ENDINGS = frozenset({"disposed", "released", "settled", "transferred", "leaked", "let go"})


@dataclass(frozen=True, slots=True)
class Flight:
    """Messages that left ``lane`` together at ``at``, at least one of them pipelined."""

    number: int
    lane: str
    at: float
    seqs: tuple[int, ...]
    calls: int


@dataclass(slots=True)
class Lifetime:
    """One stub on its owner's lane: from ``start`` to ``end`` (``None``: still alive)."""

    stub: int
    owner: str
    target: str
    where: Where | None
    start: float
    end: float | None = None
    ended_by: str = ""
    kind: str = "stub"
    managed: bool = False
    marks: list[tuple[float, str]] = field(default_factory=list)
    events: list[StubEvent] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        """Still alive at the end of the view (a leak, once the cell is over)."""
        return self.end is None


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline numbers of a view."""

    round_trips: int
    elapsed: float
    calls: int
    pipelined: int
    messages: int
    bytes: int
    leaks: int
    without_pipelining: int  # -1: not computed (live frames)
    dropped: int = 0  # earlier events the trace did not keep (its figures cover the rest)
    never_awaited: int = 0  # calls sent whose result nobody asked for (no pull)

    @property
    def shows_saving(self) -> bool:
        """Is there a saving to state (computed, and pipelining was used or made a difference)?"""
        if self.without_pipelining < 0 or self.round_trips == 0:  # (nothing came back: no saving)
            return False
        return self.pipelined > 0 or self.without_pipelining != self.round_trips

    def headline(self) -> str:
        """``1 round trip · 50 ms``."""
        return f"{_count(self.round_trips, 'round trip')} · {ms_text(self.elapsed * 1000)} ms"

    def details(self) -> list[str]:
        """Calls (how many pipelined), messages, bytes and leaks, each as words; and how many
        earlier events the trace did not keep, if any."""
        details = [
            _count(self.calls, "call") + f" ({self.pipelined:,} pipelined)",
            _count(self.messages, "message"),
            _count(self.bytes, "byte"),
            _count(self.leaks, "leak"),
        ]
        if self.never_awaited:
            details.append(f"{self.never_awaited:,} never awaited")
        if self.dropped:
            details.append(f"{_count(self.dropped, 'earlier event')} not kept (trace_limit): not counted")
        return details

    def saving(self) -> str:
        """``without pipelining: 2 round trips``, or nothing when there is no saving to state."""
        return f"without pipelining: {_count(self.without_pipelining, 'round trip')}" if self.shows_saving else ""

    def line(self) -> str:
        """One line: round trips, time, calls, messages, bytes, leaks, and the saving."""
        return " · ".join([self.headline(), *self.details(), *filter(None, [self.saving()])])


def _count(k: int, word: str) -> str:
    return f"{k:,} {word}" + ("" if k == 1 else "s")


@dataclass(slots=True)
class Diagram:
    """Everything a renderer draws, computed once from a view."""

    view: View
    lanes: tuple[str, ...]
    messages: list[MessageEvent]
    flights: list[Flight]
    flight_of: dict[int, int]
    lifetimes: list[Lifetime]
    brackets: list[Bracket]
    summary: Summary
    advice: list[Advice]
    #: what taking every tip at once would make of the round trips (with two tips or more)
    together: str = ""
    #: words under the diagram on what it shows that could be misread
    notes: list[str] = field(default_factory=list)
    #: calls that failed at once, sending nothing (``failed`` faults)
    failed: list[FaultEvent] = field(default_factory=list)

    def after_end(self, m: MessageEvent) -> str:
        """What to add to the words of a message still on the way after the end of what the
        summary counts: `` (not counted)`` for bookkeeping (a release), else `` (after the end)``."""
        if max(m.sent_at, m.received_at or m.sent_at) <= self.view.end:
            return ""
        return " (after the end)" if m.counted else " (not counted)"

    def after_end_note(self) -> str:
        """A sentence on the messages still on the way after the end, if any (for views that
        draw no end line: the terminal's)."""
        view = self.view
        late = [m for m in self.messages if self.after_end(m)]
        if not late:
            return ""
        kinds: dict[str, int] = {}
        for m in late:
            kinds[role(m)] = kinds.get(role(m), 0) + 1
        what = ", ".join(_count(n, kind) for kind, n in kinds.items())
        counted = "not in the time" if any(m.counted for m in late) else "bookkeeping, not in the round trips or the time"
        arrive = "arrives" if len(late) == 1 else "arrive"
        return f"{what} {arrive} after the end ({ms_text((view.end - view.start) * 1000)} ms): {counted}."


def _flights(view: View) -> tuple[list[Flight], dict[int, int]]:
    groups: dict[tuple[str, float], list[MessageEvent]] = {}
    for m in view.messages:
        if m.counted and m.kind in ("push", "pull"):
            groups.setdefault((m.sender, m.sent_at), []).append(m)
    flights: list[Flight] = []
    flight_of: dict[int, int] = {}
    for (lane, at), group in groups.items():
        if len(group) < 2:
            continue  # a flight is two calls or more
        calls = [view.call_of(m) for m in group if m.kind == "push"]
        dependent = any(c is not None and c.pipelined for c in calls)
        if len(calls) < 2 or not dependent:
            continue
        number = len(flights) + 1
        flights.append(Flight(number, lane, at, tuple(m.seq for m in group), len(calls)))
        for m in group:
            flight_of[m.seq] = number
    return flights, flight_of


def _lifetimes(view: View) -> list[Lifetime]:
    alive: dict[int, Lifetime] = {}
    out: list[Lifetime] = []
    for s in view.stub_events:
        if s.stub == 0:  # an exported target's disposer or release: not a handle
            continue
        life = alive.get(s.stub)
        if life is None:
            made_before = s.action not in ("created", "dup")
            if made_before and s.kind == "promise":
                continue  # a promise whose making was not traced: nothing to draw a bar from
            life = Lifetime(s.stub, s.owner, s.target, s.where, view.start if made_before else s.at, kind=s.kind, managed=s.managed)
            alive[s.stub] = life
            out.append(life)
        life.events.append(s)
        if s.action in ENDINGS:
            life.end, life.ended_by = s.at, s.action
            del alive[s.stub]
        elif s.action != "created":
            life.marks.append((s.at, s.action))
    return out


def build(view: View, *, complete: bool = True) -> Diagram:
    """Read ``view`` once: everything the renderers need.

    ``complete=False`` (live frames while a cell runs) skips the advisor and the round trips
    without pipelining, which only the final frame needs.
    """
    messages = view.messages
    calls = view.calls
    lifetimes = _lifetimes(view)
    flights, flight_of = _flights(view)
    pipelined = pipelined_calls(calls)
    summary = Summary(
        round_trips=round_trips_of(plain_depths(view)),
        elapsed=view.end - view.start,
        calls=len(calls),
        pipelined=pipelined,
        messages=len(messages),
        bytes=sum(m.size for m in messages),
        leaks=sum(1 for life in lifetimes if life.alive and not life.managed) + view.held_results,
        without_pipelining=without_pipelining(view) if complete else -1,
        dropped=view.dropped,
        never_awaited=len(view.never_awaited),
    )
    advice, with_tips = advise_together(view) if complete else ([], -1)
    together = ""
    if len(advice) > 1:
        together = f"All {len(advice)} tips taken together: {_count(summary.round_trips, 'round trip')} → {with_tips:,}."
    failed = [e for e in view.events if type(e) is FaultEvent and e.action == "failed"]
    notes = []
    chunks = sum(1 for m in messages if m.kind == "stream")
    if chunks:
        notes.append(
            f"Streams: {_count(chunks, 'chunk')} (writes and closes) flowed without round trips of their own, "
            "under flow control (their acks are bookkeeping, not answers); a stream's round trip is the call "
            "that carried it, until its answer."
        )
    return Diagram(
        view, view.workers, messages, flights, flight_of, lifetimes, brackets(view), summary, advice, together,
        notes, failed,
    )
