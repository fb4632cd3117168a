"""Shapes promised by the API reference that no other test pins down."""

from __future__ import annotations

import pytest

from playground import Playground, RpcPromise, RpcStub, WorkerEntrypoint, dispose

from .services import world


class Lists(WorkerEntrypoint):
    def pair(self):
        return [{"name": "first", "f": lambda: "from the first"}, {"name": "second"}]


class Client(WorkerEntrypoint):
    pass


def test_indexing_pipelines_into_list_elements():
    play = Playground(latency="10ms")
    play.worker("lists", Lists)
    play.worker("client", Client, services={"L": "lists"})
    env = play.env("client")

    async def scenario():
        with env.L.pair() as pair, play.record() as rec:
            first_name = await pair[0]["name"]
            called = await pair[0].f()
            second = await pair[1].name
        return first_name, called, second, rec.round_trips

    assert play.run(scenario()) == ("first", "from the first", "second", 3)


def test_calls_return_rpc_promises_and_stubs_are_rpc_stubs():
    play = world()
    env = play.env("client")
    promise = env.S.make_counter(1)
    assert isinstance(promise, RpcPromise)
    assert isinstance(env.S, RpcStub)
    counter = play.run(promise)
    assert isinstance(counter, RpcStub)
    assert play.run(counter) is counter  # a stub is not a promise: awaiting it gives itself
    dispose(counter)
    dispose(promise)


def test_link_defaults_and_the_virtual_clock():
    play = Playground(latency="25ms", jitter="1ms", bandwidth="1MB/s", seed=3)
    play.worker("a", Client)
    play.worker("b", Client)
    link = play.link("a", "b", loss=0.0)
    assert (link.latency, link.jitter, link.bandwidth, link.loss) == (0.025, 0.001, 1e6, 0.0)
    assert play.now == 0.0
    play.run(play.sleep("1.5s"))
    assert play.now == 1.5


@pytest.mark.parametrize("value, seconds", [("25ms", 0.025), ("1.5s", 1.5), ("200us", 0.0002), (0.5, 0.5)])
def test_durations_accept_numbers_and_units(value, seconds):
    play = Playground(latency=value)
    play.worker("a", Client)
    play.worker("b", Client)
    assert play.link("a", "b").latency == pytest.approx(seconds)
