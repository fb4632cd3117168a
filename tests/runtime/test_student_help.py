"""Help for common mistakes: the runtime's words first, then what went wrong and where.

Each test asserts the exact text, the user's line included (``file.py:12``; ``cell:2`` for code
run in a notebook cell, whose file is ``<ipython-input-...>`` or a kernel temp file).
"""

from __future__ import annotations

import pytest

from playground import Playground, RpcError, RpcStub, RpcTarget, WorkerEntrypoint, dispose
from playground.errors import StubLeakWarning

from .services import PROMISE_DISPOSED, disposed, failure, line_of

HERE = "test_student_help.py"


class Counter(RpcTarget):
    def __init__(self, i: int = 0) -> None:
        self.i = i

    def increment(self, j: int = 1) -> int:
        self.i += j
        return self.i


#: Stubs a worker keeps past the request that made them (a mistake the tests make on purpose).
KEPT: list[RpcStub] = []


class Service(WorkerEntrypoint):
    def make_counter(self, i: int = 0) -> Counter:
        return Counter(i)

    async def add(self, a: int, b: int) -> int:
        return a + b

    async def remember(self, counter: RpcStub) -> int:
        KEPT.append(counter)  # a parameter: disposed when this call returns
        return await counter.increment()

    async def use_remembered(self) -> int:
        return await KEPT.pop().increment()

    async def keep_own(self) -> int:
        KEPT.append(RpcStub(Counter(1)))  # never disposed: released when this request ends
        return 1


class Client(WorkerEntrypoint):
    pass


@pytest.fixture
def play() -> Playground:
    KEPT.clear()
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    return play


@pytest.fixture
def env(play):
    return play.env("client")


# -- a stub or promise used after disposal says where it was disposed --------------------------


def test_a_stub_used_after_its_with_block_says_where_the_block_was(play, env):
    async def scenario():
        with await env.S.make_counter(1) as counter:
            await counter.increment()
        return await failure(counter.increment())

    error = play.run(scenario())
    at = line_of(test_a_stub_used_after_its_with_block_says_where_the_block_was, "with await")
    assert type(error) is RpcError and str(error) == (
        f"RPC stub used after being disposed. It was disposed at {at} (the end of its `with` block)."
    )
    assert at.startswith(HERE + ":")


def test_a_stub_used_after_dispose_says_where_dispose_was_called(play, env):
    async def scenario():
        counter = await env.S.make_counter(1)
        dispose(counter)
        return await failure(counter.increment()), counter

    error, counter = play.run(scenario())
    at = line_of(test_a_stub_used_after_dispose_says_where_dispose_was_called, "dispose(counter)")
    expected = f"RPC stub used after being disposed. It was disposed at {at} by `dispose()`."
    assert str(error) == expected
    with pytest.raises(RpcError) as info:
        counter.dup()
    assert str(info.value) == expected


def test_a_promise_used_after_disposal_says_where(play, env):
    async def scenario():
        promise = env.S.make_counter(1)
        with promise:
            pass
        return await failure(promise.increment())

    error = play.run(scenario())
    at = line_of(test_a_promise_used_after_disposal_says_where, "with promise")
    assert str(error) == (
        f"RPC promise used after being disposed. It was disposed at {at} (the end of its `with` block)."
    )
    assert str(error) == disposed("with", at, PROMISE_DISPOSED)


def test_a_stub_in_a_disposed_result_says_where_the_result_was_disposed(play, env):
    async def scenario():
        async with env.S.make_counter(1) as counter:
            await counter.increment()
        return await failure(counter.increment())

    error = play.run(scenario())
    at = line_of(test_a_stub_in_a_disposed_result_says_where_the_result_was_disposed, "async with env")
    assert str(error) == (
        f"RPC stub used after being disposed. It was disposed at {at} (the end of its `async with` block)."
    )


def test_a_parameter_kept_past_its_call_says_the_call_returned(play, env):
    async def scenario():
        with RpcStub(Counter(1)) as counter:
            first = await env.S.remember(counter)
            return first, await failure(env.S.use_remembered())

    first, error = play.run(scenario())
    assert first == 2
    assert type(error) is RpcError and error.remote is True
    assert str(error) == (
        "RPC stub used after being disposed. It was an argument of a call, and the runtime "
        "disposed of it when that call returned; keep a `stub.dup()` to use it longer (and "
        "dispose the copy when done)."
    )


@pytest.mark.leaks_ok
def test_a_stub_kept_past_its_request_says_the_request_ended(play, env):
    with pytest.warns(StubLeakWarning):
        assert play.run(env.S.keep_own()) == 1
        error = play.run(failure(env.S.use_remembered()))
    assert str(error) == (
        "RPC stub used after being disposed. The runtime released it when the execution context "
        "that held it ended (the request or call it belonged to finished without disposing it)."
    )


def test_in_a_notebook_cell_the_place_is_the_cell_line(play, env):
    namespace = {"env": env, "dispose": dispose, "failure": failure}
    cell = "async def scenario():\n    counter = await env.S.make_counter(1)\n    dispose(counter)\n" \
           "    return await failure(counter.increment())\n"
    exec(compile(cell, "<ipython-input-3-0123456789ab>", "exec"), namespace)
    error = play.run(namespace["scenario"]())
    assert str(error) == "RPC stub used after being disposed. It was disposed at cell:3 by `dispose()`."
