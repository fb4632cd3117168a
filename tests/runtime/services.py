"""Worker classes shared by the runtime tests: the Python twins of workerd's test fixtures."""

from __future__ import annotations

from playground import Playground, Response, RpcTarget, WorkerEntrypoint

#: The runtime's texts, written out here (not taken from playground.errors) so that a change to
#: them fails the tests.
DISPOSED = "RPC stub used after being disposed."


def not_implemented(name: str) -> str:
    return f'The RPC receiver does not implement the method "{name}".'


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
