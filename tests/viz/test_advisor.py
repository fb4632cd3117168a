"""The pipelining advisor and the 'without pipelining' saving."""

from __future__ import annotations

import scenes

from playground.viz import advise, summary, view_of


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
