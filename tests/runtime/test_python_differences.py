"""Where Python and JavaScript differ, the playground keeps Python's behaviour (the table
"Choices where Python and Workers differ" in docs/design.md): these tests pin each row."""

from __future__ import annotations

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint
from playground.errors import RemoteError

from .services import failure


class MyTypeError(TypeError):
    pass


class Greeter(RpcTarget):
    def __init__(self, greeting):
        self.greeting = greeting

    def greet(self, who):
        return f"{self.greeting} {who}"


class Service(WorkerEntrypoint):
    def one(self, a):
        return a

    def pair(self, a, b=0):
        return [a, b]

    def greeter_method(self):
        return Greeter("hello").greet  # a bound method: it keeps its self

    def fail(self):
        raise MyTypeError("not that type")


class Client(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    yield play
    play.close()


def test_too_many_or_too_few_arguments_are_the_callees_type_error(play):
    env = play.env("client")
    too_many = play.run(failure(env.S.one(1, 2)))
    too_few = play.run(failure(env.S.one()))
    assert type(too_many) is TypeError and too_many.remote is True
    assert str(too_many) == "Service.one() takes 2 positional arguments but 3 were given"
    assert type(too_few) is TypeError and too_few.remote is True
    assert str(too_few) == "Service.one() missing 1 required positional argument: 'a'"
    assert play.run(env.S.pair(1, b=2)) == [1, 2]  # keyword arguments travel too


def test_a_bound_method_crosses_as_a_function_that_keeps_its_self(play):
    env = play.env("client")

    async def scenario():
        with await env.S.greeter_method() as greet:
            return await greet("world")

    assert play.run(scenario()) == "hello world"


def test_a_type_error_subclass_keeps_its_python_base(play):
    env = play.env("client")
    error = play.run(failure(env.S.fail()))
    assert isinstance(error, TypeError) and isinstance(error, RemoteError)
    assert error.name == "MyTypeError" and error.remote is True
    assert not isinstance(error, MyTypeError)  # the class itself does not cross
