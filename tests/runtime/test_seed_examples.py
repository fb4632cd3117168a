"""Every example of the seed document (workers-rpc.md), in Python, with its round trips."""

from __future__ import annotations

import asyncio

import pytest

from playground import Playground, Response, RpcError, RpcTarget, WorkerEntrypoint


# -- "Example": Worker A calls add() on Worker B ------------------------------------------------


class WorkerB(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("Hello from Worker B")

    def add(self, a: int, b: int) -> int:
        return a + b


class WorkerA(WorkerEntrypoint):
    async def fetch(self, request):
        result = await self.env.WORKER_B.add(1, 2)
        return Response(f"Result: {result}")


def make_ab(latency: str = "25ms") -> Playground:
    play = Playground(latency=latency)
    play.worker("worker_b", WorkerB)
    play.worker("worker_a", WorkerA, services={"WORKER_B": "worker_b"})
    return play


def test_worker_a_calls_add_on_worker_b_in_one_round_trip():
    play = make_ab()
    env = play.env("worker_a")
    with play.record() as rec:
        assert play.run(env.WORKER_B.add(1, 2)) == 3
    assert rec.round_trips == 1
    assert rec.elapsed == pytest.approx(0.050)


def test_fetch_into_worker_a_reaches_worker_b():
    play = make_ab()
    with play.record() as rec:
        response = play.run(play.fetch("worker_a", "http://a/"))
    assert isinstance(response, Response)
    assert play.run(response.text()) == "Result: 3"
    # client -> A, A -> B -> A, A -> client: two round trips of 25 ms each way
    assert rec.round_trips == 2
    assert rec.elapsed == pytest.approx(0.100)


def test_fetch_on_a_service_binding_is_not_rpc_but_reaches_fetch():
    play = make_ab()
    env = play.env("worker_a")
    response = play.run(env.WORKER_B.fetch("http://b/"))
    assert play.run(response.text()) == "Hello from Worker B"


# -- "Functions": returning a closure -----------------------------------------------------------


class CounterServiceReturningFunction(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("Hello from counter-service")

    async def new_counter(self):
        value = 0

        def counter(increment=0):
            nonlocal value
            value += increment
            return value

        return counter


def test_returned_function_is_a_stub_that_runs_where_it_was_made():
    play = Playground(latency="25ms")
    play.worker("counter-service", CounterServiceReturningFunction)
    play.worker("client_worker", WorkerA, services={"COUNTER_SERVICE": "counter-service"})
    env = play.env("client_worker")

    async def client():
        with await env.COUNTER_SERVICE.new_counter() as f:
            return [await f(2), await f(1), await f(-5)]

    with play.record() as rec:
        assert play.run(client()) == [2, 3, -2]
    assert rec.round_trips == 4
    # the closure's state lives in counter-service: each call is a push to it
    assert [m.receiver for m in rec.messages if m.kind == "push"] == ["counter-service"] * 4


class Caller(WorkerEntrypoint):
    async def call_me(self, callback, value):
        return f"callback returned {await callback(value)}"


def test_function_passed_as_parameter_is_called_back_in_the_caller():
    play = Playground(latency="25ms")
    play.worker("b", Caller)
    play.worker("a", WorkerA, services={"B": "b"})
    env = play.env("a")
    seen = []

    def double(v):
        seen.append(v)
        return v * 2

    with play.record() as rec:
        assert play.run(env.B.call_me(double, 21)) == "callback returned 42"
    assert seen == [21]
    assert rec.round_trips == 2  # a -> b, b -> a (the callback), back, back


# -- "Class Instances": RpcTarget ------------------------------------------------------------


class Counter(RpcTarget):
    def __init__(self):
        self._value = 0

    def increment(self, amount=1):
        self._value += amount
        return self._value

    @property
    def value(self):
        return self._value


class CounterService(WorkerEntrypoint):
    async def new_counter(self):
        return Counter()

    def get_counter(self):
        return Counter()


class OkHandler:
    """The seed's ``export default { fetch() { return new Response("ok") } }``."""

    def fetch(self, request, env, ctx):
        return Response("ok")


def make_counter_world() -> Playground:
    play = Playground(latency="25ms")
    play.worker("counter", OkHandler, exports=[CounterService])
    play.worker(
        "client-worker", WorkerA, services={"COUNTER_SERVICE": ("counter", "CounterService")}
    )
    return play


def test_rpc_target_methods_and_property_over_a_named_entrypoint():
    play = make_counter_world()
    env = play.env("client-worker")

    async def client():
        with await env.COUNTER_SERVICE.new_counter() as counter:
            results = [await counter.increment(2), await counter.increment(1), await counter.increment(-5)]
            count = await counter.value
        return results, count

    assert play.run(client()) == ([2, 3, -2], -2)


def test_private_state_of_an_rpc_target_is_unreachable():
    play = make_counter_world()
    env = play.env("client-worker")

    async def client():
        with await env.COUNTER_SERVICE.new_counter() as counter:
            await counter.increment(2)
            with pytest.raises(TypeError, match='does not implement the method "_value"'):
                await counter["_value"]

    play.run(client())


def test_default_plain_handler_answers_fetch():
    play = make_counter_world()
    response = play.run(play.fetch("counter", "http://counter/"))
    assert play.run(response.text()) == "ok"


# -- "Promise pipelining" ----------------------------------------------------------------------


def test_awaiting_the_counter_first_costs_two_round_trips():
    play = make_counter_world()
    env = play.env("client-worker")

    async def client():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            return await counter.increment()

    with play.record() as rec:
        assert play.run(client()) == 1
    assert rec.round_trips == 2
    assert rec.elapsed == pytest.approx(0.100)


def test_pipelining_the_counter_costs_one_round_trip():
    play = make_counter_world()
    env = play.env("client-worker")

    async def client():
        with env.COUNTER_SERVICE.get_counter() as promise_for_counter:
            return await promise_for_counter.increment()

    with play.record() as rec:
        assert play.run(client()) == 1
    assert rec.round_trips == 1
    assert rec.elapsed == pytest.approx(0.050)
    assert [c.pipelined for c in rec.calls] == [False, True]


class MyService(WorkerEntrypoint):
    async def foo(self):
        return {"bar": {"baz": lambda: "qux"}}

    def fails(self):
        raise ValueError("the first call failed")


def test_pipelining_into_returned_object_properties_and_functions():
    play = Playground(latency="25ms")
    play.worker("svc", OkHandler, exports=[MyService])
    play.worker("cli", WorkerA, services={"MY_SERVICE": ("svc", "MyService")})
    env = play.env("cli")

    async def client():
        with env.MY_SERVICE.foo() as foo:
            return await foo.bar.baz()

    with play.record() as rec:
        assert play.run(client()) == "qux"
    assert rec.round_trips == 1


def test_pipelined_calls_on_a_failed_call_fail_with_the_same_exception():
    play = Playground(latency="25ms")
    play.worker("svc", OkHandler, exports=[MyService])
    play.worker("cli", WorkerA, services={"MY_SERVICE": ("svc", "MyService")})
    env = play.env("cli")

    async def client():
        with env.MY_SERVICE.fails() as failed:
            first = asyncio.ensure_future(_catch(failed))
            second = asyncio.ensure_future(_catch(failed.anything.at_all()))
            return await first, await second

    first, second = play.run(client())
    assert type(first) is ValueError and str(first) == "the first call failed"
    assert type(second) is ValueError and str(second) == "the first call failed"
    assert first.remote and second.remote


async def _catch(awaitable):
    try:
        await awaitable
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return exc
    raise AssertionError("expected a failure")


# -- "Forwarding RPC stubs": three workers -----------------------------------------------------


class AnotherService(WorkerEntrypoint):
    async def use_counter(self, counter):
        return await counter.increment(5)


def test_forwarded_stub_is_proxied_through_the_introducer():
    play = Playground(latency="25ms")
    play.worker("counter", OkHandler, exports=[CounterService])
    play.worker("another", AnotherService)
    play.worker(
        "introducer",
        WorkerA,
        services={"COUNTER_SERVICE": ("counter", "CounterService"), "ANOTHER_SERVICE": "another"},
    )
    env = play.env("introducer")

    async def client():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            return await env.ANOTHER_SERVICE.use_counter(counter)

    with play.record() as rec:
        assert play.run(client()) == 5
    pushes = [(m.sender, m.receiver) for m in rec.messages if m.kind == "push"]
    # another's call on the counter goes to the introducer, which forwards it to counter
    assert ("another", "introducer") in pushes
    assert ("introducer", "counter") in pushes
    assert ("another", "counter") not in pushes
    assert rec.round_trips == 4  # get_counter(), use_counter() and its increment(5), two hops


# -- "Limitations": 32 MiB ---------------------------------------------------------------------


class Big(WorkerEntrypoint):
    def foo(self):
        return bytes(33 * 1024 * 1024)


def test_a_33_mib_return_value_is_over_the_limit():
    play = Playground()
    play.worker("big", Big)
    play.worker("a", WorkerA, services={"BIG": "big"})
    env = play.env("a")
    with pytest.raises(RpcError) as info:
        play.run(env.BIG.foo())
    assert str(info.value).startswith(
        "Serialized RPC arguments or return values are limited to 32MiB, but the size of this "
        "value was: "
    )
    assert info.value.remote is True
