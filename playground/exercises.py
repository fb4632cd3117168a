"""Checks for the course exercises (``notebooks/exercises/``): each reads a playground's trace
and says, in words, what is still wrong, or that the exercise is solved.

Every check takes the :class:`~playground.Playground` the exercise's code ran in (``check_1(play)``)
and reads its whole trace (``play.trace``: round trips, calls, messages, stream events, faults)
and its live stubs (``play.leaks()``). Each exercise cell makes a fresh playground, so run the
cell again after every change, then the check. A check returns a :class:`CheckResult`:
``.passed``, ``.hints`` (one sentence or more per problem), shown as text (``str``) or as a box
in Jupyter.

>>> from playground import Playground
>>> with Playground() as play:
...     print(check_1(play))
Exercise 1 (make this chain one round trip): not yet.
- No call to `increment()` was made: call `get_counter()`, then `increment()` on what it gives.
"""

from __future__ import annotations

import html
from collections import Counter as _Tally
from collections.abc import Callable
from dataclasses import dataclass, field

from .runtime.world import Playground
from .trace.events import CallEvent, FaultEvent, StreamEvent
from .trace.recorder import Trace
from .viz import advise, view_of
from .viz.labels import where_text

__all__ = ["CheckResult", "TITLES", "check", "check_1", "check_2", "check_3", "check_4", "check_5", "check_6"]

#: The exercises, by number.
TITLES = {
    1: "make this chain one round trip",
    2: "find and fix the leak",
    3: "pass a callback",
    4: "survive a Durable Object crash",
    5: "add back-pressure to a stream",
    6: "forward a stub through three workers",
}


@dataclass(frozen=True)
class CheckResult:
    """What a check found: ``passed``, the ``hints`` still to act on, and ``praise`` (what the
    trace shows when it passed)."""

    exercise: int
    hints: list[str] = field(default_factory=list)
    praise: str = ""

    @property
    def passed(self) -> bool:
        return not self.hints

    @property
    def title(self) -> str:
        return f"Exercise {self.exercise} ({TITLES[self.exercise]})"

    def __str__(self) -> str:
        if self.passed:
            return f"{self.title}: passed. {self.praise}".rstrip()
        return f"{self.title}: not yet.\n" + "\n".join(f"- {hint}" for hint in self.hints)

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.passed

    def _repr_markdown_(self) -> str:
        if self.passed:
            return f"✅ **{self.title}: passed.** {self.praise}".rstrip()
        return f"❌ **{self.title}: not yet.**\n\n" + "\n".join(f"- {hint}" for hint in self.hints)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b35900"
        if self.passed:
            body = f"<b>✅ {html.escape(self.title)}: passed.</b> {html.escape(self.praise)}"
        else:
            items = "".join(f"<li>{html.escape(hint)}</li>" for hint in self.hints)
            body = f"<b>❌ {html.escape(self.title)}: not yet.</b><ul style='margin:0.3em 0 0 0'>{items}</ul>"
        return f"<div style='border-left:4px solid {colour};padding:0.3em 0.8em'>{body}</div>"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _calls(trace: Trace, method: str, *, caller: str | None = None, callee: str | None = None) -> list[CallEvent]:
    return [
        c for c in trace.calls
        if c.path and c.path[-1] == method and caller in (None, c.caller) and callee in (None, c.callee)
    ]


def _leak_hints(play: Playground) -> list[str]:
    """One sentence per line of code whose stubs were never disposed."""
    places = _Tally((s.where, s.kind, s.target) for s in play.leaks())
    hints = []
    for (where, kind, target), times in places.items():
        how = f" ({times} times)" if times > 1 else ""
        hints.append(
            f"{_plural(times, kind)} never disposed: {target}, made at {where_text(where)}{how}. "
            f"Dispose each one when you are done with it: `with ... as name:` or `name.dispose()`."
        )
    return hints


