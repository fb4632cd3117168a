"""Statistics over trace events: round trips, bytes, pipelining."""

from __future__ import annotations

from collections.abc import Iterable

from .events import CallEvent, MessageEvent

__all__ = ["round_trips", "longest_chain"]


def longest_chain(messages: Iterable[MessageEvent]) -> int:
    """Length of the longest causal chain of counted messages (calls and results).

    A message's chain is one more than the chain of its ``cause`` — the counted message whose
    arrival it followed in the same execution context — when that cause is among ``messages``,
    and 1 otherwise. Releases and other bookkeeping do not count.
    """
    chain: dict[int, int] = {}
    longest = 0
    for m in messages:
        if not m.counted:
            continue
        length = chain.get(m.cause, 0) + 1 if m.cause is not None else 1
        chain[m.seq] = length
        if length > longest:
            longest = length
    return longest


def round_trips(messages: Iterable[MessageEvent]) -> int:
    """The longest causal chain divided by two, rounded up (a lone one-way call counts as one).

    Examples (API.md): ``await env.B.add(1, 2)`` → 1; awaiting ``get_counter()`` then calling
    ``increment()`` → 2; ``await env.S.get_counter().increment()`` → 1; two calls gathered → 1;
    A calls B, whose method awaits a call to C → 2.
    """
    return (longest_chain(messages) + 1) // 2


def pipelined_calls(calls: Iterable[CallEvent]) -> int:
    """How many calls were addressed to results that had not come back yet."""
    return sum(1 for c in calls if c.pipelined)
