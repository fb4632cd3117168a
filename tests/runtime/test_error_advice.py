"""Errors that say what to do: the runtime's own words first, then, on a line of their own, what
happened and what to do about it; warnings that point at the user's line."""

from __future__ import annotations

import asyncio
import os
import warnings

import pytest

from playground import (
    ConnectionLost,
    DurableObject,
    Playground,
    RpcTarget,
    WorkerEntrypoint,
    dispose,
)
from playground.errors import StubLeakWarning

from .services import failure

LOST = "Network connection lost."  # the runtime's text, always first
HERE = os.path.basename(__file__)


def line_of(marker: str) -> int:
    """The line of this file that holds ``marker`` (in a comment), for texts naming lines."""
    with open(__file__, encoding="utf-8") as source:
        lines = [n for n, text in enumerate(source, 1) if text.rstrip().endswith(f"# {marker}")]
    assert len(lines) == 1, marker
    return lines[0]


class Counter(RpcTarget):
    def __init__(self) -> None:
        self.n = 0

    def inc(self) -> int:
        self.n += 1
        return self.n


class Service(WorkerEntrypoint):
    def counter(self):
        return Counter()

    def add(self, a, b):
        return a + b

    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "done"


class Room(DurableObject):
    def visit(self):
        return "visited"


def make(**kwargs):
    play = Playground(latency="10ms", **kwargs)
    play.worker("svc", Service, exports=[Room], durable_objects={"ROOM": "Room"})
    play.worker("client", Service, services={"S": "svc"}, durable_objects={"ROOM": ("svc", "Room")})
    return play, play.env("client")


# -- ConnectionLost: what broke, and what to do ------------------------------------------------

CRASH = (
    'Network connection lost.\nThe worker "svc" crashed (play.crash). A stub that came over the '
    "lost connection is dead for good: it will not reconnect, even after the worker restarts. Get "
    "a new one by calling again the method that gave it to you. A call on env.S can be retried as "
    "it is: each one opens a new connection."
)
CUT = (
    'Network connection lost.\nThe link between "client" and "svc" is cut (play.disconnect). Once '
    "it is back (play.reconnect), a call on env.S can be retried as it is: each one opens a new "
    "connection. A stub that came over the lost connection is dead for good: it will not "
    "reconnect, even once the link is back. Get a new one by calling again the method that gave "
    "it to you."
)


def test_a_stub_broken_by_a_crash_says_it_is_dead_for_good_and_how_to_get_a_new_one():
    play, env = make()

    async def scenario():
        counter = await env.S.counter()
        in_flight = asyncio.ensure_future(failure(env.S.slow(1)))
        await play.sleep(0.1)
        play.crash("svc")
        errors = [await in_flight, await failure(counter.inc())]
        dispose(counter)
        again = await env.S.counter()  # the advice works: a new stub from the binding
        with again:
            return errors, await again.inc()

    errors, fresh = play.run(scenario())
    for error in errors:
        assert type(error) is ConnectionLost and error.retryable
        assert str(error) == CRASH
        assert str(error).splitlines()[0] == LOST  # code matching the runtime's words still does
    assert fresh == 1


def test_a_durable_object_stub_broken_by_a_crash_says_to_get_a_new_one_from_the_namespace():
    play, env = make()
    ns = env.ROOM
    room = ns.get(ns.id_from_name("lobby"))
    assert play.run(room.visit()) == "visited"
    play.crash("svc")
    error = play.run(failure(room.visit()))
    assert type(error) is ConnectionLost
    assert str(error) == (
        'Network connection lost.\nThe Durable Object Room(lobby) of worker "svc" crashed '
        "(play.crash): its memory is lost, its storage kept. A stub to it is dead for good: it "
        "will not reconnect, even when the object starts again. Get a new one with "
        "env.ROOM.get(id) and call that."
    )
    assert play.run(ns.get(ns.id_from_name("lobby")).visit()) == "visited"


def test_a_cut_link_says_the_call_can_be_retried_once_it_is_back():
    play, env = make()

    async def scenario():
        counter = await env.S.counter()
        play.disconnect("client", "svc")
        errors = [await failure(counter.inc()), await failure(env.S.add(1, 2))]  # (the second: a new call, lost)
        play.reconnect("client", "svc")
        dispose(counter)
        return errors, await env.S.add(1, 2)

    errors, retried = play.run(scenario())
    assert [str(e) for e in errors] == [CUT, CUT]
    assert retried == 3


def test_a_lost_message_says_so_and_names_the_loss():
    play, env = make(seed=4)
    play.link("client", "svc", loss=0.5)

    async def first_lost():
        for i in range(20):
            try:
                await env.S.add(i, 0)
            except ConnectionLost as error:
                return error
        raise AssertionError("no message was lost")

    error = play.run(first_lost())
    assert str(error) == (
        f'{LOST}\nA message from "client" to "svc" was lost (their link drops messages: loss=0.5), '
        "and the connection with it; a call on env.S can be retried as it is: each one opens a new "
        "connection. A stub that came over the lost connection is dead for good: it will not "
        "reconnect, even though the link works. Get a new one by calling again the method that "
        "gave it to you."
    )


# -- leak warnings name the user's line --------------------------------------------------------


class Keeper(WorkerEntrypoint):
    def keep(self, target):
        self.kept = target.dup()  # leaked here
        return "kept"


def leaky():
    play = Playground(latency="10ms")
    play.worker("svc", Keeper)
    play.worker("client", Keeper, services={"S": "svc"})
    return play, play.env("client")


def test_a_leak_warning_names_the_line_that_made_the_leaked_stub():
    play, env = leaky()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert play.run(env.S.keep(Counter())) == "kept"
        play.run(play.idle())
    [warning] = [w for w in caught if w.category is StubLeakWarning]
    assert (warning.filename, warning.lineno) == (__file__, line_of("leaked here"))
    assert str(warning.message).endswith(
        f"(1 stub(s) in svc, keep; the first made at {HERE}:{line_of('leaked here')}; see play.trace)"
    )


def test_with_warnings_as_errors_the_leak_names_the_line_in_its_message():
    play, env = leaky()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # python -W error
        with pytest.raises(StubLeakWarning, match=f"the first made at {HERE}:{line_of('leaked here')}"):
            play.run(env.S.keep(Counter()))
            play.run(play.idle())
