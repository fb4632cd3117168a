"""Live views and the IPython extension: lazy output, throttled frames, a final frame."""

from __future__ import annotations

import asyncio
import threading

import IPython.display
import pytest
import scenes

import playground
import playground.notebook
from playground.trace import NoteEvent
from playground.viz import LiveView
from playground.sim.clock import VirtualLoop
from playground.viz.live import BUDGET


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_live_view_waits_for_the_first_rpc_event_then_throttles():
    play, rec = scenes.awaited_counter()
    frames: list[dict[str, str]] = []
    clock = FakeClock()
    live = LiveView(frames.append, now=lambda: rec.end, start=rec.start, interval=0.1, clock=clock)
    live.add(NoteEvent(0, 0.0, "info", "client", "not RPC"))
    assert frames == []
    events = rec.events
    for i, event in enumerate(events):
        clock.now = i * 0.01  # 10 ms of wall time per event
        live.add(event)
    assert 1 <= len(frames) <= 1 + len(events) * 0.01 / 0.1 + 1
    live.finish()
    assert frames[-1]["text/plain"].startswith("2 round trips · 100 ms")
    assert frames[-1]["text/html"].startswith('<img src="data:image/svg+xml;base64,')


def test_live_frames_keep_to_their_share_of_the_cells_wall_time(monkeypatch):
    monkeypatch.setattr(LiveView, "per_event", 4e-6)  # learned across views: start from the guess
    _play, rec = scenes.many_calls(300)
    clock = FakeClock()
    frames: list[dict[str, str]] = []

    costs: list[float] = []

    def publish(bundle):
        frames.append(bundle)
        costs.append(20e-6 * len(live.events))  # a frame costs 20 µs of wall time per event drawn
        clock.now += costs[-1]

    live = LiveView(publish, now=lambda: rec.end, start=rec.start, interval=0.01, clock=clock)
    for event in rec.events:
        clock.now += 0.0002  # the cell makes an event every 0.2 ms
        live.add(event)
    assert len(frames) >= 3  # it does keep the picture moving
    # a frame every 10 ms would draw most of the time; the budget holds drawing near a tenth
    # (the first large frame may overshoot once, before its cost per event is known)
    assert sum(costs) <= BUDGET * clock.now + max(costs), (len(frames), costs, clock.now)


def test_a_frame_that_fails_is_shown_not_dropped():
    play, rec = scenes.pipelined_counter()
    frames: list[dict[str, str]] = []

    def broken_now() -> float:
        raise RuntimeError("no clock")

    live = LiveView(frames.append, now=broken_now, start=0.0)
    for event in rec.events:
        live.add(event)
    assert len(frames) == 1 and "live trace view failed" in frames[0]["text/plain"]
    assert "no clock" in frames[0]["text/plain"]


class FakeEvents:
    def __init__(self) -> None:
        self.callbacks: dict[str, list] = {}

    def register(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    def unregister(self, name, callback):
        self.callbacks[name].remove(callback)

    def trigger(self, name):
        for callback in list(self.callbacks.get(name, [])):
            callback(None)


class FakeShell:
    def __init__(self) -> None:
        self.events = FakeEvents()


class FakeHandle:
    def __init__(self, log, bundle):
        self.log = log
        log.append(("display", bundle))

    def update(self, bundle, raw=False):
        self.log.append(("update", bundle))


@pytest.fixture
def shell(monkeypatch):
    log: list = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw=False, display_id=False: FakeHandle(log, bundle))
    ip = FakeShell()
    playground.load_ipython_extension(ip)
    ip.log = log
    yield ip
    playground.unload_ipython_extension(ip)
    assert not any(ip.events.callbacks.values())


def _cell(ip, body):
    ip.events.trigger("pre_run_cell")
    try:
        return body()
    finally:
        ip.events.trigger("post_run_cell")


def test_the_extension_draws_a_cell_with_rpc_and_nothing_for_a_cell_without(shell):
    play = scenes.counter_world()
    env = play.env("client")
    _cell(shell, lambda: 1 + 1)
    assert shell.log == []

    async def main():
        with env.COUNTER_SERVICE.get_counter() as counter:
            return await counter.increment()

    assert _cell(shell, lambda: play.run(main())) == 1
    kinds = [k for k, _ in shell.log]
    assert kinds[0] == "display" and kinds.count("display") == 1
    assert kinds[-1] == "update"
    assert shell.log[-1][1]["text/plain"].startswith("1 round trip · 50 ms")


def test_each_cell_gets_its_own_view_and_unload_stops_it(shell):
    play = scenes.counter_world()
    env = play.env("client")

    async def main():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            return await counter.increment()

    _cell(shell, lambda: play.run(main()))
    _cell(shell, lambda: play.run(main()))
    displays = [b for k, b in shell.log if k == "display"]
    assert len(displays) == 2
    finals = [b["text/plain"].splitlines()[0] for k, b in shell.log if k == "update"][-1:]
    assert finals[0].startswith("2 round trips · 100 ms")  # the second cell alone
    playground.unload_ipython_extension(shell)
    before = len(shell.log)
    _cell(shell, lambda: play.run(main()))
    assert len(shell.log) == before
    playground.load_ipython_extension(shell)  # for the fixture's unload


