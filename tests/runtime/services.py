"""Worker classes shared by the runtime tests: the Python twins of workerd's test fixtures."""

from __future__ import annotations

import inspect
import os
from typing import Any

from playground import Playground, Response, RpcTarget, WorkerEntrypoint

#: The runtime's texts, written out here (not taken from playground.errors) so that a change to
#: them fails the tests.
DISPOSED = "RPC stub used after being disposed."
PROMISE_DISPOSED = "RPC promise used after being disposed."
#: What follows DISPOSED: how the handle was disposed ({at}: " at file.py:12", where).
DISPOSED_BY = {
    "dispose": "It was disposed{at} by `dispose()`.",
    "with": "It was disposed{at} (the end of its `with` block).",
    "async with": "It was disposed{at} (the end of its `async with` block).",
    "transferred": (
        "It was sent in an RPC message (returned from a call, or passed as an argument when "
        "stubs are transferred), which gave it to the receiver; send a `dup()` of a stub to keep "
        "using it here."
    ),
    "returned": (
        "It was an argument of a call, and the runtime disposed of it when that call returned; "
        "keep a `stub.dup()` to use it longer (and dispose the copy when done)."
    ),
    "context": (
        "The runtime released it when the execution context that held it ended (the request or "
        "call it belonged to finished without disposing it)."
    ),
}


def disposed(how: str, at: str = "", text: str = DISPOSED) -> str:
    """The exact error for a stub (``text``: or a promise) used after ``how``, at ``at``
    (``"test_x.py:12"``)."""
    return f"{text} {DISPOSED_BY[how].format(at=f' at {at}' if at else '')}"


def line_of(function: Any, marker: str) -> str:
    """``file.py:line`` of the one line of ``function``'s source that contains ``marker`` (the
    lines that call this function, naming the marker, do not count)."""
    lines, first = inspect.getsourcelines(function)
    [found] = [first + i for i, line in enumerate(lines) if marker in line and "line_of(" not in line]
    return f"{os.path.basename(inspect.getsourcefile(function) or '')}:{found}"


#: What every DataCloneError for a refused value ends with (the playground's help).
CAN_CROSS = (
    "What can cross RPC: plain data (None, bool, int, float, str, bytes, list, tuple, dict, set, "
    "datetime, Decimal, UUID...), an instance of an RpcTarget subclass (passed by reference: the "
    "receiver gets a stub) and a function (passed by reference)."
)
#: The help for an entrypoint or Durable Object that returns itself.
ENTRYPOINT_HINT = (
    "A WorkerEntrypoint or DurableObject is not an RpcTarget and cannot be sent (`return self`): "
    "return an RpcTarget that does the work, or call it through its binding."
)


def refused(name: str, hint: str = "") -> str:
    """The exact DataCloneError text for a value of type ``name``: the runtime's words, then the
    playground's ``hint`` (what to send instead) and what can cross."""
    text = f'Could not serialize object of type "{name}". This type does not support serialization.'
    return f"{text} {hint} {CAN_CROSS}" if hint else f"{text} {CAN_CROSS}"


def class_refused(name: str) -> str:
    """``refused`` for an instance of one of the user's own classes."""
    return refused(name, f"To pass a {name} by reference, make {name} extend RpcTarget; to send its data, send a dict.")


def not_implemented(name: str) -> str:
    return f'The RPC receiver does not implement the method "{name}".'


#: The playground's help after not_implemented(name) on MyService: what it has.
MY_SERVICE_HAS = (
    "MyService (entrypoint) has the methods: no_args_method, one_arg_method, two_args_method, "
    "throwing_method, get_function, get_map, get_non_rpc_class, make_counter, increment_counter, "
    "get_an_object; and the properties: function_property, object_property, "
    "non_function_property, promise_property, throwing_property, rejecting_promise_property."
)
#: ... on MyService.object_property (a dict).
OBJECT_PROPERTY_HAS = "The dict has the keys: func, deeper, counter5, some_text, non_rpc."


def instance_attribute(name: str, has: str = MY_SERVICE_HAS) -> str:
    """The error for ``name``, set on the instance of a class whose members ``has`` lists."""
    return (
        f"{not_implemented(name)} `{name}` is an instance attribute (set on self), and only class "
        f"members (methods, properties) are reachable over RPC. {has}"
    )


class NonRpcClass:
    pass


class MyCounter(RpcTarget):
    """A counter; ``__dispose__`` records that the runtime released it."""

    def __init__(self, i: int = 0) -> None:
        self.i = i
        self.disposed = 0

    def increment(self, j: int = 1) -> int:
        self.i += j
        return self.i

    def fetch(self, a, b, c) -> str:  # an ordinary method on an RpcTarget
        return f"{self.i} {a} {b} {c}"

    def __dispose__(self) -> None:
        self.disposed += 1


class MyService(WorkerEntrypoint):
    def __init__(self, ctx, env) -> None:
        super().__init__(ctx, env)
        self.instance_method = lambda: "never reachable"
        self.instance_object = {"func": lambda x: x}

    def no_args_method(self, x=None):
        return 13 if x is None else -1

    def one_arg_method(self, i):
        return i * 12

    def two_args_method(self, i, j):
        return i * j + 12

    @property
    def function_property(self):
        return lambda a, b: a - b

    @property
    def object_property(self):
        return {
            "func": lambda a, b: a * b,
            "deeper": {"deep_func": lambda a, b: a / b},
            "counter5": MyCounter(5),
            "some_text": "hello",
            "non_rpc": NonRpcClass(),
        }

    @property
    def non_function_property(self):
        return {"foo": 123}

    @property
    def promise_property(self):
        async def value():
            return 123

        return value()

    @property
    def throwing_property(self):
        raise Exception("PROPERTY THREW")

    @property
    def rejecting_promise_property(self):
        async def reject():
            raise Exception("REJECTED")

        return reject()

    def throwing_method(self):
        error = Exception("METHOD THREW")
        error.abc = 123
        raise error

    def get_function(self):
        def xor(a, b):
            return a ^ b

        xor.some_property = 123
        return xor

    def get_map(self):
        return {"foo": 123, "bar": 456}

    def get_non_rpc_class(self):
        return {"obj": NonRpcClass()}

    def make_counter(self, i):
        return MyCounter(i)

    async def increment_counter(self, counter, i):
        return await counter.increment(i)

    def get_an_object(self, i):
        return {"foo": 123 + i, "counter": MyCounter(i)}

    def fetch(self, request):
        return Response(f"method = {request.method}, url = {request.url}")


class Client(WorkerEntrypoint):
    """A worker whose bindings the tests act through."""


def world(latency: str = "25ms", **kwargs) -> Playground:
    """``svc`` serves MyService; ``client`` binds it as ``S``."""
    play = Playground(latency=latency, **kwargs)
    play.worker("svc", MyService)
    play.worker("client", Client, services={"S": "svc"})
    return play


async def failure(awaitable) -> BaseException:
    """The exception ``awaitable`` fails with (a test helper)."""
    try:
        await awaitable
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("expected the await to fail")
