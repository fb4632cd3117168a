"""The pipelining advisor and the 'without pipelining' saving."""

from __future__ import annotations

import asyncio

import scenes
from conftest import texts

from playground import dispose
from playground.viz import advise, build, render_svg, summary, view_of


def _advice(rec):
    return advise(view_of(rec))


def test_an_await_only_used_to_call_the_next_method_is_flagged_with_its_line():
    play, rec = scenes.awaited_counter()
    [tip] = _advice(rec)
    assert tip.where[0].endswith("scenes.py")
    assert tip.code == "with await env.COUNTER_SERVICE.get_counter() as counter:"
    assert (tip.awaited, tip.then, tip.times, tip.saved) == ("get_counter()", "increment()", 1, 1)
    assert "save 1 round trip." in str(tip)


def test_pipelined_code_gets_no_advice():
    play, rec = scenes.pipelined_counter()
    assert _advice(rec) == []


def test_a_result_used_twice_is_not_flagged():
    play = scenes.counter_world()
    env = play.env("client")

    async def main():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            await counter.increment()
            await counter.increment()

    with play.record() as rec:
        play.run(main())
    assert _advice(rec) == []


def test_a_call_in_between_keeps_the_await():
    play = scenes.counter_world()
    env = play.env("client")

    async def main():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            with await env.COUNTER_SERVICE.get_counter() as other:
                await other.increment()
            await counter.increment()

    with play.record() as rec:
        play.run(main())
    flagged = [(a.awaited, a.then) for a in _advice(rec)]
    assert len(flagged) == 1  # only the inner one: its result was used by the very next call


def test_a_loop_is_one_tip_counting_every_time_and_every_round_trip_saved():
    play = scenes.counter_world()
    env = play.env("client")

    async def main():
        for _ in range(3):
            with await env.COUNTER_SERVICE.get_counter() as counter:
                await counter.increment()

    with play.record() as rec:
        play.run(main())
    [tip] = _advice(rec)
    assert tip.times == 3 and tip.saved == 3
    assert rec.round_trips == 6


def test_without_pipelining_counts_the_round_trips_pipelining_saved():
    play, rec = scenes.pipelined_counter()
    s = summary(rec)
    assert (s.round_trips, s.pipelined, s.without_pipelining) == (1, 1, 2)
    play, rec = scenes.awaited_counter()
    s = summary(rec)
    assert (s.round_trips, s.pipelined, s.without_pipelining) == (2, 0, 2)


def test_a_stub_awaited_then_forwarded_is_not_pipelining():
    play, rec = scenes.forwarding()  # a promise cannot be passed (DataCloneError): it is awaited first
    s = summary(rec)
    assert (s.round_trips, s.pipelined, s.without_pipelining) == (4, 0, 4)


class Node(scenes.RpcTarget):
    def __init__(self, n: int) -> None:
        self.n = n

    def next(self) -> Node:
        return Node(self.n + 1)

    def value(self) -> int:
        return self.n


class Chain(scenes.WorkerEntrypoint):
    def first(self) -> Node:
        return Node(0)


def test_tips_on_one_chain_add_up_to_what_taking_them_all_saves():
    play = scenes.Playground(latency="25ms")
    play.worker("chain", Chain)
    play.worker("client", scenes.Client, services={"CHAIN": "chain"})
    env = play.env("client")

    async def main():
        nodes = [await env.CHAIN.first()]
        for _ in range(3):
            node = await nodes[-1].next()  # twice to call next(), the last time to call value()
            nodes.append(node)
        try:
            return await node.value()
        finally:
            dispose(nodes)

    with play.record() as rec:
        assert play.run(main()) == 3
    tips = _advice(rec)
    assert [(t.awaited, t.then, t.times, t.saved) for t in tips] == [
        ("first()", "next()", 1, 1), ("next()", "next()", 2, 2), ("next()", "value()", 1, 1),
    ]
    assert rec.round_trips == 5 and sum(t.saved for t in tips) == 4
    assert str(tips[1]).endswith(
        "`node = await nodes[-1].next()` (2 times): awaits next() only to call next() on the result. "
        "Call it on the promise instead (pipelining) to save 2 round trips."
    )
    d = build(view_of(rec))
    assert d.together == "All 3 tips taken together: 5 round trips → 1."
    assert d.together in texts(render_svg(rec))
    assert rec._repr_mimebundle_()["text/plain"].endswith("\nAll 3 tips taken together: 5 round trips → 1.")


def test_tips_on_parallel_chains_say_that_they_save_only_together():
    play = scenes.Playground(latency="25ms")
    play.worker("chain", Chain)
    play.worker("left", scenes.Client, services={"CHAIN": "chain"})
    play.worker("right", scenes.Client, services={"CHAIN": "chain"})
    left, right = play.env("left"), play.env("right")

    async def one():
        with await left.CHAIN.first() as node:
            return await node.value()

    async def other():  # as long as one(), beside it
        with await right.CHAIN.first() as node:
            return await node.value()

    async def both():
        return await asyncio.gather(one(), other())

    with play.record() as rec:
        play.run(both())
    tips = _advice(rec)
    # alone, either await saves nothing: the other chain still takes 2 round trips
    assert rec.round_trips == 2 and [t.saved for t in tips] == [0, 0]
    assert str(tips[0]).endswith(
        "`with await left.CHAIN.first() as node:`: awaits first() only to call value() on the result. "
        "Call it on the promise instead (pipelining): alone that saves nothing (a chain as long runs "
        "beside it), together with the other tips it does."
    )
    assert build(view_of(rec)).together == "All 2 tips taken together: 2 round trips → 1."
