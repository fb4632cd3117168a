"""Section G of the semantics reference: the workerd peer-test scenarios this core covers
(G5–G15, G18, G26, G28a–b, G36, G39), in Python spelling."""

from __future__ import annotations

import pytest

from playground import DataCloneError, RpcError, RpcStub, dispose

from .services import (
    OBJECT_PROPERTY_HAS,
    class_refused,
    disposed,
    failure,
    instance_attribute,
    line_of,
    not_implemented,
    world,
)



@pytest.fixture
def env_play():
    play = world()
    return play.env("client"), play


def test_g5_basic_calls(env_play):
    env, play = env_play

    async def scenario():
        return await env.S.no_args_method(), await env.S.one_arg_method(3), await env.S.two_args_method(123, 2)

    assert play.run(scenario()) == (13, 36, 258)


def test_g6_property_results(env_play):
    env, play = env_play

    async def scenario():
        return (
            await env.S.function_property(19, 6),
            await env.S.object_property.func(6, 4),
            await env.S.object_property.deeper.deep_func(6, 3),
            await env.S.object_property.counter5.increment(3),
            await env.S.non_function_property,
            await env.S.object_property.some_text,
        )

    assert play.run(scenario()) == (13, 24, 2.0, 8, {"foo": 123}, "hello")


def test_g7_awaited_property_stubs_keep_state(env_play):
    env, play = env_play

    async def scenario():
        with await env.S.object_property.counter5 as counter, await env.S.object_property.func as func:
            return await counter.increment(3), await counter.increment(7), await func(3, 7)

    assert play.run(scenario()) == (8, 15, 21)


def test_g8_function_with_own_property_awaited_and_pipelined(env_play):
    env, play = env_play

    async def scenario():
        with await env.S.get_function() as fn:
            awaited = (await fn(3, 6), await fn.some_property)
        with env.S.get_function() as fn:
            pipelined = (await fn(3, 6), await fn.some_property)
        return awaited, pipelined

    assert play.run(scenario()) == ((5, 123), (5, 123))


def test_g9_promise_valued_getter(env_play):
    env, play = env_play
    assert play.run(env.S.promise_property) == 123


def test_g10_fetch_is_special(env_play):
    env, play = env_play

    async def scenario():
        response = await env.S.fetch("http://foo/", method="POST", body="x")
        return await response.text()

    assert play.run(scenario()) == "method = POST, url = http://foo/"


@pytest.mark.parametrize("path", [("instance_method",), ("instance_object", "func")])
def test_g11_instance_members_are_hidden(env_play, path):
    env, play = env_play
    target = env.S
    for name in path:
        target = target[name]
    assert str(play.run(failure(target(3)))) == instance_attribute(path[0])
    assert str(play.run(failure(env.S.instance_object))) == instance_attribute("instance_object")


def test_g12_throwing_members(env_play):
    env, play = env_play

    async def scenario():
        return [
            str(await failure(env.S.throwing_property)),
            str(await failure(env.S.throwing_method())),
            str(await failure(env.S.rejecting_promise_property)),
        ]

    assert play.run(scenario()) == ["PROPERTY THREW", "METHOD THREW", "REJECTED"]


@pytest.mark.parametrize(
    "name, call, text",
    [
        ("two_args_method", (2, 3), None),
        ("__init__", (), not_implemented("__init__")),
        ("fetch", (), "'fetch' is a reserved method and cannot be called over RPC."),
        ("__str__", (), not_implemented("__str__")),
        ("__eq__", (1,), not_implemented("__eq__")),
        ("env", (), instance_attribute("env")),
        ("ctx", (), instance_attribute("ctx")),
        ("non_function_property", (), '"non_function_property" is not a function.'),
    ],
)
def test_g13_methods_reached_by_name(env_play, name, call, text):
    env, play = env_play
    if text is None:
        assert play.run(env.S[name](*call)) == 18
    else:
        error = play.run(failure(env.S[name](*call)))
        assert type(error) is TypeError and str(error) == text


