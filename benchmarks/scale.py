"""The playground at scale: long runs, many stubs, a big stream, a big diagram.

Prints (nothing is asserted; benchmarks are not tests):

1. 100,000 awaited calls in one ``play.run`` (a pipelining experiment at scale): wall time,
   the cost of the last tenth against the first (no cliff: goal ≤ 1.3×), and peak traced
   memory (tracemalloc) with the default trace (goal ≤ 150 MB) and with a bound
   (``trace_limit=10_000``): after 25,000, 50,000 and 100,000 calls (goal: flat);
2. trace memory: bytes per recorded event and per plain call, at zero and at 25 ms latency
   (goal: a plain call ≤ 1 KB), and what ``play.close()`` gives back;
3. 10,000 live stubs: the time to make them, the memory they hold, the time to dispose them;
4. a 1 GiB stream through a 256 KiB window: peak resident growth (goal < 50 MiB);
5. a diagram of 10,000 messages rendered to SVG: wall time.

Run: ``.venv/bin/python benchmarks/scale.py [--quick]`` (``--quick``: a tenth of the sizes).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render  # noqa: E402  (sibling benchmarks, for their worlds)
import streams  # noqa: E402

MB = 1_000_000


class Counter(RpcTarget):
    def __init__(self) -> None:
        self._n = 0

    def increment(self) -> int:
        self._n += 1
        return self._n


class Service(WorkerEntrypoint):
    def add(self, a: int, b: int) -> int:
        return a + b

    def counter(self) -> Counter:
        return Counter()


def world(**options: object) -> tuple[Playground, object]:
    play = Playground(**options)  # type: ignore[arg-type]
    play.worker("service", Service)
    play.worker("client", Service, services={"S": "service"})
    return play, play.env("client")


def calls(play: Playground, env: object, n: int, checkpoint: Callable[[int], None] | None = None) -> None:
    s = env.S  # type: ignore[attr-defined]

    async def main() -> None:
        for i in range(n):
            await s.add(i, 1)
            if checkpoint is not None and (i + 1) % (n // 20) == 0:
                checkpoint(i + 1)

    play.run(main())
    play.run(play.idle())


def long_run(n: int) -> None:
    play, env = world()
    marks: list[float] = []
    start = time.perf_counter()
    calls(play, env, n, lambda i: marks.append(time.perf_counter()))
    total = time.perf_counter() - start
    tenths = [b - a for a, b in zip([start, *marks], marks)]  # twentieths, in order
    first, last = tenths[0] + tenths[1], tenths[-2] + tenths[-1]
    print(
        f"1. {n:,} awaited calls in one play.run: {total:.1f} s ({total / n * 1e6:.0f} µs per call); "
        f"last tenth ÷ first tenth {last / first:.2f} (goal ≤ 1.3)"
    )
    play.close()

    for limit in (None, 10_000):
        play, env = world(trace_limit=limit)
        gc.collect()
        tracemalloc.start()
        peaks: dict[int, float] = {}

        def checkpoint(i: int) -> None:
            if i in (n // 4, n // 2, n):
                peaks[i] = tracemalloc.get_traced_memory()[1] / MB

        calls(play, env, n, checkpoint)
        tracemalloc.stop()
        shown = ", ".join(f"{i:,} calls {peak:.1f} MB" for i, peak in sorted(peaks.items()))
        label = "default trace" if limit is None else f"trace_limit={limit:,}"
        goal = "goal ≤ 150 MB" if limit is None else "goal: flat"
        print(f"   peak traced memory, {label}: {shown} ({goal}; {play.trace.dropped:,} events dropped)")
        play.close()


def trace_memory(n: int) -> None:
    for latency in (0, "25ms"):
        play, env = world(latency=latency)
        calls(play, env, 1000)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        events_before = play.recorder.next_seq
        calls(play, env, n)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        events = play.recorder.next_seq - events_before
        print(
            f"2. trace memory at {latency or '0'} latency: {grown / n:,.0f} bytes per plain call "
            f"({events / n:.0f} events; {grown / events:,.0f} bytes per event; goal ≤ 1,000 per call)"
        )
        play.close()
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        print(f"   play.close() gave back {(grown - left) / MB:.1f} of {grown / MB:.1f} MB")


def live_stubs(n: int) -> None:
    play, env = world()
    s = env.S  # type: ignore[attr-defined]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]

    async def make() -> list[object]:
        return [await s.counter() for _ in range(n)]

    start = time.perf_counter()
    stubs = play.run(make())
    made = time.perf_counter() - start
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(play.stubs()) >= n
    start = time.perf_counter()
    for stub in stubs:
        dispose(stub)
    play.run(play.idle())
    gone = time.perf_counter() - start
    print(
        f"3. {n:,} live stubs: made in {made:.2f} s, holding {held / MB:.1f} MB "
        f"({held / n:,.0f} bytes each), disposed in {gone:.2f} s; {len(play.stubs())} left"
    )
    play.close()


def big_stream(total: int) -> None:
    growth, events = streams.memory_growth(total)
    print(f"4. a {total >> 20:,} MiB stream through a 256 KiB window: "
          f"peak resident growth {growth:.1f} MiB (goal < 50 MiB); {events:,} trace events")


def big_diagram(messages: int) -> None:
    play = render.world()
    with play.record() as rec:
        play.run(render.cell(play, messages // 4))  # four messages a call
    gc.collect()
    start = time.perf_counter()
    svg = rec.to_svg()
    elapsed = time.perf_counter() - start
    print(f"5. a diagram of {len(rec.messages):,} messages: rendered in {elapsed:.2f} s ({len(svg) / 1e6:.1f} MB of SVG)")
    play.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    long_run(100_000 // scale)
    trace_memory(20_000 // scale)
    live_stubs(10_000 // scale)
    big_stream((1024 // scale) << 20)
    big_diagram(10_000 // scale)
    print(f"(Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
