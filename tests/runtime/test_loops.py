"""The playground under every kind of caller: play.run, asyncio.run, a running loop; and
virtual time inside workers."""

from __future__ import annotations

import asyncio

import pytest

import playground
from playground import Playground, RpcError, WorkerEntrypoint
from playground.errors import DeadlockError, SimulationError

from .services import failure
from .test_streams import Service as Pipes  # write_three(writable), read_text(readable)


class Sleepy(WorkerEntrypoint):
    async def nap(self, seconds):
        await playground.sleep(seconds)
        return playground_now()

    async def tools(self):
        event = asyncio.Event()
        queue: asyncio.Queue[str] = asyncio.Queue()

        async def producer():
            await asyncio.sleep(1)
            await queue.put("item")
            event.set()

        task = asyncio.ensure_future(producer())
        await event.wait()
        item = await queue.get()
        try:
            await asyncio.wait_for(asyncio.Event().wait(), timeout=2)
        except asyncio.TimeoutError:
            timed_out = True
        await task
        both = await asyncio.gather(asyncio.sleep(0.5, "x"), asyncio.sleep(0.25, "y"))
        return item, timed_out, both, playground_now()

    async def hang(self):
        await asyncio.Event().wait()

    def add(self, a, b):
        return a + b


_current: list[Playground] = []


def playground_now() -> float:
    return _current[0].now