def _check_play(play: object, exercise: int, workers: tuple[str, ...]) -> list[str]:
    if not isinstance(play, Playground):
        raise TypeError(
            f"check_{exercise}() takes the Playground the exercise ran in (check_{exercise}(play)); "
            f"got {type(play).__name__}."
        )
    missing = [w for w in workers if w not in play.workers]
    if missing:
        return [f"This playground has no worker {missing[0]!r}: run the exercise cell (it makes the playground), then the check."]
    return []


def check_1(play: Playground) -> CheckResult:
    """Exercise 1: ``increment()`` on the counter from ``get_counter()``, in one round trip."""
    hints = _check_play(play, 1, ("counter-service", "client"))
    if hints:
        return CheckResult(1, hints)
    trace = play.trace
    if not _calls(trace, "increment", callee="counter-service"):
        return CheckResult(1, ["No call to `increment()` was made: call `get_counter()`, then `increment()` on what it gives."])
    trips = trace.round_trips
    if trips > 1:
        advice = [str(a) for a in advise(view_of(trace))]
        why = " ".join(advice) or (
            "An `await` waits a whole round trip: call `increment()` on the promise `get_counter()` "
            "returns, without awaiting it first (pipelining)."
        )
        hints.append(f"{_plural(trips, 'round trip')}: {why} Aim: 1 round trip.")
    hints += _leak_hints(play)
    return CheckResult(1, hints, "1 round trip: `increment()` left with `get_counter()`, addressed to its result.")


def check_2(play: Playground) -> CheckResult:
    """Exercise 2: three greetings, and no stub left undisposed."""
    hints = _check_play(play, 2, ("greeters", "client"))
    if hints:
        return CheckResult(2, hints)
    greets = len(_calls(play.trace, "greet", caller="client"))
    if greets < 3:
        hints.append(f"{_plural(greets, 'call')} to `greet()`: greet all three people, each with their own greeter.")
    hints += _leak_hints(play)
    return CheckResult(2, hints, "Three greetings, and every greeter disposed: `greeters` can free them.")


def check_3(play: Playground) -> CheckResult:
    """Exercise 3: the sensor calls the client back with each reading; the client does not poll."""
    hints = _check_play(play, 3, ("sensor", "client"))
    if hints:
        return CheckResult(3, hints)
    trace = play.trace
    polls = len(_calls(trace, "read", caller="client"))
    callbacks = [c for c in trace.calls if c.caller == "sensor" and c.callee == "client"]
    if polls:
        hints.append(
            f"The client called `read()` {_plural(polls, 'time')}: it is polling, a round trip each, "
            "asking whether or not there is news. Stop calling `read()`."
        )
    if len(callbacks) < 3:
        hints.append(
            f"The sensor called the client back {_plural(len(callbacks), 'time')}: pass a function to "
            "`watch()` (`await env.SENSOR.watch(on_reading)`); the sensor calls it with each of its 3 readings."
        )
    hints += _leak_hints(play)
    return CheckResult(3, hints, "The client made one call; the sensor called your function back with each reading.")


def _results(trace: Trace, calls: list[CallEvent]) -> list[object]:
    """The values the calls returned, in the order they came back (calls that failed: none)."""
    asked = {(c.session, c.callee, c.id) for c in calls}
    return [
        m.value for m in trace.messages
        if m.kind == "resolve" and (m.session, m.sender, m.id) in asked
    ]


