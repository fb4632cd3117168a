"""The pipelining advisor: awaits that cost a round trip for nothing.

An ``await`` is flagged when the stub it produced was used for exactly one thing: as the target
of the next call the same worker made. Calling that method on the promise instead (pipelining)
sends both calls in one flight. The saving is measured, not guessed: the causal depths are
recomputed as if the second call had left together with the first (see ``chains.py``).
"""

from __future__ import annotations

import bisect
import linecache
from dataclasses import dataclass

from ..trace.events import CallEvent, Where
from ..trace.stats import depths, round_trips_of
from .chains import plain_depths
from .labels import call_label, where_text
from .view import View

__all__ = ["Advice", "advise", "advise_together"]


@dataclass(frozen=True, slots=True)
class Advice:
    """One line of user code whose await could be pipelined away.

    ``awaited`` is the call whose result was awaited, ``then`` the only call made on it; ``times``
    how often that line did so in the trace; ``saved`` the round trips pipelining there would
    save on its own (0 for an await on one of two parallel chains, which only saves together
    with the tips on the other: see :func:`advise_together`).
    """

    where: Where | None
    code: str
    awaited: str
    then: str
    times: int
    saved: int

    def __str__(self) -> str:
        times = f" ({self.times} times)" if self.times > 1 else ""
        code = f" `{self.code}`" if self.code else ""
        trips = "round trip" if self.saved == 1 else "round trips"
        gain = (
            f" to save {self.saved} {trips}." if self.saved > 0 else
            ": alone that saves nothing (a chain as long runs beside it), together with the other tips it does."
        )
        return (
            f"{where_text(self.where)}{code}{times}: awaits {self.awaited} only to call {self.then} "
            f"on the result. Call it on the promise instead (pipelining){gain}"
        )


def _candidates(view: View) -> list[tuple[CallEvent, CallEvent, Where | None]]:
    """(awaited call, the one call made on its result, where the await was) for each match."""
    result_stubs: dict[int, list[int]] = {}
    spoiled: set[int] = set()
    for s in view.stub_events:
        if s.action in ("dup", "transferred"):
            spoiled.add(s.stub)
        if s.action != "created" or s.origin_call is None:
            continue
        answer = view.answers.get(s.origin_call)
        if answer is not None and answer.received_at is not None and s.at >= answer.received_at:
            result_stubs.setdefault(s.origin_call, []).append(s.stub)
    stub_users: dict[int, list[CallEvent]] = {}
    pipelined_on: set[int] = set()
    for c in view.calls:
        if c.target_stub is not None:
            stub_users.setdefault(c.target_stub, []).append(c)
        if c.pipelined and c.target_call is not None:
            pipelined_on.add(c.target_call)
    calls_of: dict[str, list[int]] = {}  # caller → its call seqs, ascending
    for c in view.calls:
        calls_of.setdefault(c.caller, []).append(c.seq)
    out = []
    for a in view.awaits:
        call = view.calls_by_seq.get(a.call) if a.call is not None else None
        stubs = result_stubs.get(a.call, []) if a.call is not None else []
        if call is None or not stubs or call.seq in pipelined_on or spoiled.intersection(stubs):
            continue
        users = [u for s in stubs for u in stub_users.get(s, [])]
        if len(users) != 1 or users[0].caller != call.caller or users[0].seq < a.seq:
            continue
        nxt = users[0]
        mine = calls_of[call.caller]
        if bisect.bisect_right(mine, a.seq) == bisect.bisect_left(mine, nxt.seq):  # no call between
            out.append((call, nxt, a.where))
    return out


def _saving(view: View, pairs: list[tuple[CallEvent, CallEvent, Where | None]], base: int) -> int:
    """Round trips saved if each second call had left together with the first. In a chain
    (``b = await a.next(); c = await b.next()``) the first call of one pair is the second of
    the one before: it leaves when that one's first does, and so do the calls that follow it."""
    cause: dict[int, int | None] = {}
    for first, second, _ in sorted(pairs, key=lambda pair: pair[0].seq):
        push = view.pushes.get(first.seq)
        if push is None:
            continue
        for m in view.messages_of_call.get(second.seq, ()):
            if m.kind in ("push", "pull"):
                cause[m.seq] = cause.get(push.seq, push.cause)
    if not cause:
        return 0
    return base - round_trips_of(depths(view.messages, cause=cause, free=view.unpulled))


def _source(where: Where | None) -> str:
    """The user's line, without a trailing comment (best effort: a ``#`` inside a string stays)."""
    if where is None:
        return ""
    line = linecache.getline(where[0], where[1]).strip()
    if " #" in line and line.count("'") + line.count('"') == 0:
        line = line.split(" #", 1)[0].rstrip()
    elif " # " in line:
        line = line.rsplit(" # ", 1)[0].rstrip()
    return line


def advise(view: View) -> list[Advice]:
    """Every line whose await could have been pipelined, with the round trips it would save."""
    return advise_together(view)[0]


def advise_together(view: View) -> tuple[list[Advice], int]:
    """:func:`advise`, and the round trips the calls would take with every tip taken at once
    (-1 when there is no tip).

    Each tip's saving is its own, and savings need not add up: tips along one chain do, but an
    await on one of two parallel chains saves nothing alone (the other is as long) and a round
    trip together with the tips on the other. Such an await is a tip too (``saved`` 0) when
    leaving it out of the others would cost a round trip."""
    found = _candidates(view)
    if not found:
        return [], -1
    base = round_trips_of(plain_depths(view))
    by_line: dict[tuple[Where | None, str, str], list[tuple[CallEvent, CallEvent, Where | None]]] = {}
    for first, second, where in found:
        key = (where or first.where, call_label(first), call_label(second))
        by_line.setdefault(key, []).append((first, second, where))
    alone = {key: _saving(view, pairs, base) for key, pairs in by_line.items()}
    chosen = [key for key, saved in alone.items() if saved > 0]

    def together(keys: list[tuple[Where | None, str, str]]) -> int:
        """Round trips saved by taking the tips of ``keys`` at once (one pass, or none)."""
        if len(keys) == 1:
            return alone[keys[0]]
        return _saving(view, [pair for key in keys for pair in by_line[key]], base) if keys else 0

    idle = [key for key, saved in alone.items() if saved == 0]
    if idle and len(idle) <= 20:
        best = together(list(by_line))
        if best > together(chosen):
            for key in idle:  # an await that only saves with the others: a tip if they need it
                if together([other for other in by_line if other != key]) < best:
                    chosen.append(key)
    if not chosen:
        return [], -1
    advice = []
    for key in by_line:
        if key in chosen:
            where, awaited, then = key
            advice.append(Advice(where, _source(where), awaited, then, len(by_line[key]), alone[key]))
    return advice, base - together(chosen)
