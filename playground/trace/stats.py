"""Statistics over trace events: round trips, bytes, pipelining."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .events import CallEvent, MessageEvent

__all__ = ["depths", "longest_chain", "pipelined_calls", "round_trips", "round_trips_of"]


def depths(
    messages: Iterable[MessageEvent],
    *,
    floor: Mapping[int, tuple[int, int]] | None = None,
    cause: Mapping[int, int | None] | None = None,
    earlier: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """The depth of each counted message (calls and results), by seq.

    A message's depth is one more than its ``cause``'s — the counted message whose arrival it
    followed in the same execution context — when that cause is among ``messages``, and 1
    otherwise. Releases and other bookkeeping do not count.

    For "what if" questions (``viz.chains``, ``viz.advisor``): ``cause`` overrides a message's
    cause (``None``: no cause); ``floor[seq] = (other, steps)`` forces ``depth[seq] >=
    depth[other] + steps``, reading an ``other`` later in the log from ``earlier`` (the depths
    of a previous pass), if given.
    """
    depth: dict[int, int] = {}
    for m in messages:
        if not m.counted:
            continue
        c = cause[m.seq] if cause is not None and m.seq in cause else m.cause
        d = depth.get(c, 0) + 1 if c is not None else 1
        if floor is not None and m.seq in floor:
            other, steps = floor[m.seq]
            known = depth[other] if other in depth else earlier.get(other) if earlier is not None else None
            if known is not None:
                d = max(d, known + steps)
        depth[m.seq] = d
    return depth


def round_trips_of(depth: Mapping[int, int]) -> int:
    """Round trips for a depth table: the deepest chain divided by two, rounded up."""
    return (max(depth.values(), default=0) + 1) // 2


def longest_chain(messages: Iterable[MessageEvent]) -> int:
    """Length of the longest causal chain of counted messages (the deepest :func:`depths`)."""
    return max(depths(messages).values(), default=0)


def round_trips(messages: Iterable[MessageEvent]) -> int:
    """The longest causal chain divided by two, rounded up (a lone one-way call counts as one).

    Examples (API.md): ``await env.B.add(1, 2)`` → 1; awaiting ``get_counter()`` then calling
    ``increment()`` → 2; ``await env.S.get_counter().increment()`` → 1; two calls gathered → 1;
    A calls B, whose method awaits a call to C → 2.
    """
    return round_trips_of(depths(messages))


def pipelined_calls(calls: Iterable[CallEvent]) -> int:
    """How many calls were addressed to results that had not come back yet."""
    return sum(1 for c in calls if c.pipelined)
