"""Faults: cut links, crashes, lost messages. Nothing hangs; what breaks says so; all seeded."""

from __future__ import annotations

import asyncio

import pytest

from playground import ConnectionLost, Playground, RpcTarget, WorkerEntrypoint, dispose
from playground.trace import FaultEvent

from .services import failure


class Session(RpcTarget):
    disposed: list[str] = []

    def __init__(self, name):
        self.name = name

    def ping(self):
        return f"pong from {self.name}"

    def __dispose__(self):
        Session.disposed.append(self.name)


class Service(WorkerEntrypoint):
    def open(self, name):
        return Session(name)

    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "slow done"

    def add(self, a, b):
        return a + b

    async def call_back(self, callback):
        return await callback()


class Client(WorkerEntrypoint):
    pass


def make(**kwargs):
    Session.disposed.clear()
    play = Playground(latency="10ms", **kwargs)
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    return play, play.env("client")


def test_a_cut_fails_calls_in_flight_and_later_calls_and_breaks_stubs():
    play, env = make()

    async def scenario():
        session = await env.S.open("one")
        in_flight = asyncio.ensure_future(failure(env.S.slow(1)))
        await play.sleep(0.5)
        play.disconnect("client", "svc")
        errors = [await in_flight, await failure(env.S.add(1, 2)), await failure(session.ping())]
        await play.idle()
        dispose(session)
        return errors

    errors = play.run(scenario())
    for error in errors:
        assert type(error) is ConnectionLost
        assert str(error) == (
            'Network connection lost.\nThe link between "client" and "svc" is cut (play.disconnect). '
            "Once it is back (play.reconnect), a call on env.S can be retried as it is: each one "
            "opens a new connection. A stub that came over the lost connection is dead for good: it "
            "will not reconnect, even once the link is back. Get a new one by calling again the "
            "method that gave it to you."
        )
        assert error.retryable is True
    assert Session.disposed == ["one"]  # the other side released what it had exported
    assert play.open_connections() == []


def test_reconnect_lets_new_calls_through_but_broken_stubs_stay_broken():
    play, env = make()

    async def scenario():
        session = await env.S.open("two")
        play.disconnect("client", "svc")
        play.reconnect("client", "svc")
        after = await env.S.add(2, 3)
        broken = await failure(session.ping())
        dispose(session)
        return after, broken

    after, broken = play.run(scenario())
    assert after == 5 and type(broken) is ConnectionLost


def test_the_caller_side_exports_are_released_when_the_link_is_cut():
    play, env = make()
    local = Session("local")

    async def scenario():
        call = asyncio.ensure_future(failure(env.S.call_back(local.ping)))
        await play.sleep(0.005)  # the call (and the callback stub) are on their way
        play.disconnect("client", "svc")
        error = await call
        await play.idle()
        return error

    assert type(play.run(scenario())) is ConnectionLost


def test_a_crash_fails_calls_into_the_worker_and_it_restarts():
    play, env = make()

    async def scenario():
        session = await env.S.open("three")
        pending = asyncio.ensure_future(failure(env.S.slow(1)))
        await play.sleep(0.1)
        play.crash("svc")
        errors = [await pending, await failure(session.ping())]
        dispose(session)
        return errors, await env.S.add(1, 1)

    errors, after = play.run(scenario())
    assert all(type(e) is ConnectionLost for e in errors)
    assert after == 2
    kinds = [e.action for e in play.trace.events if isinstance(e, FaultEvent)]
    assert kinds == ["crash", "failed"]  # the pending call was answered; session.ping() sent nothing


def test_lost_messages_end_the_session_with_a_clear_error_never_a_hang():
    play, env = make(seed=4)
    play.link("client", "svc", loss=0.3)

    async def scenario():
        results = []
        for i in range(20):
            try:
                results.append(await env.S.add(i, 0))
            except ConnectionLost:
                results.append("lost")
        return results

    results = play.run(scenario())
    assert "lost" in results and any(r != "lost" for r in results)
    lost = [e for e in play.trace.events if isinstance(e, FaultEvent) and e.action == "lost"]
    assert lost


def fault_run(seed):
    play, env = make(seed=seed, jitter="5ms")
    play.link("client", "svc", loss=0.2)

    async def scenario():
        outcomes = []
        for i in range(10):
            outcomes.append(await _try(env.S.slow(0.01) if i % 3 == 0 else env.S.add(i, i)))
        play.disconnect("client", "svc")
        outcomes.append(type(await failure(env.S.add(1, 1))).__name__)
        play.reconnect("client", "svc")
        return outcomes

    outcomes = play.run(scenario())
    play.run(play.idle())
    trace = [(type(e).__name__, *[v for k, v in e._asdict().items() if k != "where"]) for e in play.trace]
    return outcomes, trace


async def _try(promise):
    try:
        return await promise
    except ConnectionLost:
        return "lost"


def test_fault_scenarios_repeat_event_for_event_under_a_seed():
    first, again, other = fault_run(11), fault_run(11), fault_run(12)
    assert first == again
    assert first[1] != other[1]


@pytest.mark.parametrize("action", ["disconnect", "reconnect"])
def test_faults_name_unknown_workers(action):
    play, _ = make()
    with pytest.raises(KeyError, match="No worker named 'nope'"):
        getattr(play, action)("svc", "nope")
