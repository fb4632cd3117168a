"""Errors: what survives the trip, and the runtime's exact texts."""

from __future__ import annotations

import pytest

from playground import RemoteError, RpcError, WorkerEntrypoint

from .services import failure, world


class QuotaExceeded(ValueError):
    def __init__(self, message, limit):
        super().__init__(message)
        self.limit = limit


class Plain(Exception):
    pass


class Thrower(WorkerEntrypoint):
    def builtin(self, kind):
        raise {"type": TypeError, "value": ValueError, "key": KeyError, "zero": ZeroDivisionError}[kind]("boom")

    def divide(self, a, b):
        return a / b

    def custom(self):
        raise QuotaExceeded("over quota", limit=10)

    def plain_custom(self):
        error = Plain("plain custom")
        error.code = "E42"
        raise error

    async def async_reject(self):
        raise RuntimeError("async reject")

    def ok(self):
        return {"n": 1}


def thrower_world():
    play = world()
    play.worker("thrower", Thrower)
    play.worker("caller", Thrower, services={"T": "thrower"})
    return play, play.env("caller")


@pytest.mark.parametrize(
    "kind, cls, text",
    [("type", TypeError, "boom"), ("value", ValueError, "boom"), ("key", KeyError, "'boom'"), ("zero", ZeroDivisionError, "boom")],
)
def test_builtin_exceptions_keep_their_type_and_message_and_are_remote(kind, cls, text):
    play, env = thrower_world()
    error = play.run(failure(env.T.builtin(kind)))
    assert type(error) is cls
    assert str(error) == text
    assert error.remote is True


def test_a_real_python_error_from_user_code_crosses_too():
    play, env = thrower_world()
    error = play.run(failure(env.T.divide(1, 0)))
    assert type(error) is ZeroDivisionError and str(error) == "division by zero"


def test_custom_exception_arrives_as_remote_error_with_name_attributes_and_builtin_base():
    play, env = thrower_world()
    error = play.run(failure(env.T.custom()))
    assert isinstance(error, RemoteError)
    assert isinstance(error, ValueError)  # `except ValueError:` still catches it
    assert error.name == "QuotaExceeded"
    assert str(error) == "over quota"
    assert error.limit == 10
    assert error.remote is True


def test_custom_exception_of_plain_exception_base_is_a_remote_error():
    play, env = thrower_world()
    error = play.run(failure(env.T.plain_custom()))
    assert type(error) is RemoteError
    assert (error.name, str(error), error.code) == ("Plain", "plain custom", "E42")


def test_an_async_rejection_is_a_rejection():
    play, env = thrower_world()
    error = play.run(failure(env.T.async_reject()))
    assert type(error) is RuntimeError and error.remote


def test_calls_pipelined_on_a_failed_call_fail_with_the_same_error():
    play, env = thrower_world()

    async def scenario():
        with env.T.custom() as failed:
            return await failure(failed), await failure(failed.a.b()), await failure(failed["x"])

    first, second, third = play.run(scenario())
    for error in (first, second, third):
        assert isinstance(error, RemoteError) and error.name == "QuotaExceeded" and error.limit == 10


#: The runtime's text, then the playground's help: what the target has.
THROWER_DOES_NOT_EXIST = (
    'The RPC receiver does not implement the method "does_not_exist". '
    "Thrower (entrypoint) has the methods: builtin, divide, custom, plain_custom, async_reject, ok."
)


def test_unknown_name_text():
    play, env = thrower_world()
    error = play.run(failure(env.T.does_not_exist()))
    assert type(error) is TypeError and error.remote
    assert str(error) == THROWER_DOES_NOT_EXIST


def test_unknown_property_read_uses_the_same_text():
    play, env = thrower_world()
    error = play.run(failure(env.T.does_not_exist))
    assert str(error) == THROWER_DOES_NOT_EXIST


def test_not_a_function_text_names_the_dotted_path():
    play = world()
    env = play.env("client")
    first = play.run(failure(env.S.non_function_property()))
    second = play.run(failure(env.S.non_function_property.foo()))
    assert type(first) is TypeError and str(first) == '"non_function_property" is not a function.'
    assert str(second) == '"non_function_property.foo" is not a function.'


def test_reserved_name_text_on_a_path_from_an_entrypoint():
    play = world()
    env = play.env("client")
    error = play.run(failure(env.S.object_property.counter5.fetch(1, 2, 3)))
    assert type(error) is TypeError
    assert str(error) == "'fetch' is a reserved method and cannot be called over RPC."
    error = play.run(failure(env.S["fetch"]()))
    assert str(error) == "'fetch' is a reserved method and cannot be called over RPC."
    error = play.run(failure(env.S["dup"]()))
    assert str(error) == "'dup' is a reserved method and cannot be called over RPC."


def test_fetch_is_an_ordinary_method_on_a_returned_rpc_target():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.make_counter(16) as counter:
            return await counter.fetch(True, 123, "baz")

    assert play.run(scenario()) == "16 True 123 baz"


