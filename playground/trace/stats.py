"""Statistics over trace events: round trips, bytes, pipelining."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from .events import CallEvent, MessageEvent

__all__ = ["depths", "longest_chain", "pipelined_calls", "round_trips", "round_trips_of", "unawaited", "unpulled"]


def unpulled(messages: Iterable[MessageEvent]) -> frozenset[int]:
    """The seqs of the pushes whose result nobody asked for: no pull for the same question (same
    session, sender and id) among ``messages``. The call still runs on the other side, but its
    result never comes back, so its push costs the caller no round trip (see :func:`depths`).
    The intermediates of a pipelined chain are among them (only the end of a chain is pulled)."""
    return _without_pull(messages, chains=False)


def unawaited(messages: Iterable[MessageEvent]) -> frozenset[int]:
    """:func:`unpulled`, less the intermediates of pipelined chains (a push was addressed to
    their result): the calls sent and never awaited."""
    return _without_pull(messages, chains=True)


def _without_pull(messages: Iterable[MessageEvent], *, chains: bool) -> frozenset[int]:
    asked: set[tuple[int, str, int | None]] = set()
    pushes = []
    for m in messages:
        if m.kind == "push":
            pushes.append(m)
            if chains and m.target is not None:
                asked.add((m.session, m.sender, m.target))
        elif m.kind == "pull":
            asked.add((m.session, m.sender, m.id))
    return frozenset(m.seq for m in pushes if (m.session, m.sender, m.id) not in asked)


def depths(
    messages: Iterable[MessageEvent],
    *,
    floor: Mapping[int, tuple[int, int]] | None = None,
    cause: Mapping[int, int | None] | None = None,
    earlier: Mapping[int, int] | None = None,
    free: Collection[int] = (),
) -> dict[int, int]:
    """The depth of each counted message (calls and results), by seq.

    A message's depth is one more than its ``cause``'s — the counted message whose arrival it
    followed in the same execution context — when that cause is among ``messages``, and 1
    otherwise. Releases and other bookkeeping do not count.

    For "what if" questions (``viz.chains``, ``viz.advisor``): ``cause`` overrides a message's
    cause (``None``: no cause); ``floor[seq] = (other, steps)`` forces ``depth[seq] >=
    depth[other] + steps``, reading an ``other`` later in the log from ``earlier`` (the depths
    of a previous pass), if given.

    A push in ``free`` (see :func:`unpulled`: nobody asked for its result) adds no step: its
    depth is its cause's (0 without one), so it adds no round trip, while what it made the other
    side do still counts.
    """
    depth: dict[int, int] = {}
    for m in messages:
        if not m.counted:
            continue
        c = cause[m.seq] if cause is not None and m.seq in cause else m.cause
        d = depth.get(c, 0) + 1 if c is not None else 1
        if free and m.seq in free:
            d -= 1
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
    """Length of the longest causal chain of counted messages (the deepest :func:`depths`;
    a call never awaited adds no step)."""
    messages = list(messages)
    return max(depths(messages, free=unpulled(messages)).values(), default=0)


def round_trips(messages: Iterable[MessageEvent]) -> int:
    """The longest causal chain divided by two, rounded up (a call sent but never awaited adds
    nothing: its result never came back, see :func:`unpulled`).

    Examples (docs/design.md, "Round trips, precisely"): ``await env.B.add(1, 2)`` → 1; awaiting ``get_counter()`` then calling
    ``increment()`` → 2; ``await env.S.get_counter().increment()`` → 1; two calls gathered → 1;
    A calls B, whose method awaits a call to C → 2; ``env.B.add(1, 2)`` never awaited → 0.
    """
    messages = list(messages)
    return round_trips_of(depths(messages, free=unpulled(messages)))


def pipelined_calls(calls: Iterable[CallEvent]) -> int:
    """How many calls were addressed to results that had not come back yet."""
    return sum(1 for c in calls if c.pipelined)
