"""Streams over RPC: wall-clock throughput, memory while streaming, and the flow-control law.

Prints (nothing is asserted; benchmarks are not tests):

1. wall-clock throughput of a 256 MiB stream at zero latency, in MB/s (with a floor beside it:
   the same bytes copied through an ``asyncio.Queue`` between two tasks);
2. peak memory growth (resident set) while streaming 1 GiB through a 256 KiB window
   (goal: under 50 MiB);
3. simulated throughput against ``min(bandwidth, window / RTT)`` for a grid of windows and
   latencies (goal: within 5 % everywhere). Throughput is the goodput at the reader (first to
   last chunk arrival); the RTT is a chunk's: there and back, plus the time to send it.

Run: ``.venv/bin/python benchmarks/streams.py``.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import time

from playground import Playground, ReadableStream, WorkerEntrypoint

KiB, MiB = 1024, 1024 * 1024
CHUNK = 64 * KiB


class Reader(WorkerEntrypoint):
    async def consume(self, readable):
        total = 0
        async for chunk in readable:
            total += len(chunk)
        return total


class Writer(WorkerEntrypoint):
    pass


def world(**kwargs):
    play = Playground(**kwargs)
    play.worker("reader", Reader)
    play.worker("writer", Writer, services={"R": "reader"})
    return play, play.env("writer")


def stream(play, env, total: int, chunk: int = CHUNK):
    payload = bytes(chunk)
    readable = ReadableStream.from_iterable(payload for _ in range(total // chunk))
    with play.record() as rec:
        got = play.run(env.R.consume(readable))
    assert got == total
    return rec


def floor_mb_per_s(total: int) -> float:
    async def main() -> None:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
        payload = bytes(CHUNK)

        async def produce() -> None:
            for _ in range(total // CHUNK):
                await queue.put(bytes(bytearray(payload)))  # one copy per chunk, as a network would
            await queue.put(None)

        async def consume() -> int:
            seen = 0
            while (item := await queue.get()) is not None:
                seen += len(item)
            return seen

        await asyncio.gather(produce(), consume())

    start = time.perf_counter()
    asyncio.run(main())
    return total / (time.perf_counter() - start) / 1e6


def throughput(total: int) -> float:
    play, env = world()
    start = time.perf_counter()
    stream(play, env, total)
    elapsed = time.perf_counter() - start
    play.close()
    return total / elapsed / 1e6


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / MiB


def memory_growth(total: int) -> tuple[float, float]:
    """(peak resident growth in MiB, trace events kept) while streaming ``total`` bytes."""
    gc.collect()
    play, env = world(stream_window=256 * KiB)
    base = rss_mib()
    peak = [base]

    def sample(_: object) -> None:
        if len(play.recorder.events) % 256 == 0:
            peak[0] = max(peak[0], rss_mib())

    play.recorder.subscribe(sample)
    stream(play, env, total)
    peak[0] = max(peak[0], rss_mib())
    events = len(play.recorder.events)
    play.close()
    return peak[0] - base, events


def law_grid() -> list[tuple[int, str, float, float, float]]:
    rows = []
    for window in (64 * KiB, 256 * KiB, 1 * MiB):
        for latency in ("1ms", "10ms", "50ms"):
            bandwidth = 50e6
            play, env = world(latency=latency, bandwidth=bandwidth, stream_window=window)
            chunk = 16 * KiB
            total = max(16 * MiB, 64 * window)  # many windows, so the edges weigh little
            rec = stream(play, env, total, chunk=chunk)
            arrivals = [m.received_at for m in rec.messages if m.kind == "stream" and m.path == ("write",)]
            measured = (len(arrivals) - 1) * chunk / (arrivals[-1] - arrivals[0])  # goodput at the reader
            rtt = 2 * float(latency[:-2]) / 1000 + chunk / bandwidth  # one chunk there and back
            expected = min(bandwidth, window / rtt)
            rows.append((window, latency, measured / 1e6, expected / 1e6, measured / expected - 1))
            play.close()
    return rows


def main() -> None:
    total = 256 * MiB
    floor = floor_mb_per_s(total)
    ours = throughput(total)
    print(f"1. 256 MiB at zero latency: {ours:,.0f} MB/s wall clock "
          f"(floor, an asyncio.Queue between two tasks: {floor:,.0f} MB/s; ratio {ours / floor:.2f})")
    growth, events = memory_growth(1024 * MiB)
    print(f"2. 1 GiB through a 256 KiB window: peak resident growth {growth:.1f} MiB "
          f"(goal < 50 MiB); {events:,} trace events kept")
    print("3. simulated throughput against min(bandwidth, window / RTT), bandwidth 50 MB/s:")
    print(f"   {'window':>8} {'latency':>8} {'measured MB/s':>14} {'law MB/s':>10} {'error':>8}")
    worst = 0.0
    for window, latency, measured, expected, error in law_grid():
        worst = max(worst, abs(error))
        print(f"   {window // KiB:>6}Ki {latency:>8} {measured:>14.2f} {expected:>10.2f} {error:>+8.1%}")
    print(f"   worst error {worst:.1%} (goal: within 5 %)")


if __name__ == "__main__":
    main()
