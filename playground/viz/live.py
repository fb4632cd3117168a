"""A view that grows while a cell runs, redrawn at most a few times a second.

:class:`LiveView` is fed events one by one (from a recorder listener); it stays silent until
the first RPC event (a call or a message), then publishes a display bundle at once and again
whenever enough wall time has passed: at least ``interval`` seconds after the last frame, and
only while live drawing, the next frame included, stays within ``BUDGET`` of the cell's wall
time so far. The next frame's cost is predicted from the events it will draw: the last frame's
cost scaled by their number, or the cost per event measured on earlier large frames, whichever
is higher. So a short cell gets its first frame and its final one, a long one a frame every
``interval`` or so. Live frames skip the advisor and the saving; :meth:`finish` publishes the
complete final frame. With ``pace`` > 0 (virtual time tied to the wall clock), a
background thread also redraws every ``interval`` so that arrows grow while they fly. Where no
thread can start (Pyodide, JupyterLite), the redraws are callbacks of the event loop the cell
runs on instead (they run while the cell waits for the wall clock); with no loop, none.
"""

from __future__ import annotations

import asyncio
import heapq
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from ..trace.events import CallEvent, Event, MessageEvent
from .html import mimebundle
from .view import View

__all__ = ["LiveView"]

BUDGET = 0.1  # live frames take at most about this share of a cell's wall time
MIN_EVENTS = 400  # below this many events a frame's cost is mostly fixed, not per event


