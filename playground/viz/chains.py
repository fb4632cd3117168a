"""Causal chains of messages: the critical path, round-trip brackets, and what pipelining saved.

Theory of operation. Every counted message (a call or a result) has a depth: one more than the
depth of its ``cause``, the message whose arrival it followed, or 1 when it has none in view.
``round_trips`` is the deepest depth divided by two, rounded up (see ``trace.stats``). The
*critical path* follows ``cause`` back from the deepest message; pairing its steps two by two
gives the round trips to bracket on the diagram.

To ask "what would this have cost without pipelining?", depths are recomputed with extra
constraints: a pipelined call (or a call carrying a promise as a parameter) may not leave before
the result it was made on came back, i.e. two steps after that call's push. The advisor asks the
opposite question with :func:`depths` and a ``sooner`` map (see ``advisor.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..trace.events import MessageEvent
from ..trace.stats import depths, round_trips_of
from .view import ANSWER_KINDS, View

__all__ = [
    "Bracket",
    "brackets",
    "critical_path",
    "plain_depths",
    "without_pipelining",
]


def plain_depths(view: View) -> dict[int, int]:
    """:func:`depths` of a view's messages as they happened, computed once per view."""
    cached = view.memo.get("depths")
    if isinstance(cached, dict):
        return cached
    depth = view.memo["depths"] = depths(view.messages, free=view.unpulled)
    return depth


def critical_path(view: View) -> list[MessageEvent]:
    """The longest causal chain of counted messages, first message first."""
    depth = plain_depths(view)
    if not any(depth.values()):  # (calls never awaited only: no round trip to draw)
        return []
    by_seq = {m.seq: m for m in view.messages}
    deepest = max(depth, key=lambda s: (depth[s], -s))
    path = [by_seq[deepest]]
    while path[-1].cause is not None and path[-1].cause in depth:
        path.append(by_seq[path[-1].cause])
    return path[::-1]


@dataclass(frozen=True, slots=True)
class Bracket:
    """Round trip ``number`` on ``lane``: from ``start`` (a request left) to ``end`` (its answer
    arrived), along the critical path; ``first`` and ``last`` are the message seqs it spans."""

    number: int
    lane: str
    start: float
    end: float
    first: int
    last: int


def brackets(view: View) -> list[Bracket]:
    """One bracket per round trip of the critical path, drawn on the lane of its first caller.

    A round trip whose answer followed the last chunk of a stream its call carried (an upload
    read to its end) starts at that call, not at the chunk: chunks flow without round trips of
    their own, and the call that opened the stream is the round trip."""
    path = critical_path(view)
    if not path:
        return []
    lane = path[0].sender
    depth = plain_depths(view)
    out = []
    for k in range(0, len(path), 2):
        first = path[k]
        last = path[min(k + 1, len(path) - 1)]
        if first.kind == "stream" and last.kind in ANSWER_KINDS:
            call = view.call_of(last)
            push = view.pushes.get(call.seq) if call is not None else None
            if push is not None and depth.get(push.seq) == depth[first.seq] and push.sent_at <= first.sent_at:
                first = push
        end = last.received_at if last.received_at is not None else last.sent_at
        out.append(Bracket(k // 2 + 1, lane, first.sent_at, end, first.seq, last.seq))
    return out


def pipelining_floor(view: View) -> dict[int, tuple[int, int]]:
    """For each message that pipelining let leave early: the push it would have to wait for."""
    floor: dict[int, tuple[int, int]] = {}
    for m in view.messages:
        if m.kind not in ("push", "pull"):
            continue
        call = view.call_of(m)
        if call is None or not call.pipelined:
            continue
        target = call.target_call
        push = view.pushes.get(target) if target is not None else None
        if push is not None and push.seq < m.seq:
            floor[m.seq] = (push.seq, 2)
    return floor


def without_pipelining(view: View) -> int:
    """Round trips the same calls would have cost had every pipelined call awaited its target."""
    floor = pipelining_floor(view)
    if not floor:  # nothing was pipelined: the calls cost what they cost
        return round_trips_of(plain_depths(view))
    depth = depths(view.messages, floor=floor, free=view.unawaited)
    # a second pass lets a call wait for answers that came later in the log than its own push
    by_seq = {m.seq: m for m in view.messages}
    moved = False
    for seq, (push, steps) in list(floor.items()):
        call = view.call_of(by_seq[push])
        answer = view.answers.get(call.seq) if call is not None else None
        if answer is not None and answer.seq in depth and depth[answer.seq] + 1 > depth[push] + steps:
            floor[seq] = (answer.seq, 1)
            moved = True
    if not moved:
        return round_trips_of(depth)
    if any(other > seq for seq, (other, _) in floor.items()):
        depth = _settle(view.messages, floor, view.unawaited)
    else:
        depth = depths(view.messages, floor=floor, free=view.unawaited)
    return round_trips_of(depth)


def _settle(
    messages: list[MessageEvent], floor: dict[int, tuple[int, int]], free: frozenset[int]
) -> dict[int, int]:
    """Depths when floors may point forward in the log: pass again until nothing changes."""
    depth = depths(messages, floor=floor, free=free)
    for _ in range(8):
        again = depths(messages, floor=floor, earlier=depth, free=free)
        if again == depth:
            break
        depth = again
    return depth