class PyodideLikeShell(FakeShell):
    """A shell as the Pyodide kernel drives it: cells run through ``run_cell_async``, which
    fires ``pre_run_cell`` and never ``post_run_cell``."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list = []

    async def run_cell_async(self, body):
        self.events.trigger("pre_run_cell")
        return await body()


def _final_summary(log) -> str:
    return [b for k, b in log if k == "update"][-1]["text/plain"].splitlines()[0]


@pytest.mark.parametrize("async_cells", [True, False], ids=["run_cell_async", "next pre_run_cell"])
def test_a_kernel_that_never_fires_post_run_cell_still_gets_each_cells_final_frame(monkeypatch, async_cells):
    log: list = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw=False, display_id=False: FakeHandle(log, bundle))
    ip = PyodideLikeShell() if async_cells else FakeShell()
    playground.load_ipython_extension(ip)
    play = scenes.counter_world()
    env = play.env("client")

    async def cell():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            return await counter.increment()

    try:
        if async_cells:
            assert asyncio.run(ip.run_cell_async(cell)) == 1
        else:  # a kernel that calls neither: the next cell finishes the last one
            ip.events.trigger("pre_run_cell")
            assert play.run(cell()) == 1
            ip.events.trigger("pre_run_cell")
        assert _final_summary(log) == "2 round trips · 100 ms · 2 calls (0 pipelined) · 9 messages · 121 bytes · 0 leaks"
        ext = playground.notebook._extensions[id(ip)]
        assert [view.finished for view in ext.views.values()] == ([True] if async_cells else [])
        before = len(log)
        ip.events.trigger("post_run_cell")  # (a kernel that fires it too: nothing drawn twice)
        assert len(log) == before
    finally:
        playground.unload_ipython_extension(ip)
    assert "run_cell_async" not in ip.__dict__  # unwrapped
    assert not any(ip.events.callbacks.values())


class Ticks:
    """A ticker's wait that returns only when the test says so: the test steps the ticker one
    frame at a time instead of sleeping. (The timeouts only stop a broken test from hanging.)"""

    def __init__(self) -> None:
        self.waiting = threading.Semaphore(0)
        self.go = threading.Semaphore(0)

    def __call__(self, seconds: float) -> None:
        self.waiting.release()
        assert self.go.acquire(timeout=10)

    def step(self) -> None:
        """Let the ticker draw one frame and come back to wait."""
        assert self.waiting.acquire(timeout=10)
        self.go.release()
        assert self.waiting.acquire(timeout=10)  # back: its frame is drawn
        self.waiting.release()

    def release(self) -> None:
        self.go.release()


def test_with_pace_the_clock_is_extrapolated_between_events_and_a_ticker_redraws():
    play, rec = scenes.pipelined_counter()
    first_flight = [e for e in rec.events if e.at == 0.0]
    frames: list[dict[str, str]] = []
    clock = FakeClock()
    ticks = Ticks()
    live = LiveView(frames.append, now=lambda: 0.0, start=0.0, interval=0.005, clock=clock, pace=2.0, wait=ticks)
    for event in first_flight:
        live.add(event)
    clock.now = 0.020  # 20 ms of wall time at pace 2: 10 ms of virtual time
    assert live.estimated_now() == 0.010
    clock.now = 1.0  # never past the next arrival still in flight
    assert live.estimated_now() == 0.025
    before = len(frames)
    for _ in range(3):
        ticks.step()
    assert len(frames) == before + 3  # the ticker redraws while nothing else happens
    live.finish()
    count = len(frames)
    ticks.release()
    assert live.ticker is not None
    live.ticker.join(timeout=10)
    assert not live.ticker.is_alive() and len(frames) == count  # and stops with the cell


def test_a_live_view_under_a_trace_limit_keeps_the_newest_events_and_says_so():
    _play, rec = scenes.many_calls(100)
    frames: list[dict[str, str]] = []
    live = LiveView(frames.append, now=lambda: rec.end, start=rec.start, clock=FakeClock(), limit=40)
    events = rec.events
    for event in events:
        live.add(event)
    assert 40 <= len(live.events) <= 50
    assert live.events == events[-len(live.events):]
    assert live.dropped == len(events) - len(live.events)
    live.finish()
    assert f"{live.dropped:,} earlier events not kept (trace_limit)" in frames[-1]["text/plain"]


def test_where_no_thread_can_start_a_paced_view_redraws_from_the_event_loop(monkeypatch):
    monkeypatch.setattr(LiveView, "threads", False)  # as under Pyodide
    play, rec = scenes.pipelined_counter()
    first_flight = [e for e in rec.events if e.at == 0.0]
    frames: list[dict[str, str]] = []
    live = LiveView(frames.append, now=lambda: 0.0, start=0.0, interval=0.005, clock=FakeClock(), pace=2.0)
    cell_loop = VirtualLoop()  # the cell's loop (its clock virtual too: the test never sleeps)

    async def cell():
        for event in first_flight:
            live.add(event)
        first = len(frames)
        await asyncio.sleep(0.0125)  # the loop's callbacks redraw at 5 and 10 ms
        ticked = len(frames)
        live.finish()
        await asyncio.sleep(0.05)
        return first, ticked, len(frames)

    task = cell_loop.create_task(cell())
    try:
        cell_loop.run_until(task.done)
    finally:
        cell_loop.close()
    first, ticked, last = task.result()
    assert live.ticker is None
    assert (ticked - first, last - ticked) == (2, 1)  # two redraws, the final frame, then none


def test_without_ipywidgets_the_error_says_how_to_install_it_here_and_in_jupyterlite(monkeypatch):
    import sys

    from playground.viz.replay import require_ipywidgets

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # (importing it fails)
    with pytest.raises(ImportError) as info:
        require_ipywidgets("This notebook's sliders")
    assert str(info.value) == (
        "This notebook's sliders needs ipywidgets: pip install 'workers-rpc-playground[notebook]' "
        "(or pip install ipywidgets; in JupyterLite, run %pip install ipywidgets in a cell). "
        "Everything else works without it: display the trace itself, or use trace.to_svg()."
    )