class LiveView:
    """Collects one cell's events and publishes frames through ``publish(bundle)``.

    ``now()`` gives the current virtual time (arrows still in flight are drawn up to it);
    ``start`` is the virtual time at which the cell began. A frame that fails to draw is not
    dropped silently: the error is published as text and live drawing stops.
    """

    def __init__(
        self,
        publish: Callable[[dict[str, str]], None],
        *,
        now: Callable[[], float],
        start: float,
        workers: Callable[[], list[str]] | None = None,
        interval: float = 0.08,
        clock: Callable[[], float] = time.perf_counter,
        pace: float = 0.0,
        wait: Callable[[float], object] = time.sleep,
        limit: int | None = None,
    ) -> None:
        self.publish = publish
        self.now = now
        self.start = start
        self.workers = workers
        self.interval = interval
        self.clock = clock
        self.wait = wait  # the ticker's pause between frames (a test steps it by hand)
        self.events: list[Event] = []
        #: keep at most about this many of the newest events (the playground's trace_limit)
        self.limit = limit
        self.dropped = 0  # events not kept because of ``limit``
        self.started = False
        self.frames = 0
        self.error: BaseException | None = None
        self.pace = pace
        self.finished = False
        self._lock = threading.RLock()
        self.ticker: threading.Thread | None = None
        self._last_at = start
        self._last_wall = clock()
        self._arrivals: list[float] = []  # arrival times still ahead (paced runs only)
        self._began = self._last_wall
        self._drawing = 0.0  # wall seconds spent on frames so far
        self._due = 0.0  # no live frame before this wall time
        self._last_cost = 0.0
        self._last_count = 1

    #: Wall seconds a frame costs per event drawn, as last measured on a large frame (shared by
    #: every view in the process; a first guess until then).
    per_event: ClassVar[float] = 4e-6
    #: Whether a ticker thread can start here (not under Pyodide; found out, too, when starting
    #: one fails): without, paced redraws are callbacks of the running event loop.
    threads: ClassVar[bool] = sys.platform != "emscripten"

    def add(self, event: Event) -> None:
        """Take one event; draw a frame if it is the first RPC event or one is due."""
        events = self.events
        events.append(event)
        limit = self.limit
        if limit is not None and len(events) > limit + (limit >> 2):  # drop the oldest, a quarter at a time
            cut = len(events) - limit
            del events[:cut]
            self.dropped += cut
        if self.pace > 0:
            self._last_at, self._last_wall = event.at, self.clock()
            if type(event) is MessageEvent and event.received_at is not None:
                with self._lock:
                    heapq.heappush(self._arrivals, event.received_at)
        if self.error is not None:
            return
        if not self.started:
            if type(event) is not MessageEvent and type(event) is not CallEvent:
                return
            self.started = True
            self._frame(final=False)
            if self.pace > 0:
                self._start_ticking()
        elif self.clock() >= self._due:
            if self._affordable():
                self._frame(final=False)
            else:  # ask again a little later, not at every event
                self._due = self.clock() + self.interval / 4

    def predicted_cost(self) -> float:
        """Wall seconds the next frame should take."""
        count = len(self.events)
        scaled = self._last_cost * count / max(self._last_count, MIN_EVENTS)
        return max(scaled, LiveView.per_event * count)

    def _affordable(self) -> bool:
        """Would drawing now keep live frames within ``BUDGET`` of the cell's wall time?"""
        cost = self.predicted_cost()
        return self._drawing + cost <= BUDGET * (self.clock() - self._began + cost)

    def finish(self) -> None:
        """Publish the final frame (nothing if the cell made no RPC)."""
        self.finished = True
        if self.started:
            self._frame(final=True)

    # -- paced runs: arrows grow while they fly --------------------------------------------

    def estimated_now(self) -> float:
        """Virtual time now. With ``pace`` the clock only moves at events, so between them it is
        extrapolated from the wall clock, never past the next arrival still in flight."""
        now = self.now()
        if self.pace <= 0:
            return now
        guess = self._last_at + (self.clock() - self._last_wall) / self.pace
        arrival = self._next_arrival(now)
        return now if arrival is None else max(now, min(guess, arrival))

    def stop(self) -> None:
        """Stop drawing without a final frame (the extension was unloaded mid-cell)."""
        self.finished = True

    def _next_arrival(self, now: float) -> float | None:
        """The earliest arrival still in flight at virtual time ``now`` (paced runs)."""
        with self._lock:
            arrivals = self._arrivals
            while arrivals and arrivals[0] <= now:
                heapq.heappop(arrivals)
            return arrivals[0] if arrivals else None

    def _start_ticking(self) -> None:
        def tick() -> None:
            while not self.finished and self.error is None:
                self.wait(self.interval)
                if not self.finished and self._next_arrival(self.now()) is not None:
                    self._frame(final=False)

        if LiveView.threads:
            ticker = threading.Thread(target=tick, name="playground-live-view", daemon=True)
            try:
                ticker.start()
            except RuntimeError:  # "can't start new thread"
                LiveView.threads = False
            else:
                self.ticker = ticker
                return
        self._tick_on_loop()

    def _tick_on_loop(self) -> None:
        """Paced redraws as callbacks of the event loop the cell runs on: the running loop, or,
        while a playground's loop is driven nested in another, that other one (its ``outer``)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # (no loop: the final frame only)
        loop = getattr(loop, "outer", None) or loop

        def tick() -> None:
            if self.finished or self.error is not None:
                return
            if self._next_arrival(self.now()) is not None:
                self._frame(final=False)
            loop.call_later(self.interval, tick)

        loop.call_later(self.interval, tick)

    def view(self, *, final: bool = False, end: float | None = None) -> View:
        """The events so far as a view, up to virtual time ``end`` (default: now)."""
        workers = self.workers() if final and self.workers is not None else ()
        if end is None:
            end = self.now() if final else self.estimated_now()
        return View(self.events, workers, self.start, end, self.dropped)

    def _frame(self, *, final: bool) -> None:
        with self._lock:
            if self.finished and not final:
                return
            self._draw(final=final)

    def _draw(self, *, final: bool) -> None:
        began = self.clock()
        try:
            end = self.now() if final else self.estimated_now()
            bundle = mimebundle(self.view(final=final, end=end), until=None if final else end, complete=final)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never dropped
            self.error = exc
            bundle = {"text/plain": f"playground: the live trace view failed: {exc!r}"}
        self.publish(bundle)
        self.frames += 1
        end = self.clock()
        self._last_cost, self._last_count = end - began, len(self.events)
        self._drawing += self._last_cost
        self._due = end + self.interval
        if self._last_count >= MIN_EVENTS:
            LiveView.per_event = self._last_cost / self._last_count

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return mimebundle(self.view(final=True))
