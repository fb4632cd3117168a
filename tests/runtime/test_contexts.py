"""Execution contexts: when they end, what ending releases, and what cannot cross them."""

from __future__ import annotations

import asyncio

import pytest

from playground import Playground, RpcError, RpcTarget, WorkerEntrypoint, dispose
from playground.errors import StubLeakWarning
from playground.trace import ContextEvent, NoteEvent

from .services import failure

LEAK_TEXT = "An RPC stub was not disposed properly."


class Target(RpcTarget):
    def __init__(self):
        self.disposed = 0
        self.n = 0

    def increment(self, by=1):
        self.n += by
        return self.n

    def __dispose__(self):
        self.disposed += 1


class Service(WorkerEntrypoint):
    shared: list = []

    async def leak_but_return_plain_object(self, counter):
        counter.dup()  # leaked: never disposed
        return {"foo": 123}

    async def leak(self, counter):
        self._kept = counter.dup()  # leaked, but the caller holds functions into this context

        async def noop():
            return "noop"

        def abort():
            self.ctx.abort(ValueError("foo bar abort reason"))

        return {"noop": noop, "abort": abort}

    def label_of_context(self):
        def inside():
            return "same context"

        return inside

    def background(self, seconds):
        async def work():
            await asyncio.sleep(seconds)

        self.ctx.wait_until(work())
        return "returned"

    async def stash(self, counter):
        Service.shared.append(counter.dup())  # shared between requests: a mistake
        self.ctx.wait_until(asyncio.sleep(10))  # this request lives on for a while
        return "stashed"

    async def use_stash(self):
        return await Service.shared[0].increment(1)

    async def nap_then_answer(self, seconds):
        await asyncio.sleep(seconds)
        return "answered"

    async def abort_now(self):
        self.ctx.abort(ValueError("this request only"))


