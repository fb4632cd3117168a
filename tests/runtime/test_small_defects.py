"""Defects found while containing every failure: a Durable Object stub forwarded twice, a
module's imported helpers reachable over RPC, a stub of an earlier playground."""

from __future__ import annotations

import types

import pytest

from playground import DurableObject, Playground, RpcError, RpcTarget, WorkerEntrypoint
from playground.errors import DataCloneError

from .services import failure


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.count = 0

    def increment(self, by):
        self.count += by
        return self.count


class Relay(WorkerEntrypoint):
    async def use(self, stub, by):
        return await stub.increment(by)

    async def relay(self, stub, by):
        """Pass the stub on to the next worker, which uses it."""
        return await self.env.NEXT.use(stub, by)

    async def bounce(self, stub, by):
        """Pass the stub back to the worker it came from."""
        return await self.env.BACK.use(stub, by)


def relays() -> tuple[Playground, object]:
    play = Playground(latency="10ms")
    play.worker("home", Relay, exports=[Counter], durable_objects={"COUNTER": "Counter"},
                services={"B": "b"})
    play.worker("b", Relay, services={"NEXT": "c", "BACK": "home"})
    play.worker("c", Relay)
    return play, play.env("home")


def test_a_durable_object_stub_that_crossed_rpc_can_be_forwarded_again():
    play, env = relays()
    ns = env.COUNTER
    stub = ns.get(ns.id_from_name("one"))

    async def scenario():
        first = await stub.increment(1)
        via_c = await env.B.relay(stub, 10)  # home -> b -> c
        back = await env.B.bounce(stub, 100)  # home -> b -> home
        return first, via_c, back, await stub.increment(0)

    assert play.run(scenario()) == (1, 11, 111, 111)  # one object all along


MODULE_SOURCE = '''
from os import getenv
import json
from playground import Response

VERSION = "1.0"

def fetch(request, env, ctx):
    return Response("hello from a module")

def greet(name):
    return f"hello, {name}"

async def shout(name, env, ctx):
    return name.upper()

def _private(x):
    return x

dumps = json.dumps
'''


def module_worker() -> tuple[Playground, object]:
    module = types.ModuleType("greeter")
    exec(compile(MODULE_SOURCE, "greeter.py", "exec"), module.__dict__)
    play = Playground()
    play.worker("M", module)
    play.worker("client", Relay, services={"M": "M"})
    return play, play.env("client")


def test_a_module_main_exposes_the_functions_it_defines():
    play, env = module_worker()

    async def scenario():
        response = await env.M.fetch("https://m/")
        return await env.M.greet("ada"), await env.M.shout("ada"), await response.text()

    assert play.run(scenario()) == ("hello, ada", "ADA", "hello from a module")


@pytest.mark.parametrize("name", ["getenv", "dumps", "Response", "json", "VERSION"])
def test_a_module_main_does_not_expose_what_it_imported(name):
    play, env = module_worker()
    error = play.run(failure(getattr(env.M, name)("HOME")))
    assert isinstance(error, TypeError)
    assert "does not implement" in str(error) or "not a function" in str(error)


def test_a_private_function_of_a_module_main_cannot_even_be_named():
    play, env = module_worker()
    with pytest.raises(AttributeError):
        env.M._private


class Tally(RpcTarget):
    def __init__(self, start):
        self.value = start

    def read(self):
        return self.value


class Maker(WorkerEntrypoint):
    def make(self, start):
        return Tally(start)

    async def read_it(self, tally):
        return await tally.read()


def notebook_cell() -> tuple[Playground, object]:
    """What a notebook cell that builds the world makes (run again: a new playground)."""
    play = Playground(latency="5ms")
    play.worker("maker", Maker)
    play.worker("client", Relay, services={"MAKER": "maker"})
    return play, play.env("client")


@pytest.mark.leaks_ok
@pytest.mark.parametrize("close_first", [False, True])
def test_a_stub_of_an_earlier_playground_is_refused_with_a_clear_error(close_first):
    old_play, old_env = notebook_cell()
    old_stub = old_play.run(old_env.MAKER.make(1))
    play, env = notebook_cell()  # the cell, run again
    mine = play.run(env.MAKER.make(2))  # (export ids here now match those of old_stub)
    if close_first:
        old_play.close()
    error = play.run(failure(env.MAKER.read_it(old_stub)))
    assert isinstance(error, (DataCloneError, RpcError)), error
    assert "another playground" in str(error) and "get a new one" in str(error)
    assert play.run(env.MAKER.read_it(mine)) == 2  # the new world is unharmed
    mine.dispose()
    old_play.close()