class A(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    play = Playground(latency="25ms")
    _current[:] = [play]
    play.worker("s", Sleepy)
    play.worker("a", A, services={"S": "s"})
    return play


def test_sleep_inside_a_worker_is_virtual(play):
    env = play.env("a")
    assert play.run(env.S.nap(3600)) == 3600.025  # an hour of virtual time (of wall time, it would hang)
    assert play.now == pytest.approx(3600.05)


def test_asyncio_tools_work_inside_workers(play):
    env = play.env("a")
    item, timed_out, both, at = play.run(env.S.tools())
    assert (item, timed_out, both) == ("item", True, ["x", "y"])
    assert at == pytest.approx(0.025 + 1 + 2 + 0.5)


def test_asyncio_run_drives_the_playground_from_its_own_loop(play):
    env = play.env("a")

    async def main():
        first = await env.S.add(1, 2)
        second = await env.S.add(3, 4)
        return first, second, play.now

    assert asyncio.run(main()) == (3, 7, pytest.approx(0.1))


@pytest.mark.parametrize("reader_first", [False, True])
def test_a_pipe_made_in_a_cell_sends_its_writable_and_reads_under_top_level_await(reader_first):
    play = Playground(latency="10ms")
    play.worker("pipes", Pipes)
    play.worker("a", A, services={"P": "pipes"})
    env = play.env("a")

    async def cell():
        t = playground.IdentityTransformStream()  # made outside any worker
        if reader_first:
            text, done = await asyncio.gather(t.readable.read_all(), env.P.write_three(t.writable))
        else:
            done, text = await asyncio.gather(env.P.write_three(t.writable), t.readable.read_all())
        return text, done, play.now

    result = asyncio.run(asyncio.wait_for(cell(), timeout=60))  # a hang fails, never blocks
    assert result == (b"foo, bar, baz!", "written", pytest.approx(0.04))
    play.close()


def test_a_pipe_made_in_a_cell_sends_its_readable_and_writes_under_top_level_await():
    play = Playground(latency="10ms")
    play.worker("pipes", Pipes)
    play.worker("a", A, services={"P": "pipes"})
    env = play.env("a")

    async def cell():
        t = playground.IdentityTransformStream()
        writer = t.writable.get_writer()

        async def write():
            await writer.write(b"written ")
            await writer.write(b"locally")
            await writer.close()

        text, _ = await asyncio.gather(env.P.read_text(t.readable), write())
        return text, play.now

    assert asyncio.run(asyncio.wait_for(cell(), timeout=60)) == ("written locally", pytest.approx(0.02))
    play.close()


def test_play_run_works_inside_a_running_loop(play):
    env = play.env("a")

    async def notebook_cell():
        # a plain (non-await) cell: blocking run while the kernel's loop is running
        return play.run(env.S.add(20, 22))

    assert asyncio.run(notebook_cell()) == 42


def test_top_level_await_style_then_play_run_share_one_world(play):
    env = play.env("a")

    async def cell_one():
        return await env.S.add(1, 1)

    assert asyncio.run(cell_one()) == 2
    assert play.run(env.S.add(2, 2)) == 4
    assert play.now == pytest.approx(0.1)


def test_play_run_from_inside_the_playground_is_refused(play):
    env = play.env("a")

    async def inner():
        return play.run(env.S.add(1, 2))

    with pytest.raises(SimulationError, match="use `await` there"):
        play.run(inner())


def test_play_run_takes_an_awaitable(play):
    with pytest.raises(TypeError, match=r"play.run\(main\(\)\) rather than play.run\(main\)"):
        play.run(test_play_run_takes_an_awaitable)


def test_playground_sleep_from_outside_advances_virtual_time(play):
    async def cell():
        await playground.sleep("1.5s")
        return play.now

    assert asyncio.run(cell()) == 1.5
    play.run(playground.sleep(0.5))
    assert play.now == 2.0


def test_a_method_that_can_never_finish_is_ended_with_the_hang_error(play):
    env = play.env("a")
    error = play.run(failure(env.S.hang()))
    assert isinstance(error, RpcError)
    assert str(error).startswith(
        "The Workers runtime canceled this request because it detected that your Worker's code "
        "had hung and would never generate a response."
    )
    assert play.run(env.S.add(1, 2)) == 3  # the playground is still usable


def test_the_same_hang_from_a_host_loop_does_not_hang_the_host(play):
    env = play.env("a")

    async def cell():
        return await failure(env.S.hang())

    error = asyncio.run(cell())
    assert "had hung" in str(error)


def test_waiting_on_something_nothing_will_set_is_a_deadlock_error(play):
    async def stuck():
        await asyncio.Event().wait()

    with pytest.raises(DeadlockError, match="nothing is scheduled"):
        play.run(stuck())


def run_scenario(seed):
    play = Playground(latency="10ms", jitter="5ms", seed=seed)
    _current[:] = [play]
    play.worker("s", Sleepy)
    play.worker("a", A, services={"S": "s"})
    env = play.env("a")

    async def scenario():
        await asyncio.gather(*(env.S.add(i, i) for i in range(20)))
        await env.S.tools()

    play.run(scenario())
    events = [(type(e).__name__, *[v for k, v in e._asdict().items() if k != "where"]) for e in play.trace]
    play.run(play.idle())
    return events


def test_same_seed_same_trace_event_for_event():
    first, again, other = run_scenario(7), run_scenario(7), run_scenario(8)
    assert first == again
    assert first != other


def test_a_cancelled_outside_await_leaves_the_playground_usable(play):
    env = play.env("a")
    play.loop.pace = 1.0  # paced: the outside await waits on its own loop, where Stop lands
    play.loop.wall_clock = lambda: 0.0  # a wall clock that never moves: nothing really sleeps

    async def cell():
        promise = env.S.nap(10)
        waiting = asyncio.ensure_future(_await(promise))
        for _ in range(3):
            await asyncio.sleep(0)
        waiting.cancel()  # the Stop button on a cell that awaits
        with pytest.raises(asyncio.CancelledError):
            await waiting
        play.loop.pace = 0.0
        promise.__exit__(None, None, None)
        return await env.S.add(1, 2)

    assert asyncio.run(cell()) == 3


async def _await(promise):
    return await promise


class Interrupting(WorkerEntrypoint):
    def stop(self):
        raise KeyboardInterrupt


def test_a_keyboard_interrupt_in_a_blocking_run_leaves_the_playground_usable(play):
    play.worker("i", Interrupting)
    play.worker("c", A, services={"I": "i", "S": "s"})
    env = play.env("c")
    promise = env.I.stop()
    with pytest.raises(KeyboardInterrupt):
        play.run(promise)
    promise.__exit__(None, None, None)
    assert play.run(env.S.add(2, 3)) == 5