def test_pipelining_on_a_non_object_result_that_is_still_pending():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.one_arg_method(5) as five:
            return await failure(five.foo())

    error = play.run(scenario())
    assert type(error) is TypeError
    assert str(error) == 'The RPC receiver does not implement the method "foo".'


def test_pipelining_on_a_non_object_result_that_has_resolved():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.one_arg_method(5) as five:
            assert await five == 60
            return await failure(five.foo())

    error = play.run(scenario())
    assert type(error) is TypeError and str(error) == "Can't pipeline on RPC that did not return an object."


def test_pipelining_on_a_resolved_object_reaches_into_it_locally():
    play = world()
    env = play.env("client")

    async def scenario():
        with env.S.get_an_object(5) as obj:
            value = await obj
            with play.record() as rec:
                foo = await obj.foo
            return value["foo"], foo, len(rec.messages)

    assert play.run(scenario()) == (128, 128, 0)


def test_the_error_of_a_disposed_stub_is_local_not_remote():
    play = world()
    env = play.env("client")

    async def scenario():
        counter = await env.S.make_counter(1)
        counter.__exit__(None, None, None)
        return await failure(counter.increment())

    error = play.run(scenario())
    assert type(error) is RpcError and error.remote is False


# -- causes and attributes (issue 12) --------------------------------------------------------


class Chains(WorkerEntrypoint):
    def from_cause(self):
        raise ValueError("outer") from TypeError("inner")

    def implicit_context(self):
        try:
            raise KeyError("first")
        except KeyError:
            raise ValueError("while handling")  # noqa: B904 (the implicit __context__ is a KeyError)

    def custom_cause(self):
        raise RuntimeError("outer") from QuotaExceeded("quota", limit=3)

    def long_chain(self):
        error = ValueError("0")
        for i in range(1, 100):
            try:
                raise ValueError(str(i)) from error
            except ValueError as exc:
                error = exc
        raise error

    def cyclic(self):
        a, b = ValueError("a"), TypeError("b")
        a.__cause__, b.__cause__ = b, a
        raise a

    def mixed_attributes(self):
        error = ValueError("mixed")
        error.code = 3
        error.callback = lambda: None
        raise error

    def bad_cause_attribute(self):
        cause = TypeError("inner")
        cause.hook = lambda: None
        cause.code = 5
        outer = ValueError("outer")
        outer.code = 4
        raise outer from cause


def chains_world(**options):
    play = world(**options)
    play.worker("chains", Chains)
    play.worker("caller", Thrower, services={"C": "chains"})
    return play, play.env("caller")


def test_the_cause_travels_rebuilt_by_the_same_rules_and_remote():
    play, env = chains_world()
    error = play.run(failure(env.C.from_cause()))
    assert type(error) is ValueError and str(error) == "outer" and error.remote is True
    cause = error.__cause__
    assert type(cause) is TypeError and str(cause) == "inner"
    assert cause.remote is True
    custom = play.run(failure(env.C.custom_cause())).__cause__
    assert isinstance(custom, RemoteError) and isinstance(custom, ValueError)
    assert (custom.name, str(custom), custom.limit, custom.remote) == ("QuotaExceeded", "quota", 3, True)


def test_the_implicit_context_does_not_travel():
    play, env = chains_world()
    error = play.run(failure(env.C.implicit_context()))
    assert str(error) == "while handling"
    assert error.__cause__ is None and error.__context__ is None


def test_a_long_cause_chain_is_cut_and_a_cyclic_one_ends_where_it_closes():
    from playground.codec.values import MAX_CAUSES

    play, env = chains_world()
    error = play.run(failure(env.C.long_chain()))
    depth, node = 0, error
    while node is not None:
        depth, node = depth + 1, node.__cause__
    assert depth == MAX_CAUSES
    assert str(error) == "99"
    cyclic = play.run(failure(env.C.cyclic()))
    assert (str(cyclic), str(cyclic.__cause__)) == ("a", "b")
    assert cyclic.__cause__.__cause__ is None
    assert cyclic.__cause__.remote is True


def test_one_attribute_that_cannot_be_serialized_drops_them_all():
    play, env = chains_world()
    error = play.run(failure(env.C.mixed_attributes()))
    assert type(error) is ValueError and str(error) == "mixed" and error.remote is True
    assert not hasattr(error, "code") and not hasattr(error, "callback")
    outer = play.run(failure(env.C.bad_cause_attribute()))
    assert outer.code == 4  # each error of the chain by itself
    assert type(outer.__cause__) is TypeError and not hasattr(outer.__cause__, "code")


def test_legacy_errors_drop_the_cause():
    play, env = chains_world(compatibility_flags=["legacy_error_serialization"])
    error = play.run(failure(env.C.from_cause()))
    assert type(error) is ValueError and str(error) == "outer"
    assert error.__cause__ is None
