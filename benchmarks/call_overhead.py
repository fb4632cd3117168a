"""What one RPC costs in wall time, at zero simulated latency, against a floor measured beside it.

Prints (nothing is asserted; benchmarks are not tests):

* µs per awaited ``add(1, 2)`` through a service binding (each opens a session and a context),
* µs per awaited call on a stub (an ``RpcTarget`` returned earlier),
* µs per pipelined chain of 10 calls (``p = p.next()`` ten times, then one await),
* the same awaited call made from a foreign loop (``asyncio.run``, as a Jupyter cell does),
* the floor: an asyncio call to another task and back (a queue and a future reply).

Run: ``.venv/bin/python benchmarks/call_overhead.py`` (or ``make bench``).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable

from playground import Playground, RpcTarget, WorkerEntrypoint

N = 3000
REPEATS = 7


class Link(RpcTarget):
    def __init__(self, depth: int = 0) -> None:
        self._depth = depth

    def next(self) -> "Link":
        return Link(self._depth + 1)

    @property
    def depth(self) -> int:
        return self._depth

    def inc(self, n: int) -> int:
        return n + 1


class Service(WorkerEntrypoint):
    def add(self, a: int, b: int) -> int:
        return a + b

    def chain(self) -> Link:
        return Link()


def per_op(run: Callable[[int], object], n: int) -> float:
    """Best-of-REPEATS wall microseconds per operation."""
    samples = []
    for _ in range(REPEATS):
        gc.collect()
        start = time.perf_counter()
        run(n)
        samples.append((time.perf_counter() - start) / n * 1e6)
    return min(samples), statistics.median(samples)


def floor_task_round_trip(n: int) -> None:
    async def main() -> None:
        queue: asyncio.Queue[tuple[int, asyncio.Future[int]]] = asyncio.Queue()

        async def server() -> None:
            while True:
                value, reply = await queue.get()
                reply.set_result(value + 1)

        task = asyncio.ensure_future(server())
        loop = asyncio.get_running_loop()
        for i in range(n):
            reply = loop.create_future()
            queue.put_nowait((i, reply))
            await reply
        task.cancel()

    asyncio.run(main())


def make_world() -> tuple[Playground, object]:
    play = Playground()  # zero latency
    play.worker("b", Service)
    play.worker("a", Service, services={"B": "b"})
    return play, play.env("a")


def main() -> None:
    play, env = make_world()

    async def binding_calls(n: int) -> None:
        for i in range(n):
            await env.B.add(i, 1)

    async def stub_calls(n: int) -> None:
        with await env.B.chain() as link:
            for i in range(n):
                await link.inc(i)

    async def chains(n: int) -> None:
        for _ in range(n):
            with env.B.chain() as root:
                p = root
                held = []
                for _ in range(10):
                    p = p.next()
                    held.append(p)
                assert await p.depth == 10
                for promise in held:
                    promise.__exit__(None, None, None)

    def in_world(coro_fn: Callable[[int], Awaitable[None]]) -> Callable[[int], None]:
        def run(n: int) -> None:
            play.recorder.events.clear()
            play.run(coro_fn(n))

        return run

    def from_foreign_loop(n: int) -> None:
        play.recorder.events.clear()
        asyncio.run(binding_calls(n))

    rows = [
        ("floor: asyncio call to another task and back", per_op(floor_task_round_trip, N)),
        ("awaited add(1, 2) through a service binding", per_op(in_world(binding_calls), N)),
        ("awaited call on a stub (RpcTarget)", per_op(in_world(stub_calls), N)),
        ("pipelined chain of 10 calls, one await", per_op(in_world(chains), N // 10)),
        ("awaited add(1, 2) from a foreign loop (asyncio.run)", per_op(from_foreign_loop, N)),
    ]
    floor = rows[0][1][0]
    print(f"{'operation':<55} {'best µs':>9} {'median µs':>10} {'× floor':>8}")
    for label, (best, median) in rows:
        print(f"{label:<55} {best:>9.1f} {median:>10.1f} {best / floor:>8.1f}")
    messages = len(play.trace.messages)
    print(f"\n(each awaited call is 4 messages: push, pull, resolve, release; last run: {messages} messages)")
    play.run(play.idle())
    play.close()


if __name__ == "__main__":
    main()
