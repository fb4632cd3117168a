"""Disposal: with / async with, dispose(), dup(), __dispose__ hooks, ownership of stubs."""

from __future__ import annotations

import pytest

from playground import Playground, RpcError, RpcStub, RpcTarget, WorkerEntrypoint, dispose

from .services import DISPOSED, PROMISE_DISPOSED, disposed, failure, line_of



class Tracked(RpcTarget):
    made: list[Tracked] = []

    def __init__(self, i=0):
        self.i = i
        self.disposed = 0
        Tracked.made.append(self)

    def increment(self, j=1):
        self.i += j
        return self.i

    def __dispose__(self):
        self.disposed += 1


class Service(WorkerEntrypoint):
    def make_counter(self, i):
        return Tracked(i)

    def get_an_object(self, i):
        return {"foo": 123 + i, "counter": Tracked(i)}

    async def increment_counter(self, counter, i):
        return await counter.increment(i)

    async def test_dispose(self, counter):
        """workerd's testDispose: keep the param (disposed at the end of the call) and a dup."""
        await counter.increment(1)
        kept_dup = counter.dup()

        async def increment_original():
            return await counter.increment(1)

        async def increment_dup(j):
            return await kept_dup.increment(j)

        return {"count": await counter.increment(0), "counter": counter.dup(),
                "increment_original": increment_original, "increment_dup": increment_dup,
                "_dup": RpcStubHolder(kept_dup)}

    async def keep(self, counter):
        kept = counter.dup()  # outlives the call; this context lives while `later` is held

        async def later():
            with kept:
                return await kept.increment(100)

        return later


class RpcStubHolder(RpcTarget):
    """Keeps a stub alive as long as the holder is; disposing the holder disposes it."""

    def __init__(self, stub):
        self._stub = stub

    def __dispose__(self):
        dispose(self._stub)


