"""Round trips, exactly as docs/design.md defines them, with its five examples; and virtual time."""

from __future__ import annotations

import asyncio

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint


class Counter(RpcTarget):
    def __init__(self):
        self.n = 0

    def increment(self):
        self.n += 1
        return self.n


class B(WorkerEntrypoint):
    def add(self, a, b):
        return a + b

    def get_counter(self):
        return Counter()


class C(WorkerEntrypoint):
    def work(self):
        return "from C"


class BCallingC(WorkerEntrypoint):
    async def method(self):
        return await self.env.C.work()


class A(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    play = Playground(latency="25ms")
    play.worker("b", B)
    play.worker("c", C)
    play.worker("b2", BCallingC, services={"C": "c"})
    play.worker("a", A, services={"B": "b", "S": "b", "B2": "b2"})
    return play


def measure(play, coro_fn):
    env = play.env("a")
    with play.record() as rec:
        result = play.run(coro_fn(env))
    return result, rec


def test_one_awaited_call_is_one_round_trip(play):
    result, rec = measure(play, lambda env: env.B.add(1, 2))
    assert (result, rec.round_trips, rec.elapsed) == (3, 1, pytest.approx(0.05))


def test_awaiting_the_counter_then_calling_it_is_two(play):
    async def scenario(env):
        c = await env.S.get_counter()
        with c:
            return await c.increment()

    result, rec = measure(play, scenario)
    assert (result, rec.round_trips) == (1, 2)
    assert rec.elapsed == pytest.approx(0.10)


def test_pipelined_call_on_the_counter_is_one(play):
    async def scenario(env):
        with env.S.get_counter() as promise:
            return await promise.increment()

    result, rec = measure(play, scenario)
    assert (result, rec.round_trips) == (1, 1)
    assert rec.elapsed == pytest.approx(0.05)


def test_two_calls_gathered_are_one(play):
    async def scenario(env):
        return await asyncio.gather(env.B.add(1, 2), env.B.add(3, 4))

    result, rec = measure(play, scenario)
    assert (result, rec.round_trips) == ([3, 7], 1)
    assert rec.elapsed == pytest.approx(0.05)


def test_a_calls_b_whose_method_awaits_c_is_two(play):
    result, rec = measure(play, lambda env: env.B2.method())
    assert (result, rec.round_trips) == ("from C", 2)
    assert rec.elapsed == pytest.approx(0.10)


def test_two_sequential_calls_are_two_round_trips_and_releases_do_not_count(play):
    async def scenario(env):
        await env.B.add(1, 1)
        return await env.B.add(2, 2)

    result, rec = measure(play, scenario)
    assert rec.round_trips == 2
    assert [m.kind for m in rec.messages].count("release") == 2


def test_the_same_gather_from_a_host_loop_is_also_one_round_trip(play):
    env = play.env("a")

    async def host():
        with play.record() as rec:
            result = await asyncio.gather(env.B.add(1, 2), env.B.add(3, 4))
        return result, rec

    result, rec = asyncio.run(host())
    assert result == [3, 7] and rec.round_trips == 1
    assert rec.elapsed == pytest.approx(0.05)


def test_a_thousand_calls_across_a_50ms_link_take_exactly_100_virtual_seconds():
    play = Playground(latency="50ms")
    play.worker("b", B)
    play.worker("a", A, services={"B": "b"})
    env = play.env("a")

    async def scenario():
        for i in range(1000):
            await env.B.add(i, 1)

    with play.record() as rec:
        play.run(scenario())
    assert rec.elapsed == 100.0
    assert play.now == 100.0
    assert rec.round_trips == 1000