def test_g13_non_function_nested_path(env_play):
    env, play = env_play
    error = play.run(failure(env.S["non_function_property"].foo()))
    assert str(error) == '"non_function_property.foo" is not a function.'


@pytest.mark.parametrize(
    "path, text",
    [
        (("object_property", "non_rpc", "foo"), not_implemented("non_rpc")),
        (("object_property", "non_rpc", "bar", "baz"), not_implemented("non_rpc")),
        (("object_property", "env", "S", "no_args_method"), f"{not_implemented('env')} {OBJECT_PROPERTY_HAS}"),
        (("object_property", "ctx", "wait_until"), f"{not_implemented('ctx')} {OBJECT_PROPERTY_HAS}"),
    ],
)
def test_g14_path_traversal_refusals(env_play, path, text):
    env, play = env_play
    target = env.S
    for part in path:
        target = target[part]
    assert str(play.run(failure(target()))) == text


def test_g15_serialization_refusals(env_play):
    env, play = env_play
    error = play.run(failure(env.S.get_non_rpc_class()))
    assert type(error) is DataCloneError and error.remote
    assert str(error) == class_refused("NonRpcClass")


def test_g18_a_mapping_returns_by_value(env_play):
    env, play = env_play
    mapping = play.run(env.S.get_map())
    assert (mapping.get("foo"), mapping.get("bar"), mapping.get("baz")) == (123, 456, None)


def test_g26_promise_pipelining(env_play):
    env, play = env_play

    async def scenario():
        with env.S.make_counter(12) as counter, env.S.get_an_object(5) as obj, env.S.get_an_object(5) as obj2:
            results = [await counter.increment(3), await obj.foo, await obj2.counter.increment(7)]
        with env.S.one_arg_method(5) as n, env.S.get_map() as mapping:
            results.append(str(await failure(n.foo())))
            results.append(str(await failure(mapping.baz())))  # a dict is pipelinable: keys
            results.append(str(await failure(mapping.foo())))
        return results

    assert play.run(scenario()) == [
        15, 128, 12, not_implemented("foo"),
        f"{not_implemented('baz')} Did you mean `bar`? The dict has the keys: foo, bar.",
        '"foo" is not a function.',
    ]


def test_g28a_disposal_of_a_returned_counter(env_play):
    env, play = env_play

    async def scenario():
        counter = await env.S.make_counter(12)
        first = await counter.increment(3)
        dispose(counter)
        return first, await failure(counter.increment(1))

    first, error = play.run(scenario())
    at = line_of(test_g28a_disposal_of_a_returned_counter, "dispose(")
    assert first == 15 and type(error) is RpcError and str(error) == disposed("dispose", at)


def test_g28b_disposing_a_returned_object_disposes_its_stubs(env_play):
    env, play = env_play

    async def scenario():
        obj = await env.S.get_an_object(5)
        first = await obj["counter"].increment(7)
        dispose(obj)
        return first, await failure(obj["counter"].increment(2))

    first, error = play.run(scenario())
    at = line_of(test_g28b_disposing_a_returned_object_disposes_its_stubs, "dispose(")
    assert first == 12 and str(error) == disposed("dispose", at)


def test_g36_exception_properties(env_play):
    env, play = env_play
    error = play.run(failure(env.S.throwing_method()))
    assert (error.abc, error.remote, str(error)) == (123, True, "METHOD THREW")


def test_g39_printing_a_stub_has_no_side_effects(env_play, capsys):
    env, play = env_play

    async def scenario():
        with await env.S.make_counter(0) as counter:
            results = [await counter.increment(1)]
            with play.record() as rec:
                print(counter, repr(counter), str(counter))
            results.append(await counter.increment(1))
            results.append(await counter.increment(1))
            return results, len(rec.messages)

    results, messages = play.run(scenario())
    assert results == [1, 2, 3] and messages == 0
    assert "RpcStub" in capsys.readouterr().out


def test_g22_loopback_stub_is_an_rpc_stub(env_play):
    env, play = env_play
    with RpcStub({"x": 1}) as stub:
        assert isinstance(stub, RpcStub)
        assert play.run(stub.x) == 1