def check_4(play: Playground) -> CheckResult:
    """Exercise 4: all five votes counted, across a crash of the Durable Object's worker."""
    hints = _check_play(play, 4, ("tallies", "client"))
    if hints:
        return CheckResult(4, hints)
    trace = play.trace
    crashes = [e for e in trace.events if isinstance(e, FaultEvent) and e.action == "crash" and e.a == "tallies"]
    if not crashes:
        return CheckResult(4, ['No crash happened: keep `play.crash("tallies")`; surviving it is the exercise.'])
    crashed = crashes[0].at
    adds = _calls(trace, "add", callee="tallies")
    counts = _results(trace, adds)
    after = _results(trace, [c for c in adds if c.at >= crashed])
    if not after:
        hints.append(
            "No vote was counted after the crash: the old stub broke (ConnectionLost) and stays broken. "
            "When a call fails with ConnectionLost, get a new stub from the namespace "
            "(`env.TALLY.get(...)`) and call again."
        )
    elif len(counts) < 5:
        hints.append(f"Only {len(counts)} of the 5 votes were counted: retry each vote that failed with ConnectionLost.")
    if counts and counts[-1] != len(counts):
        hints.append(
            f"The last count was {counts[-1]}, yet {len(counts)} votes were counted: the count lived in memory "
            "(`self.count`), which a crash wipes. Keep it in the object's storage: "
            "`await self.ctx.storage.get(...)` and `await self.ctx.storage.put(...)`."
        )
    return CheckResult(4, hints, "5 votes counted across the crash: a new stub, and the count kept in storage.")


def check_5(play: Playground) -> CheckResult:
    """Exercise 5: the frames flow as a stream, under the window, not in one message."""
    hints = _check_play(play, 5, ("camera", "viewer"))
    if hints:
        return CheckResult(5, hints)
    trace = play.trace
    chunks = [e for e in trace.stream_events if e.action == "chunk" and e.sender == "camera"]
    if not chunks:
        biggest = max((m.size for m in trace.messages if m.sender == "camera"), default=0)
        return CheckResult(5, [
            f"The frames came back in one message of {biggest:,} bytes: the camera made every frame before "
            "the viewer showed one, and nothing could slow it down. Return a `ReadableStream` "
            "(`ReadableStream.from_iterable(...)` of a generator) and read it with `async for`: "
            "then the camera sends at most a window ahead of the viewer."
        ])
    sent = sum(e.size for e in chunks)
    if sent < 64 * 16 * 1024:
        hints.append(f"Only {sent:,} bytes were streamed: send all 64 frames of 16 KiB (1,048,576 bytes).")
    stalls = sum(1 for e in _stream_of(trace, "camera") if e.action == "stall")
    peak = max(e.in_flight for e in chunks)
    return CheckResult(
        5, hints,
        f"The frames flowed as a stream: at most {peak // 1024} KiB in flight, and the camera waited "
        f"{_plural(stalls, 'time')} for the viewer (back-pressure).",
    )


def _stream_of(trace: Trace, sender: str) -> list[StreamEvent]:
    return [e for e in trace.stream_events if e.sender == sender]


def check_6(play: Playground) -> CheckResult:
    """Exercise 6: the auditor's calls on the stub reach the counter in ``counter-service``."""
    hints = _check_play(play, 6, ("counter-service", "auditor", "introducer"))
    if hints:
        return CheckResult(6, hints)
    trace = play.trace
    made = _calls(trace, "increment", caller="auditor")
    forwarded = [c for c in _calls(trace, "increment", caller="introducer", callee="counter-service") if c.where is None]
    if not made:
        hints.append("The auditor made no call to `increment()`: pass it a counter, `await env.AUDITOR.audit(counter)`.")
    elif len(forwarded) < len(made):
        hints.append(
            f"The auditor's {_plural(len(made), 'call')} to `increment()` ran in introducer, not in counter-service: "
            "the counter you passed was made here, so the one in counter-service never changed. Pass the stub "
            "`get_counter()` gave you: the auditor's calls on it are forwarded through introducer to counter-service."
        )
    hints += _leak_hints(play)
    return CheckResult(6, hints, f"The auditor's {_plural(len(made), 'call')} went through introducer to the counter in counter-service.")


_CHECKS: dict[int, Callable[[Playground], CheckResult]] = {
    1: check_1, 2: check_2, 3: check_3, 4: check_4, 5: check_5, 6: check_6,
}


def check(exercise: int, play: Playground) -> CheckResult:
    """``check(n, play)`` is ``check_n(play)``."""
    if exercise not in _CHECKS:
        raise ValueError(f"There is no exercise {exercise!r}; the exercises are {', '.join(map(str, _CHECKS))}.")
    return _CHECKS[exercise](play)