class Client(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    Service.shared.clear()
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    return play


def closed_labels(play):
    return [e.label for e in play.trace.events if isinstance(e, ContextEvent) and e.action == "closed"]


def test_a_context_whose_call_returned_plain_data_ends_and_releases_its_leaks(play):
    target = Target()
    env = play.env("client")

    async def scenario():
        result = await env.S.leak_but_return_plain_object(target)
        await play.idle()
        return result

    with pytest.warns(StubLeakWarning, match="1 stub"):
        assert play.run(scenario()) == {"foo": 123}
    assert target.disposed == 1  # released promptly, with the runtime's warning
    notes = [e.text for e in play.trace.events if isinstance(e, NoteEvent)]
    assert any(text.startswith(LEAK_TEXT) for text in notes)
    assert "leak_but_return_plain_object" in closed_labels(play)


def test_a_context_stays_alive_while_the_caller_holds_stubs_into_it_and_abort_ends_it(play):
    target = Target()
    env = play.env("client")

    async def scenario():
        async with env.S.leak(target) as obj:
            assert await obj["noop"]() == "noop"
            await play.idle()
            alive = target.disposed
            error = await failure(obj["abort"]())
            await play.idle()
            later = await failure(obj["noop"]())
            return alive, error, later

    alive, error, later = play.run(scenario())
    assert alive == 0
    assert type(error) is ValueError and str(error) == "foo bar abort reason"
    assert target.disposed == 1  # the leaked stub was released when the context ended
    assert str(later) == "The execution context which hosts this callback is no longer running."


def test_aborting_one_request_leaves_the_others_running(play):
    env = play.env("client")

    async def scenario():
        other = asyncio.ensure_future(_settled(env.S.nap_then_answer(1)))
        await play.sleep(0.5)  # the other request is running in its own context by now
        aborted = await failure(env.S.abort_now())
        return aborted, await other

    aborted, other = play.run(scenario())
    assert str(aborted) == "this request only"
    assert other == "answered"


def test_a_crash_fails_only_the_crashed_workers_calls():
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("spare", Service)
    play.worker("client", Client, services={"S": "svc", "SPARE": "spare"})
    env = play.env("client")

    async def scenario():
        doomed = asyncio.ensure_future(failure(env.S.nap_then_answer(1)))
        kept = asyncio.ensure_future(_settled(env.SPARE.nap_then_answer(1)))
        await play.sleep(0.5)
        play.crash("svc")
        return type(await doomed).__name__, await kept

    assert play.run(scenario()) == ("ConnectionLost", "answered")


async def _settled(promise):
    return await promise


def test_calls_through_returned_stubs_run_in_the_same_context(play):
    env = play.env("client")

    async def scenario():
        with await env.S.label_of_context() as inside:
            return await inside()

    assert play.run(scenario()) == "same context"
    opened = [e.label for e in play.trace.events if isinstance(e, ContextEvent) and e.action == "opened"]
    assert opened == ["label_of_context"]  # the second call opened no new context


def test_wait_until_keeps_the_context_open_after_the_return(play):
    env = play.env("client")

    async def scenario():
        assert await env.S.background(5) == "returned"
        closed_early = "background" in closed_labels(play)
        await play.idle()
        return closed_early

    assert play.run(scenario()) is False
    closed = next(e for e in play.trace.events if isinstance(e, ContextEvent) and e.action == "closed")
    assert closed.at == pytest.approx(5.01)  # when the background work finished


def test_a_stub_kept_from_one_request_cannot_be_used_by_another(play):
    target = Target()
    env = play.env("client")

    async def scenario():
        assert await env.S.stash(target) == "stashed"
        return await failure(env.S.use_stash())

    with pytest.warns(StubLeakWarning):  # the stashed stub leaks from the first request
        error = play.run(scenario())
        play.run(play.idle())
    assert type(error) is RpcError
    assert str(error).startswith("Cannot perform I/O on behalf of a different request.")
    assert str(error).endswith("(I/O type: Client)")


class Introducer(WorkerEntrypoint):
    async def fetch(self, request):
        from playground import Response

        with await self.env.COUNTER.get_counter() as counter:
            await self.env.KEEPER.keep(counter)
        return Response("introduced")


class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Target()


class Keeper(WorkerEntrypoint):
    outcome: list = []

    def keep(self, counter):
        stub = counter.dup()

        async def later():
            await asyncio.sleep(1)  # by now the introducer's request is over
            Keeper.outcome.append(await failure(stub.increment()))
            dispose(stub)

        self.ctx.wait_until(later())
        return "kept"


def test_a_forwarded_stub_stops_working_when_the_introducers_context_ends():
    Keeper.outcome.clear()
    play = Playground(latency="10ms")
    play.worker("counter", CounterService)
    play.worker("keeper", Keeper)
    play.worker("introducer", Introducer, services={"COUNTER": "counter", "KEEPER": "keeper"})

    async def scenario():
        response = await play.fetch("introducer", "http://introducer/")
        text = await response.text()
        await play.idle()
        return text

    assert play.run(scenario()) == "introduced"
    (error,) = Keeper.outcome
    assert type(error) is RpcError
    assert str(error) == "The execution context which hosts this callback is no longer running."


class Slow(WorkerEntrypoint):
    progress: list = []

    async def slow(self):
        Slow.progress.append("started")
        await asyncio.sleep(10)
        Slow.progress.append("finished")  # never: its client went away
        return "done"


class FireAndForget(WorkerEntrypoint):
    def fire(self):
        self.env.SLOW.slow()  # not awaited, not kept: dropped when this request ends
        return "returned"


def test_calls_left_running_by_a_request_that_ended_are_canceled():
    Slow.progress.clear()
    play = Playground(latency="10ms")
    play.worker("slow", Slow)
    play.worker("fire", FireAndForget, services={"SLOW": "slow"})
    play.worker("client", Client, services={"F": "fire"})
    env = play.env("client")

    async def scenario():
        result = await env.F.fire()
        await play.sleep(20)
        return result

    with pytest.warns(StubLeakWarning):
        assert play.run(scenario()) == "returned"
    assert Slow.progress == ["started"]
