"""Values over RPC: by value, by reference, refused; the 32 MiB limit on arguments and results."""

from __future__ import annotations

import datetime as dt

import pytest

from playground import DataCloneError, Playground, RpcError, RpcStub, WorkerEntrypoint, dispose

from .services import NonRpcClass, class_refused, failure


class Echo(WorkerEntrypoint):
    received: list = []

    def echo(self, value):
        Echo.received.append(value)
        return value

    def mutate(self, value):
        value["changed"] = True
        return value

    def kinds(self, *args, **kwargs):
        return [type(a).__name__ for a in args], sorted(kwargs)

    async def call_inside(self, obj):
        return await obj["ping"]("from b")

    def nested_promise(self):
        return {"value": self.env.SELF.echo(1)}

    def returns_promise(self):
        return self.env.SELF.echo({"x": 123})

    def non_rpc(self):
        return {"obj": NonRpcClass()}

    def size(self, data):
        return len(data)

    def big(self, n):
        return bytes(n)

    def make_adder(self):
        return {"a": 1, "f": lambda x: x + 100}


def echo_world(**kwargs):
    play = Playground(latency="5ms", **kwargs)
    play.worker("b", Echo, services={"SELF": "b"})
    play.worker("a", Echo, services={"B": "b"})
    return play, play.env("a")


VALUES = [
    None,
    True,
    -0.0,
    2**80,
    "text",
    b"bytes",
    [1, [2, [3]]],
    (1, (2, "three")),
    {"nested": {"list": [1, 2]}, 1: "int key", (1, 2): "tuple key"},
    {1, 2, 3},
    frozenset({"a"}),
    dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc),
    ValueError("an error as a value"),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_cross_by_value_with_their_type(value):
    play, env = echo_world()
    back = play.run(env.B.echo(value))
    assert type(back) is type(value)
    if isinstance(value, BaseException):
        assert str(back) == str(value)
    else:
        assert back == value


def test_by_value_is_a_copy_on_both_sides():
    play, env = echo_world()
    original = {"n": 1}
    back = play.run(env.B.mutate(original))
    assert original == {"n": 1}
    assert back == {"n": 1, "changed": True}


def test_keyword_arguments_are_passed_too():
    play, env = echo_world()
    assert play.run(env.B.kinds(1, "x", (2,), first=1, second=2)) == (["int", "str", "tuple"], ["first", "second"])


def test_a_function_inside_a_plain_dict_becomes_a_stub():
    play, env = echo_world()
    assert play.run(env.B.call_inside({"ping": lambda who: f"pong {who}"})) == "pong from b"


def test_a_returned_dict_with_a_function_is_callable_on_arrival():
    play, env = echo_world()

    async def scenario():
        obj = await env.B.make_adder()
        try:
            return obj["a"], await obj["f"](1)
        finally:
            dispose(obj)

    assert play.run(scenario()) == (1, 101)


def test_a_class_passed_as_a_value_becomes_a_callable_stub():
    play, env = echo_world()

    async def scenario():
        with await env.B.echo(int) as stub:
            return await stub("42")

    assert play.run(scenario()) == 42


def test_refused_arguments_reject_the_promise_and_send_nothing():
    play, env = echo_world()
    with play.record() as rec:
        promise = env.B.echo({"x": NonRpcClass()})  # no exception here
        error = play.run(failure(promise))
    assert type(error) is DataCloneError
    assert str(error) == class_refused("NonRpcClass")
    assert error.remote is False if hasattr(error, "remote") else True
    assert rec.messages == []


def test_a_refused_return_value_arrives_as_a_remote_data_clone_error():
    play, env = echo_world()
    error = play.run(failure(env.B.non_rpc()))
    assert type(error) is DataCloneError and error.remote
    assert str(error) == class_refused("NonRpcClass")


def test_a_promise_nested_in_a_returned_value_is_refused():
    play, env = echo_world()
    error = play.run(failure(env.B.nested_promise()))
    assert type(error) is DataCloneError
    assert str(error) == 'Could not serialize object of type "RpcPromise". This type does not support serialization.'


def test_a_promise_returned_at_the_top_level_is_awaited_and_pipelinable():
    play, env = echo_world()

    async def scenario():
        with env.B.returns_promise() as promise:
            return await promise, await promise.x

    assert play.run(scenario()) == ({"x": 123}, 123)


def test_arguments_over_32_mib_fail_locally_with_the_size():
    play, env = echo_world()
    with play.record() as rec:
        error = play.run(failure(env.B.size(bytes(33 * 1024 * 1024))))
    assert type(error) is RpcError and not error.remote
    assert str(error) == (
        "Serialized RPC arguments or return values are limited to 32MiB, but the size of this "
        "value was: 34603014 bytes."
    )
    assert rec.messages == []


def test_arguments_are_measured_as_one_array():
    play, env = echo_world()
    half = 16 * 1024 * 1024
    assert play.run(env.B.size(bytes(half - 100))) == half - 100
    error = play.run(failure(env.B.kinds(bytes(half), bytes(half))))
    assert "limited to 32MiB" in str(error)


def test_a_failed_encoding_leaves_no_export_behind():
    play, env = echo_world()
    local = RpcStub(lambda: 1)
    error = play.run(failure(env.B.echo([local, NonRpcClass()])))
    assert type(error) is DataCloneError
    play.run(play.idle())
    assert play.open_connections() == []
    dispose(local)


def test_streams_are_not_yet_sendable_but_fail_clearly():
    from playground import Response

    play, env = echo_world()
    assert play.run(env.B.echo(Response("plain body"))).status == 200
