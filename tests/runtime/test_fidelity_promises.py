"""Issue 12: promises, ``dup``, ``self``, bindings and private names as workerd has them."""

from __future__ import annotations

import pytest

from playground import DataCloneError, Playground, RpcTarget, WorkerEntrypoint

from .services import failure


class D(WorkerEntrypoint):
    def add(self, a, b):
        return a + b

    @property
    def value(self):
        return 7

    def make_counter(self):
        return Counter()


class Counter(RpcTarget):
    def __init__(self):
        self.n = 0

    def increment(self, by=1):
        self.n += by
        return self.n


class Client(WorkerEntrypoint):
    pass


def make():
    play = Playground(latency="10ms")
    play.worker("d", D)
    play.worker("client", Client, services={"D": "d"})
    return play, play.env("client")


def cannot_serialize(name: str) -> str:
    return f'Could not serialize object of type "{name}". This type does not support serialization.'


# -- row 1: an RpcPromise (or RpcProperty) as an argument is refused before anything is sent ------


def test_a_promise_as_an_argument_is_refused_on_the_callers_side():
    play, env = make()

    async def scenario():
        with play.record() as rec:
            inner = env.D.add(1, 2)
            error = await failure(env.D.add(inner, 3))
            value = await inner  # the promise passed is untouched
        return error, value, rec

    error, value, rec = play.run(scenario())
    assert type(error) is DataCloneError and str(error) == cannot_serialize("RpcPromise")
    assert getattr(error, "remote", False) is False
    assert value == 3
    pushes = [m for m in rec.messages if m.kind == "push"]
    assert len(pushes) == 1  # add(1, 2) only: the outer call never left


def test_a_property_as_an_argument_is_refused_and_nothing_is_sent():
    play, env = make()

    async def scenario():
        with play.record() as rec:
            error = await failure(env.D.add(env.D.value, 3))
        return error, rec

    error, rec = play.run(scenario())
    assert type(error) is DataCloneError and str(error) == cannot_serialize("RpcProperty")
    assert [m for m in rec.messages if m.kind == "push"] == []


def test_an_awaited_promise_is_still_a_promise_and_is_refused():
    play, env = make()

    async def scenario():
        inner = env.D.add(1, 2)
        assert await inner == 3
        with play.record() as rec:
            error = await failure(env.D.add(inner, 3))
        return error, rec, await env.D.add(await inner, 3)

    error, rec, passed_value = play.run(scenario())
    assert type(error) is DataCloneError and str(error) == cannot_serialize("RpcPromise")
    assert [m for m in rec.messages if m.kind == "push"] == []
    assert passed_value == 6  # its value crosses


def test_a_promise_nested_in_an_argument_is_refused():
    play, env = make()

    async def scenario():
        with env.D.make_counter() as counter:
            return await failure(env.D.add({"c": counter}, 1))

    error = play.run(scenario())
    assert type(error) is DataCloneError and str(error) == cannot_serialize("RpcPromise")
