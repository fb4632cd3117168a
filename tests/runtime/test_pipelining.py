"""Pipelining details: E-order, calls on promises and on resolved promises, property chains."""

from __future__ import annotations

import asyncio

import pytest

from playground import RpcStub

from .services import PROMISE_DISPOSED, disposed, failure, line_of, world


def test_calls_on_one_stub_are_delivered_in_order():
    play = world()
    env = play.env("client")

    async def scenario():
        with await env.S.make_counter(2) as counter:
            return await asyncio.gather(counter.increment(6), counter.increment(4), counter.increment(3))

    assert play.run(scenario()) == [8, 12, 15]


def test_calls_pipelined_on_one_unresolved_promise_reach_the_same_object_in_order():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.make_counter(0) as promise:
            first = promise.increment(1)
            second = promise.increment(10)
            return await first, await second, await promise.increment(0)

    assert play.run(scenario()) == (1, 11, 11)


def test_pipelining_through_a_returned_function():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.get_function() as fn:
            with play.record() as rec:
                value = await fn(3, 6)
            return value, rec.round_trips

    assert play.run(scenario()) == (5, 1)


def test_a_chain_of_pipelined_calls_is_one_round_trip():
    play = world()
    env = play.env("client")

    async def scenario():
        with play.record() as rec, env.S.get_an_object(1) as obj:
            value = await obj.counter.increment(41)
        return value, rec.round_trips, [c.pipelined for c in rec.calls]

    assert play.run(scenario()) == (42, 1, [False, True])


def test_property_paths_deeper_than_65_links_raise_at_once():
    stub = RpcStub({})
    p = stub
    depth = 0
    with pytest.raises(TypeError, match="too deep"):
        for depth in range(1, 101):
            p = p.x
    assert 64 <= depth < 100
    stub.__exit__(None, None, None)


def test_awaiting_a_property_reads_it_again_each_time():
    play = world()
    env = play.env("client")

    async def scenario():
        with play.record() as rec:
            first = await env.S.non_function_property
            second = await env.S.non_function_property
        return first, second, sum(1 for m in rec.messages if m.kind == "push")

    assert play.run(scenario()) == ({"foo": 123}, {"foo": 123}, 2)


def test_a_disposed_promise_refuses_pipelining_with_the_runtime_text():
    play = world()
    env = play.env("client")

    async def scenario():
        promise = env.S.make_counter(1)
        promise.__exit__(None, None, None)
        return await failure(promise.increment())

    assert str(play.run(scenario())) == disposed(
        "with", line_of(test_a_disposed_promise_refuses_pipelining_with_the_runtime_text, "__exit__"), PROMISE_DISPOSED
    )
