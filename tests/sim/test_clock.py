"""The virtual clock: jumps only when everything waits, exactly, in FIFO order, without sleeping."""

from __future__ import annotations

import asyncio

import pytest

from playground.errors import DeadlockError, SimulationError
from playground.sim.clock import VirtualLoop


def run(loop: VirtualLoop, coro):
    task = loop.create_task(coro)
    loop.run_until(task.done, lambda: False)
    return task.result()


def test_asyncio_sleep_is_virtual():
    loop = VirtualLoop()

    async def main():
        await asyncio.sleep(3600)
        return loop.time()

    assert run(loop, main()) == 3600.0


def test_the_clock_is_exact_after_many_steps():
    loop = VirtualLoop()

    async def main():
        for _ in range(2000):
            await asyncio.sleep(0.05)

    run(loop, main())
    assert loop.now_ns == 100_000_000_000
    assert loop.time() == 100.0


def test_timers_at_the_same_time_fire_in_the_order_they_were_set():
    loop = VirtualLoop()
    fired = []
    for i in range(50):
        loop.call_at_ns(1_000, fired.append, i)
    loop.call_later(0.000001, fired.append, "float")  # 1 µs = 1000 ns: same time, set last
    loop.run_until(lambda: len(fired) == 51)
    assert fired == [*range(50), "float"]


def test_time_advances_only_when_everything_waits():
    loop = VirtualLoop()
    seen = []

    async def busy():
        for _ in range(100):
            seen.append(loop.now_ns)
            await asyncio.sleep(0)

    async def sleeper():
        await asyncio.sleep(1)
        seen.append(("woke", loop.now_ns))

    async def main():
        await asyncio.gather(busy(), sleeper())

    run(loop, main())
    assert set(seen[:100]) == {0}
    assert seen[-1] == ("woke", 1_000_000_000)


def test_gather_event_queue_and_wait_for_work_in_virtual_time():
    loop = VirtualLoop()

    async def main():
        event = asyncio.Event()
        queue: asyncio.Queue[int] = asyncio.Queue()

        async def producer():
            await asyncio.sleep(2)
            await queue.put(1)
            event.set()

        async def consumer():
            await event.wait()
            return await queue.get()

        got, _ = await asyncio.gather(consumer(), producer())
        try:
            await asyncio.wait_for(asyncio.Event().wait(), timeout=5)
        except asyncio.TimeoutError:
            pass
        async with asyncio.timeout(1):
            await asyncio.sleep(0.5)
        return got, loop.time()

    assert run(loop, main()) == (1, 7.5)


def test_nothing_scheduled_while_someone_waits_is_a_deadlock():
    loop = VirtualLoop()

    async def main():
        await asyncio.Event().wait()

    task = loop.create_task(main())
    with pytest.raises(DeadlockError, match="waiting and nothing is scheduled"):
        loop.run_until(task.done, lambda: False)
    task.cancel()
    loop.run_until(task.done, lambda: False)
    assert task.cancelled()


def test_on_idle_may_break_a_deadlock():
    loop = VirtualLoop()
    event = asyncio.Event()

    async def main():
        await event.wait()
        return "released"

    task = loop.create_task(main())
    calls = []

    def on_idle():
        calls.append(loop.now_ns)
        event.set()
        return True

    loop.run_until(task.done, on_idle)
    assert task.result() == "released" and calls == [0]


def test_the_loop_can_be_driven_from_inside_another_running_loop():
    world = VirtualLoop()

    async def in_world():
        await asyncio.sleep(10)
        return world.time()

    async def host():
        task = world.create_task(in_world())
        world.run_until(task.done, lambda: False)
        assert asyncio.get_running_loop() is not world  # the host loop is restored
        return task.result()

    assert asyncio.run(host()) == 10.0


def test_driving_the_loop_from_inside_itself_is_refused():
    loop = VirtualLoop()

    async def main():
        loop.run_until(lambda: True)

    with pytest.raises(SimulationError, match="already running inside the playground"):
        run(loop, main())


def test_executor_work_holds_the_clock_until_it_finishes():
    loop = VirtualLoop()

    async def main():
        timer = asyncio.ensure_future(asyncio.sleep(5))
        result = await loop.run_in_executor(None, sum, [1, 2, 3])
        at = loop.time()
        await timer
        return result, at

    assert run(loop, main()) == (6, 0.0)
    loop.close()


class FakeWall:
    """A wall clock that only moves when waited on, recording the waits."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, delay: float) -> bool:
        self.waits.append(round(delay, 9))
        self.now += delay
        return False


def test_pace_waits_wall_time_in_proportion_to_each_jump():
    loop = VirtualLoop(pace=2.0)
    wall = FakeWall()
    loop.wall_clock, loop.wall_wait = wall.clock, wall.wait

    async def main():
        await asyncio.sleep(0.5)
        await asyncio.sleep(0.25)

    run(loop, main())
    assert wall.waits == [1.0, 0.5]  # two wall seconds per virtual second
    assert loop.time() == 0.75


def test_pace_reports_the_wait_to_a_host_that_does_the_waiting():
    loop = VirtualLoop(pace=1.0)
    wall = FakeWall()
    loop.wall_clock, loop.wall_wait = wall.clock, wall.wait
    loop.call_later(0.2, lambda: None)
    state = loop.run_until(lambda: False, None, host_paced=True)
    assert state == "pace"
    assert loop.pace_delay() == pytest.approx(0.2)
    assert loop.time() == 0.0 and wall.waits == []