class Client(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    Tracked.made.clear()
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    return play


@pytest.fixture
def env(play):
    return play.env("client")


def test_with_disposes_the_stub_and_use_after_fails_locally(play, env):
    async def scenario():
        with await env.S.make_counter(12) as counter:
            assert await counter.increment(3) == 15
        return await failure(counter.increment(1)), counter

    error, counter = play.run(scenario())
    at = line_of(test_with_disposes_the_stub_and_use_after_fails_locally, "with await")
    assert type(error) is RpcError and str(error) == disposed("with", at)
    assert error.remote is False
    assert "disposed" in repr(counter)


def test_the_target_disposer_runs_after_the_release_not_inside_dispose(play, env):
    counter = play.run(env.S.make_counter(1))
    (target,) = Tracked.made
    dispose(counter)
    assert target.disposed == 0  # asynchronous: the release is still on its way
    play.run(play.idle())
    assert target.disposed == 1
    dispose(counter)  # twice is harmless
    play.run(play.idle())
    assert target.disposed == 1


def test_dup_keeps_the_target_until_every_copy_is_disposed(play, env):
    async def scenario():
        counter = await env.S.make_counter(0)
        copy = counter.dup()
        dispose(counter)
        after_original = await copy.increment(5)
        await play.idle()
        alive = Tracked.made[0].disposed
        dispose(copy)
        await play.idle()
        return after_original, alive, Tracked.made[0].disposed, counter

    value, alive, disposed, counter = play.run(scenario())
    assert (value, alive, disposed) == (5, 0, 1)
    with pytest.raises(RpcError, match=DISPOSED):
        counter.dup()


def test_async_with_awaits_then_disposes(play, env):
    async def scenario():
        async with env.S.make_counter(2) as counter:
            return await counter.increment(), counter

    value, counter = play.run(scenario())
    play.run(play.idle())
    assert value == 3 and Tracked.made[0].disposed == 1
    at = line_of(test_async_with_awaits_then_disposes, "async with env")
    assert str(play.run(failure(counter.increment()))) == disposed("async with", at)


def test_disposing_a_result_disposes_the_stubs_inside(play, env):
    async def scenario():
        obj = await env.S.get_an_object(5)
        assert obj["foo"] == 128
        assert await obj["counter"].increment(7) == 12
        dispose(obj)
        return await failure(obj["counter"].increment(2))

    at = line_of(test_disposing_a_result_disposes_the_stubs_inside, "dispose(")
    assert str(play.run(scenario())) == disposed("dispose", at)
    play.run(play.idle())
    assert Tracked.made[0].disposed == 1


def test_disposing_a_promise_before_it_resolves_disposes_the_result_when_it_arrives(play, env):
    async def scenario():
        promise = env.S.make_counter(1)
        pipelined = promise.increment(1)
        dispose(promise)
        value = await pipelined  # sent before the dispose: still delivered
        error = await failure(promise.increment(1))
        await play.idle()
        return value, error

    value, error = play.run(scenario())
    assert value == 2
    at = line_of(test_disposing_a_promise_before_it_resolves_disposes_the_result_when_it_arrives, "dispose(")
    assert str(error) == disposed("dispose", at, PROMISE_DISPOSED)
    assert Tracked.made[0].disposed == 1


def test_parameter_stubs_are_disposed_when_the_call_settles_unless_dupd(play, env):
    async def scenario():
        with await env.S.make_counter(6) as counter:
            async with env.S.test_dispose(counter) as obj:
                results = [obj["count"]]
                results.append(str(await failure(obj["increment_original"]())))
                results.append(await obj["increment_dup"](7))
                results.append(await obj["counter"].increment(4))
            results.append(str(await failure(obj["increment_dup"](1))))
            return results

    at = line_of(test_parameter_stubs_are_disposed_when_the_call_settles_unless_dupd, "async with env")
    assert play.run(scenario()) == [7, disposed("returned"), 14, 18, disposed("async with", at)]
    play.run(play.idle())
    assert Tracked.made[0].disposed == 1


def test_a_raw_rpc_target_in_parameters_is_released_after_the_call(play, env):
    local = Tracked(3)

    async def scenario():
        value = await env.S.increment_counter(local, 5)
        await play.idle()
        return value

    assert play.run(scenario()) == 8
    assert local.i == 8 and local.disposed == 1


def test_the_same_target_sent_twice_is_disposed_twice(play, env):
    local = Tracked(0)

    async def scenario():
        await env.S.increment_counter(local, 1)
        await env.S.increment_counter(local, 1)
        await play.idle()

    play.run(scenario())
    assert local.disposed == 2


def test_a_dupd_parameter_outlives_the_call_until_disposed(play, env):
    local = Tracked(0)

    async def scenario():
        with await env.S.keep(local) as later:
            await play.idle()
            alive = local.disposed
            value = await later()
            await play.idle()
            return alive, value, local.disposed

    assert play.run(scenario()) == (0, 100, 1)


def test_returned_stubs_belong_to_the_caller(play, env):
    async def scenario():
        counter = await env.S.make_counter(0)
        return counter

    counter = play.run(scenario())
    assert [i.owner for i in play.stubs()] == ["client"]
    dispose(counter)
    assert play.stubs() == []


def test_loopback_stub_calls_asynchronously_and_disposes_asynchronously(play):
    async def scenario():
        target = Tracked(4)
        stub = RpcStub(target)
        results = [await stub.increment(5), await stub.increment(7)]
        results.append(await stub.fetch(True, 123, "baz") if hasattr(Tracked, "fetch") else None)
        dispose(stub)
        results.append(target.disposed)
        await play.idle()
        results.append(target.disposed)
        results.append(str(await failure(stub.increment(2))))
        return results

    at = line_of(test_loopback_stub_calls_asynchronously_and_disposes_asynchronously, "dispose(")
    assert play.run(scenario()) == [9, 16, None, 0, 1, disposed("dispose", at)]


def test_rpc_stub_refuses_what_it_cannot_wrap():
    with pytest.raises(TypeError, match="RpcStubs can only wrap plain objects, functions, and RpcTarget derivatives."):
        RpcStub(42)


def test_rpc_stub_wraps_plain_dicts_and_functions(play):
    def ownprop():
        return 46

    ownprop.own_property = "hello"

    async def scenario():
        with RpcStub({"sum": lambda a, b: a + b}) as plain, RpcStub(ownprop) as fn:
            return await plain.sum(12, 34), await fn(), await fn.own_property

    assert play.run(scenario()) == (46, 46, "hello")
