"""Issue 12: promises, ``dup``, ``self``, bindings and private names as workerd has them."""

from __future__ import annotations

import asyncio

from playground import DataCloneError, DurableObject, Playground, RpcError, RpcStub, RpcTarget, WorkerEntrypoint, dispose

from .services import ENTRYPOINT_HINT, disposed, failure, line_of, refused


class D(WorkerEntrypoint):
    def add(self, a, b):
        return a + b

    @property
    def value(self):
        return 7

    @property
    def info(self):
        return {"n": 1}

    def make_counter(self):
        return Counter()

    def me(self):
        return self

    def me_inside(self):
        return {"me": self}

    def secret(self):
        return self._secret

    _secret = "hidden"


class Counter(RpcTarget):
    def __init__(self):
        self.n = 0

    def increment(self, by=1):
        self.n += by
        return self.n


class Client(WorkerEntrypoint):
    pass


class Room(DurableObject):
    def me(self):
        return self


def make():
    play = Playground(latency="10ms")
    play.worker("d", D, exports=[Room], durable_objects={"ROOM": "Room"})
    play.worker("client", Client, services={"D": "d"}, durable_objects={"ROOM": ("d", "Room")})
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


# -- row 3: a promise disposed while pending can still be awaited; pipelining on it fails ---------

PROMISE_DISPOSED = "RPC promise used after being disposed."


def test_a_promise_disposed_while_pending_still_resolves_when_awaited():
    play, env = make()

    async def scenario():
        promise = env.D.add(1, 2)
        dispose(promise)
        pipelined = await failure(promise.foo())
        return await promise, pipelined

    value, pipelined = play.run(scenario())
    assert value == 3
    at = line_of(test_a_promise_disposed_while_pending_still_resolves_when_awaited, "dispose(")
    assert type(pipelined) is RpcError and str(pipelined) == disposed("dispose", at, PROMISE_DISPOSED)


def test_a_promise_disposed_while_being_awaited_resolves_and_its_stubs_are_disposed():
    play, env = make()

    async def scenario():
        promise = env.D.make_counter()
        waiting = asyncio.ensure_future(_value(promise))
        await asyncio.sleep(0.001)  # the pull is on its way
        dispose(promise)
        counter = await waiting
        return counter, await failure(counter.increment())

    counter, error = play.run(scenario())
    assert isinstance(counter, RpcStub)
    at = line_of(test_a_promise_disposed_while_being_awaited_resolves_and_its_stubs_are_disposed, "dispose(")
    assert type(error) is RpcError and str(error) == disposed("dispose", at)  # the result went with the promise
    play.run(play.idle())
    assert play.stubs() == [] and play.leaks() == []


async def _value(promise):
    return await promise


def test_a_disposed_promise_nobody_awaits_is_released_without_being_pulled():
    play, env = make()

    async def scenario():
        with play.record() as rec:
            with env.D.make_counter() as counter:
                assert await counter.increment(2) == 2
        return rec

    rec = play.run(scenario())
    kinds = [m.kind for m in rec.messages]
    assert kinds.count("pull") == 1 and "release" in kinds  # increment's pull only
    assert rec.round_trips == 1
    play.run(play.idle())
    assert play.stubs() == [] and play.leaks() == []


# -- row 4: promise.dup() is pipelined, and refused by the callee; the promise keeps working -------


def test_dup_on_a_promise_is_a_pipelined_call_the_callee_refuses():
    play, env = make()

    async def scenario():
        with env.D.make_counter() as promise:
            with play.record() as rec:
                error = await failure(promise.dup())
            value = await promise.increment(4)
            counter = await promise
            copy = counter.dup()  # a stub's own dup() stays local
            return error, rec, value, copy

    error, rec, value, copy = play.run(scenario())
    assert type(error) is TypeError and str(error) == "'dup' is a reserved method and cannot be called over RPC."
    assert error.remote is True
    assert [m.kind for m in rec.messages if m.kind == "push"] == ["push"]  # it went to the callee
    assert value == 4
    assert isinstance(copy, RpcStub)
    dispose(copy)


def test_dup_on_a_property_is_pipelined_too():
    play, env = make()
    error = play.run(failure(env.D.info.dup()))
    assert type(error) is TypeError and str(error) == "'dup' is a reserved method and cannot be called over RPC."


# -- row 5: an entrypoint (or Durable Object) returning itself cannot be serialized ---------------


def test_an_entrypoint_returning_self_is_refused_on_the_callee_side():
    play, env = make()
    top = play.run(failure(env.D.me()))
    inside = play.run(failure(env.D.me_inside()))
    pipelined = play.run(failure(env.D.me().add(1, 2)))  # nothing to pipeline on, either
    for error in (top, inside, pipelined):
        assert type(error) is DataCloneError and str(error) == refused("D", ENTRYPOINT_HINT)
        assert error.remote is True


def test_a_durable_object_returning_self_is_refused():
    play, env = make()
    room = env.ROOM.get(env.ROOM.id_from_name("a"))
    error = play.run(failure(room.me()))
    assert type(error) is DataCloneError and str(error) == refused("Room", ENTRYPOINT_HINT)


# -- row 11: a binding is not a function ------------------------------------------------------------


def test_calling_a_service_binding_is_a_type_error_at_once_and_sends_nothing():
    play, env = make()
    with play.record() as rec:
        try:
            env.D()
        except TypeError as error:
            message = str(error)
        else:
            raise AssertionError("expected a TypeError")
    assert message == "A service binding is not callable; call one of its methods: env.SERVICE.method(...)"
    assert rec.messages == []


def test_calling_a_durable_object_stub_is_a_type_error_at_once():
    play, env = make()
    room = env.ROOM.get(env.ROOM.id_from_name("a"))
    try:
        room()
    except TypeError as error:
        assert "Durable Object stub is not callable" in str(error)
    else:
        raise AssertionError("expected a TypeError")


# -- row 12: _names are private, and the error says so ----------------------------------------------


def test_a_private_name_on_a_stub_says_it_is_private_and_how_to_expose_it():
    play, env = make()

    async def scenario():
        counter = await env.D.make_counter()
        errors = []
        for handle in (env.D, counter, env.D.make_counter(), env.D.value):
            try:
                handle._secret
            except AttributeError as error:
                errors.append(error)
        dispose(counter)
        return errors, hasattr(env.D, "_secret"), await env.D.secret()

    errors, has, exposed = play.run(scenario())
    assert len(errors) == 4
    for error in errors:
        text = str(error)
        assert "'_secret' is private to the worker" in text
        assert "not reachable over RPC" in text
        assert "public method or property" in text
        assert error.name == "_secret"
    assert has is False and exposed == "hidden"
