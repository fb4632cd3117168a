"""How fast the visualiser draws: ``python benchmarks/render.py`` prints, asserts nothing.

1. The time to render a real trace of 10,000 messages to SVG (goal: under 1 s; arrows are
   bundled past a readable number).
2. How much live updating slows a cell of 1,000 calls: the same cell run with and without a
   :class:`~playground.viz.LiveView` listening to the recorder, as ``%load_ext playground``
   does (goal: under 20 %). The final frame, drawn after the cell's code has returned (in
   ``post_run_cell``), is timed apart: it is what displaying the cell's trace costs at all,
   with or without live updates.
3. A trace the pipelining advisor has much to say about (2,000 awaits that only served to call
   one more method): its cost grows with the trace, not with its square.
"""

from __future__ import annotations

import gc
import statistics
import time

from playground import Playground, RpcTarget, WorkerEntrypoint
from playground.viz import LiveView, render_svg


class Counter(RpcTarget):
    def __init__(self) -> None:
        self._value = 0

    def increment(self) -> int:
        self._value += 1
        return self._value


class Service(WorkerEntrypoint):
    def get_counter(self) -> Counter:
        return Counter()


def world() -> Playground:
    play = Playground(latency="1ms")
    play.worker("service", Service)
    play.worker("client", Service, services={"S": "service"})
    return play


async def cell(play: Playground, calls: int) -> None:
    with play.env("client").S.get_counter() as counter:
        for _ in range(calls):
            await counter.increment()


def render_10k() -> None:
    play = world()
    with play.record() as rec:
        play.run(cell(play, 2_500))  # four messages a call
    times = []
    for _ in range(5):
        start = time.perf_counter()
        svg = render_svg(rec)
        times.append(time.perf_counter() - start)
    print(
        f"render: {len(rec.messages):,} messages -> SVG of {len(svg) / 1024:,.0f} KiB in "
        f"{statistics.median(times) * 1000:,.0f} ms (median of 5; goal < 1000 ms)"
    )
    play.close()


def render_with_advice(pairs: int = 2_000) -> None:
    """A trace the advisor has much to say about: every counter awaited only to be called."""

    async def awaited_pairs(play: Playground) -> None:
        for _ in range(pairs):
            with await play.env("client").S.get_counter() as counter:
                await counter.increment()

    play = world()
    with play.record() as rec:
        play.run(awaited_pairs(play))
    start = time.perf_counter()
    svg = render_svg(rec)
    took = time.perf_counter() - start
    tips = svg.count("Tip: ")
    print(
        f"advice: {pairs:,} awaited-then-called pairs ({len(rec.messages):,} messages) rendered "
        f"with {tips} tip(s) in {took * 1000:,.0f} ms"
    )
    play.close()


def run_cell(live: bool, calls: int = 1_000) -> tuple[float, float, int]:
    """(seconds the cell's code took, seconds the final frame took, frames published)."""
    play = world()
    frames: list[dict[str, str]] = []
    unsubscribe = None
    view = None
    if live:
        view = LiveView(frames.append, now=lambda: play.now, start=play.now)
        unsubscribe = play.recorder.subscribe(view.add)
    gc.collect()  # the garbage of earlier runs is not this cell's cost
    start = time.perf_counter()
    play.run(cell(play, calls))
    ran = time.perf_counter()
    if view is not None:
        view.finish()
    final = time.perf_counter() - ran
    if unsubscribe is not None:
        unsubscribe()
    play.close()
    return ran - start, final, len(frames)


def live_overhead(rounds: int = 15) -> None:
    run_cell(False), run_cell(True)  # warm up
    plain, live, finals, frames = [], [], [], []
    for _ in range(rounds):
        plain.append(run_cell(False)[0])
        took, final, n = run_cell(True)
        live.append(took)
        finals.append(final)
        frames.append(n)
    base, with_live, final = statistics.median(plain), statistics.median(live), statistics.median(finals)
    print(
        f"live: a 1,000-call cell runs {base * 1000:,.0f} ms plain, {with_live * 1000:,.0f} ms with live "
        f"updates ({statistics.median(frames) - 1:.0f} live frame(s)): {(with_live / base - 1) * 100:+.1f} % "
        f"(median of {rounds}; goal < 20 %)"
    )
    print(
        f"final frame after the cell: {final * 1000:,.0f} ms "
        f"(cell + final frame: {((with_live + final) / base - 1) * 100:+.1f} % over the plain cell)"
    )


if __name__ == "__main__":
    render_10k()
    render_with_advice()
    live_overhead()
