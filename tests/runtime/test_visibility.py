"""What the other side can reach: class members yes; instance attributes, _names, env, ctx no."""

from __future__ import annotations

import pytest

from playground import RpcStub, RpcTarget

from .services import OBJECT_PROPERTY_HAS, failure, instance_attribute, not_implemented, world




@pytest.mark.parametrize(
    "path, text",
    [
        (("instance_method",), instance_attribute("instance_method")),
        (("instance_object",), instance_attribute("instance_object")),
        (("instance_object", "func"), instance_attribute("instance_object")),
        (("env",), instance_attribute("env")),
        (("ctx",), instance_attribute("ctx")),
        (("_private",), not_implemented("_private")),
        (("__init__",), not_implemented("__init__")),
        (("__class__",), not_implemented("__class__")),
        (("__dict__",), not_implemented("__dict__")),
    ],
)
def test_instance_attributes_private_names_and_dunders_are_unreachable(path, text):
    play = world()
    env = play.env("client")
    target = env.S
    for name in path:
        target = target[name]
    error = play.run(failure(target()))
    assert type(error) is TypeError
    assert str(error) == text


def test_env_and_ctx_cannot_be_read_as_properties_either():
    play = world()
    env = play.env("client")
    for name in ("env", "ctx"):
        error = play.run(failure(env.S[name]))
        assert str(error) == instance_attribute(name)


def test_paths_through_a_returned_object_cannot_reach_env_or_non_rpc_objects():
    play = world()
    env = play.env("client")
    error = play.run(failure(env.S.object_property.env.S.no_args_method()))
    assert str(error) == f"{not_implemented('env')} {OBJECT_PROPERTY_HAS}"
    error = play.run(failure(env.S.object_property.non_rpc.foo()))
    assert str(error) == not_implemented("non_rpc")


def test_class_members_are_reachable_methods_properties_and_nested_paths():
    play = world()
    env = play.env("client")

    async def scenario():
        return (
            await env.S.no_args_method(),
            await env.S.one_arg_method(3),
            await env.S.two_args_method(123, 2),
            await env.S.function_property(19, 6),
            await env.S.object_property.func(6, 4),
            await env.S.object_property.deeper.deep_func(6, 3),
            await env.S.object_property.counter5.increment(3),
            await env.S.non_function_property,
            await env.S.object_property.some_text,
        )

    assert play.run(scenario()) == (13, 36, 258, 13, 24, 2.0, 8, {"foo": 123}, "hello")


def test_keys_of_a_plain_dict_are_reachable_even_with_underscores():
    play = world()

    async def scenario():
        with RpcStub({"_hidden_key": lambda: "dict keys are data", "n": 5}) as stub:
            return await stub["_hidden_key"](), await stub.n

    assert play.run(scenario()) == ("dict keys are data", 5)


def test_function_attributes_are_reachable_and_the_function_callable():
    play = world()
    env = play.env("client")

    async def scenario():
        with await env.S.get_function() as fn:
            return await fn(3, 6), await fn.some_property

    assert play.run(scenario()) == (5, 123)


def test_the_same_function_pipelined_without_awaiting_first():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.get_function() as fn:
            return await fn(3, 6), await fn.some_property

    assert play.run(scenario()) == (5, 123)


class WithClassAttribute(RpcTarget):
    greeting = "class attribute"

    def __init__(self):
        self.secret = "instance attribute"

    @staticmethod
    def static():
        return "static"


def test_class_attributes_are_members_instance_attributes_are_not():
    play = world()

    async def scenario():
        with RpcStub(WithClassAttribute()) as stub:
            return await stub.greeting, await stub.static(), await failure(stub.secret)

    greeting, static, error = play.run(scenario())
    assert (greeting, static) == ("class attribute", "static")
    assert str(error) == instance_attribute(
        "secret", "WithClassAttribute (RpcTarget) has the methods: static; and the properties: greeting."
    )


def test_getters_that_raise_or_return_coroutines():
    play = world()
    env = play.env("client")

    async def scenario():
        return (
            await env.S.promise_property,
            await failure(env.S.throwing_property),
            await failure(env.S.rejecting_promise_property),
            await failure(env.S.throwing_method()),
        )

    value, threw, rejected, method = play.run(scenario())
    assert value == 123
    assert str(threw) == "PROPERTY THREW" and threw.remote
    assert str(rejected) == "REJECTED"
    assert str(method) == "METHOD THREW" and method.abc == 123


def test_stub_attribute_names_starting_with_underscore_are_python_private():
    play = world()
    env = play.env("client")
    with pytest.raises(AttributeError):
        env.S._repr_html_  # noqa: B018 - IPython probes these; they must not become RPCs
    assert repr(env.S).startswith("<ServiceStub")
