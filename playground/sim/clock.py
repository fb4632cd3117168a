"""The virtual clock: an asyncio event loop on which simulated time only jumps.

Theory of operation
-------------------
Every piece of simulated work (worker code, message deliveries, timers) runs on one
:class:`VirtualLoop`. Its ``time()`` reads an integer count of nanoseconds that never moves on
its own. When the loop has nothing ready to run, its selector, instead of blocking, moves the
clock straight to the earliest scheduled timer (trio's ``MockClock(autojump_threshold=0)``).
So ``asyncio.sleep``, ``wait_for``, ``asyncio.timeout`` and ``call_later`` inside workers all
work in virtual time, and latency is never slept.

Nobody calls ``run_forever`` on this loop. Whoever wants a result *drives* it with
:meth:`VirtualLoop.run_until`: set the world as the running loop, call ``_run_once`` until the
awaited future is done, put the previous running loop back. That works from a plain script, from
inside another running loop (a Jupyter kernel, ``asyncio.run``), and needs no global patching.

Details that each were a real failure in a prototype:

* **Ties.** asyncio's timer heap does not keep FIFO order for equal times, and with a frozen clock
  ties are everywhere; timers here compare by ``(time_ns, sequence)``, so traces repeat exactly.
* **Integer clock.** Adding 0.05 s as a float 2,000 times is not 100 s; adding 50,000,000 ns is.
* **Real work.** Jobs sent to an executor run in real time; while any is in flight the clock
  does not jump, the selector waits for them for real.
* **Deadlock.** Nothing ready, nothing scheduled, no real work, and someone is still waiting:
  the driver asks its owner (``on_idle``) to break the deadlock — the runtime cancels hung
  requests, as the real one does — and raises :class:`DeadlockError` if nothing can be done.
* **Ctrl-C.** While the loop is driven in the main thread over Python's own SIGINT handler,
  :meth:`VirtualLoop.run_until` installs its own (trio's KeyboardInterrupt protection): a Ctrl-C
  arriving in the playground's code is kept and raised between two callbacks, where every table
  is consistent; arriving in user code, or while the loop waits for the wall clock, it is raised
  at once (the runtime fails that call and hands the interrupt back to the loop,
  :meth:`VirtualLoop.interrupt`). Either way the driver sees one ``KeyboardInterrupt`` and the
  loop is left as it was (not running, the previous handler back).
* **Real I/O.** While a real session or server is open (:meth:`VirtualLoop.open_real`), messages
  from sockets arrive from another thread (:meth:`VirtualLoop.call_soon_real`). With nothing
  ready, the loop then blocks in real time until something arrives or the next timer's moment
  comes, and virtual time follows the wall clock while it waits (it moves by the wall time that
  passed, never past the next timer). It is never idle meanwhile: no hang or deadlock is declared
  until ``real_timeout`` wall seconds pass with nothing at all happening. Driven from another
  loop (``host_paced``), it does not block: the run stops with ``"real"`` and the caller waits
  on its own loop (:meth:`VirtualLoop.add_waker` tells it when something arrived).
* **Pace.** With ``pace > 0`` each jump waits until the matching wall-clock moment
  (``pace`` seconds of wall time per virtual second), so demos can be watched; the sequence of
  events is the same as at ``pace = 0``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import heapq
import os
import signal
import sys
import sysconfig
import threading
import time
from asyncio import events
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from ..errors import DeadlockError, SimulationError

__all__ = ["Scheduled", "VirtualLoop"]

NS = 1_000_000_000


class _Soon(asyncio.Handle):
    """A callback for the next turn, made without asyncio's debug bookkeeping (the hot path:
    every message delivery and every task wake-up is one)."""

    __slots__ = ()

    def __init__(
        self, callback: Callable[..., object], args: tuple[Any, ...], loop: VirtualLoop, context: Any
    ) -> None:
        self._context = contextvars.copy_context() if context is None else context
        self._loop = loop
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._repr = None
        self._source_traceback = None


class _Timer(asyncio.TimerHandle):
    """A timer ordered by ``(time_ns, sequence)``: equal times keep the order they were set."""

    __slots__ = ("_when_ns", "_seq")

    def __init__(
        self,
        when_ns: int,
        seq: int,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: VirtualLoop,
        context: Any,
    ) -> None:
        super().__init__(when_ns / NS, callback, args, loop, context)
        self._when_ns = when_ns
        self._seq = seq

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _Timer):
            if self._when_ns != other._when_ns:
                return self._when_ns < other._when_ns
            return self._seq < other._seq
        return NotImplemented  # type: ignore[no-any-return]


class Scheduled(_Timer):
    """Work that is its own handle (no callback object, no argument tuple): subclass it, define
    :meth:`fire`, and hand it to :meth:`VirtualLoop.schedule`. For the hot paths (a batch of
    messages arriving is one); it runs, like any callback, in a copy of the context it was made
    in, and an exception escaping it stops the run as any callback's does."""

    __slots__ = ()

    def __init__(self, loop: VirtualLoop) -> None:
        self._context = contextvars.copy_context()
        self._loop = loop
        self._callback = None
        self._args = ()
        self._cancelled = False
        self._repr = None
        self._source_traceback = None
        self._scheduled = False
        self._when = 0.0
        self._when_ns = 0
        self._seq = 0

    def fire(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _run(self) -> None:
        try:
            self._context.run(self.fire)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler(
                {"message": f"Exception in {self!r}", "exception": exc, "handle": self}
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {self._when_ns} ns{' cancelled' if self._cancelled else ''}>"


class _VirtualSelector:
    """Stands where an I/O selector would: instead of blocking it jumps the virtual clock."""

    def __init__(self, loop: VirtualLoop) -> None:
        self._loop = loop

    def select(self, timeout: float | None) -> list[Any]:
        loop = self._loop
        if loop._woken.is_set():
            loop._woken.clear()
            return []
        if timeout == 0:
            return []
        if loop._real_work:
            # Work running in real time (an executor job) must finish before time can jump.
            loop._waiting = True  # (a Ctrl-C now is raised at once: nothing is half done)
            try:
                if loop._woken.wait(0.1):
                    loop._woken.clear()
            finally:
                loop._waiting = False
            return []
        if loop._real_io:
            loop._wait_real()
            return []
        if timeout is None:
            raise DeadlockError(
                "The virtual loop was asked to wait with nothing scheduled: everything in the "
                "playground is waiting on something nothing will ever do."
            )
        when_ns = loop._scheduled[0]._when_ns  # every timer is a _Timer (call_at_ns)
        if loop.pace > 0 and not loop._host_paced:
            delay = loop._wall_deadline(when_ns) - loop.wall_clock()
            if delay > 0:
                loop._waiting = True
                try:
                    woken = loop.wall_wait(delay)
                finally:
                    loop._waiting = False
                if woken:
                    loop._woken.clear()
                    return []  # woken early by another thread: look again before jumping
        if when_ns > loop._now_ns:
            loop._now_ns = when_ns
        return []

    def close(self) -> None:
        pass


class VirtualLoop(asyncio.BaseEventLoop):
    """An asyncio loop whose ``time()`` is virtual and jumps when everything waits.

    ``pace``: wall-clock seconds per virtual second (0 = jump at once).
    """

    # asyncio.BaseEventLoop's own state, which this loop reads and writes on purpose
    _ready: collections.deque[Any]
    _scheduled: list[Any]
    _timer_cancelled_count: int
    _closed: bool
    _debug: bool

    def __init__(self, pace: float = 0.0) -> None:
        super().__init__()
        self._now_ns = 0
        self._seq = 0
        # Timers due at exactly "now" must fire; timers 1 ns later must not.
        self._clock_resolution = 0.25 / NS
        self._selector = _VirtualSelector(self)
        self._woken = threading.Event()
        self._real_work = 0
        self.pace = float(pace)
        self._host_paced = False
        self._anchor_wall = 0.0
        self._anchor_ns = 0
        self._driving = False
        #: The loop that was running when this one started to be driven nested in it (a Jupyter
        #: cell's), while it is driven; else None.
        self.outer: asyncio.AbstractEventLoop | None = None
        self._failure: BaseException | None = None
        #: A Ctrl-C (or a KeyboardInterrupt that user code raised) waiting to be delivered.
        self._interrupt: BaseException | None = None
        self._waiting = False
        #: The wall clock and the way to wait on it (replaced in tests of ``pace``).
        self.wall_clock: Callable[[], float] = time.monotonic
        self.wall_wait: Callable[[float], bool] = self._woken.wait
        #: Real sessions and servers open (see "Real I/O" in the module docstring).
        self._real_io = 0
        #: Wall seconds a run waits for real I/O with nothing else to do before it gives up.
        self.real_timeout = 30.0
        self._real_stalled = False
        self._real_since: float | None = None  # when a host-paced wait for real I/O began
        self._wakers: list[Callable[[], None]] = []

    # -- time ------------------------------------------------------------------------------

    def time(self) -> float:
        return self._now_ns / NS

    @property
    def now_ns(self) -> int:
        """Virtual time in integer nanoseconds."""
        return self._now_ns

    def call_at_ns(
        self, when_ns: int, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        """Schedule ``callback(*args)`` at virtual time ``when_ns``; equal times keep FIFO order."""
        self._check_closed()
        self._seq += 1
        timer = _Timer(when_ns, self._seq, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def schedule(self, work: Scheduled, when_ns: int) -> None:
        """Run ``work.fire()`` at virtual time ``when_ns``; if that is now, in the next turn
        (as ``call_soon`` would), else among the timers, in FIFO order for equal times."""
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if when_ns <= self._now_ns:
            self._ready.append(work)
            return
        self._seq += 1
        work._when_ns = when_ns
        work._seq = self._seq
        work._when = when_ns / NS
        work._scheduled = True
        heapq.heappush(self._scheduled, work)

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.Handle:
        """asyncio's ``call_soon``, without its debug checks unless the loop is in debug mode."""
        if self._debug:
            return super().call_soon(callback, *args, context=context)
        if self._closed:
            raise RuntimeError("Event loop is closed")
        handle = _Soon(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_at(  # type: ignore[override]
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        return self.call_at_ns(max(round(when * NS), 0), callback, *args, context=context)

    def call_later(  # type: ignore[override]
        self, delay: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        if delay is None:
            raise TypeError("delay cannot be None")
        when_ns = self._now_ns + max(round(delay * NS), 0)
        return self.call_at_ns(when_ns, callback, *args, context=context)

    # -- real work -------------------------------------------------------------------------

    def _write_to_self(self) -> None:
        self._woken.set()

    def _process_events(self, event_list: list[Any]) -> None:
        pass

    def run_in_executor(  # type: ignore[override]
        self, executor: Executor | None, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        """Like asyncio's; the clock waits (for real) while the job runs."""
        future = super().run_in_executor(executor, func, *args)
        self._real_work += 1

        def done(_: asyncio.Future[Any]) -> None:
            self._real_work -= 1

        future.add_done_callback(done)
        return future

    # -- real I/O --------------------------------------------------------------------------

    def open_real(self) -> None:
        """A real session (or server) opened: from now until :meth:`close_real`, messages may
        arrive from another thread, so the loop waits for them instead of declaring a hang."""
        self._real_io += 1

    def close_real(self) -> None:
        self._real_io = max(self._real_io - 1, 0)
        self._woken.set()

    @property
    def real_io(self) -> bool:
        """Whether a real session or server is open."""
        return self._real_io > 0

    def call_soon_real(self, callback: Callable[..., object], *args: Any) -> None:
        """From any thread: run ``callback(*args)`` on this loop (a message from a socket), and
        wake whoever waits for real I/O. Does nothing once the loop is closed. It runs in an
        empty context, not in the one of the code that opened the socket (which the I/O thread
        inherited): a message from a real peer belongs to no caller, and Jupyter files what its
        callbacks print under the cell running now, not under the cell that connected."""
        if self._closed:
            return
        try:
            self.call_soon_threadsafe(callback, *args, context=contextvars.Context())
        except RuntimeError:  # closed meanwhile
            return
        self._real_stalled = False
        for waker in tuple(self._wakers):
            waker()

    def add_waker(self, waker: Callable[[], None]) -> Callable[[], None]:
        """Call ``waker()`` (from any thread) whenever something arrives for this loop from a
        real peer; returns the function that removes it."""
        self._wakers.append(waker)

        def remove() -> None:
            if waker in self._wakers:
                self._wakers.remove(waker)

        return remove

    def wake_all(self) -> None:
        """Call every waker (after a run from another loop's callback: what they wait for may
        have happened)."""
        for waker in tuple(self._wakers):
            waker()

    def real_delay(self) -> float | None:
        """Wall seconds to wait for real I/O before the next timer is due (None: no timer)."""
        self._drop_cancelled_timers()
        if not self._scheduled:
            return None
        return max(self._scheduled[0]._when_ns - self._now_ns, 0) / NS

    def must_wait_real(self) -> bool:
        """Nothing is ready, a real session is open, and no timer is due now: only real I/O (or
        the wall clock) can make something happen."""
        if self._ready or not self._real_io:
            return False
        delay = self.real_delay()
        return delay is None or delay > 0

    def begin_real_wait(self) -> None:
        """A wait for real I/O starts now (see :meth:`follow_wall`)."""
        self._real_since = self.wall_clock()

    def follow_wall(self, timed_out: bool = False) -> None:
        """A wait for real I/O ended: virtual time moves by the wall time it took, never past
        the next timer (exactly to it if the wait ``timed_out`` for it). Nothing to do if no wait
        was going on."""
        since, self._real_since = self._real_since, None
        if since is None:
            return
        elapsed_ns = max(round((self.wall_clock() - since) * NS), 0)
        self._drop_cancelled_timers()
        if self._scheduled:
            limit_ns = self._scheduled[0]._when_ns - self._now_ns
            if timed_out or elapsed_ns > limit_ns:
                elapsed_ns = max(limit_ns, 0)
        elif timed_out:
            self._real_stalled = True
        self._now_ns += elapsed_ns

    def _wait_real(self) -> None:
        """Block until a real peer's message arrives or the next timer's moment comes (with no
        timer: at most ``real_timeout`` seconds, after which the loop counts as idle)."""
        delay = self.real_delay()
        self.begin_real_wait()
        self._waiting = True  # (a Ctrl-C now is raised at once: nothing is half done)
        try:
            woken = self.wall_wait(self.real_timeout if delay is None else delay)
        finally:
            self._waiting = False
        if woken:
            self._woken.clear()
        self.follow_wall(timed_out=not woken)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """An exception escaping a callback is a bug of the simulation: it stops the run loudly
        (instead of being printed and forgotten). Everything else goes to asyncio's handler."""
        exception = context.get("exception")
        if "handle" in context and isinstance(exception, Exception) and self._failure is None:
            self._failure = exception
            return
        super().call_exception_handler(context)

    # -- Ctrl-C ----------------------------------------------------------------------------

    def interrupt(self, exc: BaseException | None = None) -> None:
        """Deliver ``exc`` (a ``KeyboardInterrupt``) to whoever drives the loop, at the next safe
        point: between two callbacks, when every table is consistent. The first one counts."""
        if self._interrupt is None:
            self._interrupt = exc if exc is not None else KeyboardInterrupt()

    def _on_sigint(self, signum: int, frame: Any) -> None:
        """The SIGINT handler while this loop runs (see :meth:`run_until`): a Ctrl-C in the
        playground's own code waits for the next safe point; in user code (a worker's method,
        a coroutine given to ``play.run``) or while the loop waits for the wall clock it is
        raised at once, as Python's handler would (the runtime turns it into a failure of that
        call, and hands it on, see :func:`playground.runtime.hooks.call_in_context`)."""
        if self._waiting or _in_user_code(frame):
            raise KeyboardInterrupt
        self.interrupt()

    def _deliver_interrupt(self) -> None:
        interrupt, self._interrupt = self._interrupt, None
        if interrupt is not None:
            raise interrupt

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise SimulationError(f"internal error in the playground: {failure!r}") from failure

    # -- pace ------------------------------------------------------------------------------

    def _wall_deadline(self, when_ns: int) -> float:
        return self._anchor_wall + (when_ns - self._anchor_ns) / NS * self.pace

    def _reanchor(self) -> None:
        self._anchor_wall = self.wall_clock()
        self._anchor_ns = self._now_ns

    def pace_delay(self) -> float:
        """Wall seconds to wait before the next jump (0 when nothing needs waiting)."""
        if self.pace <= 0 or self._ready or not self._scheduled or self._real_work:
            return 0.0
        self._drop_cancelled_timers()
        if not self._scheduled:
            return 0.0
        when_ns = self._scheduled[0]._when_ns
        if when_ns <= self._now_ns:
            return 0.0
        return max(0.0, self._wall_deadline(when_ns) - self.wall_clock())

    # -- driving ---------------------------------------------------------------------------

    def _drop_cancelled_timers(self) -> None:
        scheduled = self._scheduled
        while scheduled and scheduled[0]._cancelled:
            self._timer_cancelled_count -= 1
            handle = heapq.heappop(scheduled)
            handle._scheduled = False

    def _run_once(self) -> None:
        """One turn of the loop: jump the clock if nothing is ready, move due timers to the
        ready queue, run what was ready (asyncio's own turn, with integer times and no real
        selector)."""
        if self._debug:
            super()._run_once()  # type: ignore[misc]
            return
        scheduled = self._scheduled
        ready = self._ready
        if self._timer_cancelled_count:
            if len(scheduled) > 100 and self._timer_cancelled_count * 2 > len(scheduled):
                kept = [timer for timer in scheduled if not timer._cancelled]  # many cancelled: compact
                for timer in scheduled:
                    if timer._cancelled:
                        timer._scheduled = False
                heapq.heapify(kept)
                self._scheduled = scheduled = kept
                self._timer_cancelled_count = 0
            else:
                self._drop_cancelled_timers()
        if ready:
            if self._woken._flag:  # (threading.Event.is_set, without the call)
                self._woken.clear()
        else:
            self._selector.select(1 if scheduled else None)
        now = self._now_ns
        while scheduled and scheduled[0]._when_ns <= now:  # type: ignore[attr-defined]
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            ready.append(handle)
        for _ in range(len(ready)):
            handle = ready.popleft()
            if handle._cancelled:
                continue
            try:
                if isinstance(handle, Scheduled):  # (Scheduled._run, without its frame)
                    try:
                        handle._context.run(handle.fire)
                    except (SystemExit, KeyboardInterrupt):
                        raise
                    except BaseException as exc:
                        self.call_exception_handler(
                            {"message": f"Exception in {handle!r}", "exception": exc, "handle": handle}
                        )
                else:
                    handle._run()
            except KeyboardInterrupt as exc:  # the callback is over; the rest stay ready
                self.interrupt(exc)
                return

    def is_idle(self) -> bool:
        """Nothing ready, nothing scheduled, no real work in flight."""
        if self._ready or self._real_work or self._woken.is_set():
            return False
        self._drop_cancelled_timers()
        return not self._scheduled and (not self._real_io or self._real_stalled)

    def run_until(
        self,
        is_done: Callable[[], bool],
        on_idle: Callable[[], bool] | None = None,
        *,
        host_paced: bool = False,
        keep_anchor: bool = False,
    ) -> str:
        """Run the loop until ``is_done()``; callable whether or not another loop is running.

        ``on_idle`` is called when the world is idle and ``is_done()`` is still false; it
        returns True if it scheduled something (the loop goes on) and False otherwise, and then
        :class:`DeadlockError` is raised. Without ``on_idle`` the run stops and returns
        ``"idle"``. With ``host_paced`` (a caller on another loop that will do the waiting),
        the run stops and returns ``"pace"`` instead of blocking for a paced jump, and
        ``"real"`` instead of blocking for real I/O (wait for a waker, :meth:`add_waker`, or
        :meth:`real_delay`; the next run moves virtual time by the wall time that passed).
        Returns ``"done"`` when ``is_done()`` became true. With ``pace``, virtual time is tied
        to the wall clock from the start of this run (or of an earlier one, ``keep_anchor``).
        """
        if self.is_closed():
            raise SimulationError("This playground has been closed; create a new Playground.")
        previous = events._get_running_loop()
        if previous is self or self._driving:
            raise SimulationError(
                "play.run() was called from code that is already running inside the playground "
                "(a worker, or a coroutine given to play.run). Use `await` there instead."
            )
        if self.pace > 0 and not keep_anchor:
            self._reanchor()
        sigint = self._guard_sigint()
        try:
            return self._drive(previous, is_done, on_idle, host_paced)
        finally:
            if sigint is not None and _signal.getsignal(_SIGINT) == self._on_sigint:
                _signal.signal(_SIGINT, sigint)  # (unless code in the run installed its own)
            self._deliver_interrupt()  # (a Ctrl-C during the run is never lost)

    def _guard_sigint(self) -> Any:
        """Install :meth:`_on_sigint` for SIGINT if this is the main thread and Python's own
        handler is in place (not one of a host that handles Ctrl-C itself); the handler to put
        back, or None."""
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = _signal.getsignal(_SIGINT)
        if previous is not signal.default_int_handler:
            return None
        _signal.signal(_SIGINT, self._on_sigint)
        return previous

    def _drive(
        self,
        previous: Any,
        is_done: Callable[[], bool],
        on_idle: Callable[[], bool] | None,
        host_paced: bool,
    ) -> str:
        old_hooks = sys.get_asyncgen_hooks()
        outer_task = None
        try:
            events._set_running_loop(self)
            self.outer = previous
            if _swap_current_task is not None:  # (3.14: the thread's one current task, detached)
                outer_task = _swap_current_task(self, None)
            sys.set_asyncgen_hooks(
                firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook
            )
            self._thread_id = threading.get_ident()
            self._driving = True
            self._host_paced = host_paced
            if self._real_since is not None:  # (a host-paced wait for real I/O ended)
                self.follow_wall()
            while not is_done():
                if not self._ready and host_paced and self._real_io and not self._real_stalled and self.must_wait_real():
                    self.begin_real_wait()
                    return "real"
                if not self._ready and self.is_idle():
                    if on_idle is None:
                        return "idle"
                    try:
                        broke = on_idle()
                    finally:
                        self._real_stalled = False  # (the next run waits for real I/O again)
                    if not broke:
                        raise DeadlockError(
                            "Everything in the playground is waiting and nothing is scheduled "
                            "to happen, so this would wait forever. Something is waiting for an "
                            "event, future or reply that nothing will ever provide."
                        )
                    continue
                if host_paced and self.pace > 0 and self.pace_delay() > 0:
                    return "pace"
                self._run_once()
                if self._failure is not None:
                    self._raise_failure()
                if self._interrupt is not None:  # a safe point: between two turns
                    self._deliver_interrupt()
            return "done"
        finally:
            self._driving = False
            self._host_paced = False
            self._thread_id = None  # type: ignore[assignment]
            if _swap_current_task is not None:
                _swap_current_task(self, outer_task)
            events._set_running_loop(previous)
            self.outer = None
            sys.set_asyncgen_hooks(*old_hooks)

    def close(self) -> None:
        self._interrupt = None
        if self._driving:
            raise SimulationError("Cannot close the playground from inside itself.")
        self._ready.clear()
        self._scheduled.clear()
        super().close()


# The C module under ``signal``: its functions are the same, without the wrappers' conversion to
# enums (which costs some 30 us a run, the price of a whole call).
try:
    import _signal
except ImportError:  # pragma: no cover - every CPython has it
    _signal = signal  # type: ignore[no-redef]
_SIGINT = int(signal.SIGINT)

# Python 3.14's asyncio (its C part) keeps one current task per *thread*, not one per loop: a
# task of this loop could not start while the task that drives it (a Jupyter cell's, one of
# ``asyncio.run``) is current ("Cannot enter into task ... while another task ... is being
# executed"). :meth:`VirtualLoop._drive` detaches that task while this loop runs and puts it back
# after. With this loop the running one, ``_swap_current_task`` swaps the thread's task. Before
# 3.14 (or with the pure-Python asyncio) current tasks are kept per loop and nothing is needed.
_swap_current_task: Callable[[Any, Any], Any] | None = None
if sys.version_info >= (3, 14):  # pragma: no cover - tested under Pyodide (tests/test_pyodide.py)
    from asyncio import tasks as _tasks

    _c_swap = getattr(_tasks, "_c_swap_current_task", None)
    if _c_swap is not None and _tasks._swap_current_task is _c_swap:
        _swap_current_task = _c_swap

_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_STDLIB_DIR = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep


def _in_user_code(frame: Any) -> bool:
    """Whether ``frame`` runs user code: going outwards, a frame outside the playground and the
    standard library comes before one of the playground."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_OWN_DIR):
            return False
        if not filename.startswith(_STDLIB_DIR) and not filename.startswith("<frozen "):
            return True
        frame = frame.f_back
    return False
