"""What one RPC costs in wall time, at zero simulated latency, against floors measured beside it.

Prints (nothing is asserted; benchmarks are not tests), in one process run:

* the floor: an asyncio call to another task and back (a queue and a future reply);
* µs per awaited ``add(i, 1)`` through a service binding (each opens a session and a context),
* µs per awaited call on a stub (an ``RpcTarget`` returned earlier),
* µs per pipelined chain of 10 calls (``p = p.next()`` ten times, then one await),
* the same binding call awaited from a foreign loop (``asyncio.run``, as a Jupyter cell does);
* each as a ratio: to the floor, and the chain to one awaited stub call;
* when Node.js and npm are present, Cap'n Web 0.12 in memory doing the same three things
  (installed into a temporary folder by ``capnweb.py``).

Machines this small are noisy (a neighbour can halve the speed for a second), so the floor and
the operations are measured in interleaved rounds, and each ratio is taken within its round:
the figures printed are the median over rounds of the per-round ratio, and the best time.
The default trace is on throughout.

Run: ``.venv/bin/python benchmarks/call_overhead.py [--rounds 9] [--no-capnweb]`` (or
``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from playground import Playground, RpcTarget, WorkerEntrypoint

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capnweb import run_capnweb  # noqa: E402  (a sibling script)

N = 3000
#: The targets of the redesign (issue: binding ≤ 3.5×, stub ≤ 3×, chain of 10 ≤ 4× a stub call).
TARGETS = {"binding": 3.5, "stub": 3.0, "chain/stub": 4.0}


class Link(RpcTarget):
    def __init__(self, depth: int = 0) -> None:
        self._depth = depth

    def next(self) -> Link:
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


def floor_task_round_trip(n: int) -> None:
    """n round trips to another asyncio task: the cost of the loop itself."""

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
        try:
            await task
        except asyncio.CancelledError:
            pass

    asyncio.run(main())


def make_world() -> tuple[Playground, object]:
    play = Playground()  # zero latency, default trace
    play.worker("b", Service)
    play.worker("a", Service, services={"B": "b"})
    return play, play.env("a")


def operations(play: Playground, env: object) -> dict[str, tuple[Callable[[int], None], int]]:
    """name -> (run n operations, n)."""
    b = env.B  # type: ignore[attr-defined]

    async def binding_calls(n: int) -> None:
        for i in range(n):
            await b.add(i, 1)

    async def stub_calls(n: int) -> None:
        with await b.chain() as link:
            for i in range(n):
                await link.inc(i)

    async def chains(n: int) -> None:
        for _ in range(n):
            with b.chain() as root:
                p = root
                held = []
                for _ in range(10):
                    p = p.next()
                    held.append(p)
                assert await p.depth == 10
                for promise in held:
                    promise.__exit__(None, None, None)

    def in_world(fn: Callable[[int], object]) -> Callable[[int], None]:
        return lambda n: play.run(fn(n))  # type: ignore[arg-type]

    return {
        "floor": (floor_task_round_trip, N),
        "binding": (in_world(binding_calls), N),
        "stub": (in_world(stub_calls), N),
        "chain": (in_world(chains), N // 10),
        "foreign": (lambda n: asyncio.run(binding_calls(n)), N),
    }


def timed(run: Callable[[int], None], n: int) -> float:
    """Wall microseconds per operation for one run of ``n``."""
    gc.collect()
    start = time.perf_counter()
    run(n)
    return (time.perf_counter() - start) / n * 1e6


def measure(rounds: int) -> dict[str, list[float]]:
    play, env = make_world()
    ops = operations(play, env)
    for run, n in ops.values():  # warm up every path once
        run(max(n // 10, 10))
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(rounds):
        for name, (run, n) in ops.items():
            samples[name].append(timed(run, n))
            play.recorder.events.clear()  # each round starts from an empty trace
    play.run(play.idle())
    play.close()
    return samples


def report(samples: dict[str, list[float]], capnweb: dict[str, object] | str | None) -> None:
    floors = samples["floor"]

    def ratios(name: str, base: list[float]) -> list[float]:
        return [x / f for x, f in zip(samples[name], base)]

    rows = [
        ("floor", "floor: asyncio call to another task and back", None),
        ("binding", "awaited add(i, 1) through a service binding", ratios("binding", floors)),
        ("stub", "awaited call on a stub (RpcTarget)", ratios("stub", floors)),
        ("chain", "pipelined chain of 10 calls, one await", ratios("chain", floors)),
        ("foreign", "awaited binding call from asyncio.run", ratios("foreign", floors)),
    ]
    print(f"{'operation':<48} {'best µs':>8} {'median µs':>10} {'× floor':>8}")
    for name, label, rs in rows:
        xs = samples[name]
        ratio = f"{statistics.median(rs):8.2f}" if rs else f"{1:8.2f}"
        print(f"{label:<48} {min(xs):8.1f} {statistics.median(xs):10.1f} {ratio}")
    chain_per_stub = statistics.median(ratios("chain", samples["stub"]))
    print(f"{'chain of 10 ÷ one awaited stub call':<48} {'':>8} {'':>10} {chain_per_stub:8.2f}")
    print()
    achieved = {
        "binding": statistics.median(ratios("binding", floors)),
        "stub": statistics.median(ratios("stub", floors)),
        "chain/stub": chain_per_stub,
    }
    for name, target in TARGETS.items():
        verdict = "holds" if achieved[name] <= target else "MISSED"
        print(f"target {name:<11} ≤ {target:.1f}×: {achieved[name]:.2f}× {verdict}")
    print()
    if capnweb is None:
        return
    if isinstance(capnweb, str):
        print(f"Cap'n Web: not measured ({capnweb})")
        return
    floor = capnweb["floor_us"][0]  # type: ignore[index]
    print(
        f"Cap'n Web {capnweb.get('capnweb')} on Node {capnweb.get('node')}, {capnweb.get('transport')} "
        "(best µs, × its own floor, × our floor in this run):"
    )
    ours = min(floors)
    for key, label in (
        ("main_stub_call_us", "await stub.add(i, 1) on the main stub"),
        ("stub_call_us", "await link.inc(i) on a returned stub"),
        ("chain_of_10_us", "pipelined chain of 10, one await"),
    ):
        best = capnweb[key][0]  # type: ignore[index]
        print(f"  {label:<46} {best:8.1f} {best / floor:8.1f} {best / ours:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--no-capnweb", action="store_true", help="skip the Node.js comparison")
    args = parser.parse_args()
    samples = measure(args.rounds)
    capnweb = None if args.no_capnweb else run_capnweb(N)
    report(samples, capnweb)
    print(f"(Python {sys.version.split()[0]}; N={N} calls per run, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
