"""Execution contexts: who owns a stub, whose call a message follows, what ends together.

Every top-level call into a worker (and every ``fetch``) runs in a fresh *callee* context; the
stubs it receives or creates belong to it. Code in a notebook cell or script acts, through
``play.env(name)``, in the *host* context of that worker, which lives as long as the playground.

A context also carries causality for round-trip counting: ``cause`` is the last counted
message (a call or a result) that arrived in it, and every counted message it sends records
that as its cause.

A context is made and ended by its *owner* (the lifecycle, :mod:`.lifecycle`), which it tells
when its work finishes (:meth:`ContextOwner.check`) or when user code aborts it.

CPU time. A request's user code may use :attr:`ExecutionContext.cpu_limit` seconds of CPU (the
thread's CPU time, summed over every step of its code: a synchronous call, each step of a
coroutine). :func:`run_limited` measures each step; while one runs, a watchdog thread (one per
process, a daemon started on first use, that looks at the running step every 50 ms at most
and sleeps after a second without one) waits for the step's deadline on the simulation
thread's CPU clock (wall time where there is none) and, when it passes, raises a private
``BaseException`` inside the spinning code (``PyThreadState_SetAsyncExc``; any thread, a
notebook kernel's main thread included). The step fails, the request fails with
``RpcError("Worker exceeded CPU time limit.")``, its context is aborted (the world goes on),
and the trace gets an ``error`` note. The watchdog is armed only while user code runs (a
plain attribute, no lock); an exception it raised that had not arrived when the step ended is
made to arrive, and caught, before the runtime goes on (see :class:`_Watchdog`). Where threads cannot be started (Pyodide), the limit is checked between steps only: a
step that never ends is not stopped.
"""

from __future__ import annotations

import contextvars
import ctypes
import inspect
import threading
import time
from asyncio import events
from collections.abc import Generator
from typing import Any, NoReturn, Protocol

from ..errors import RpcError, Text
from ..sim.clock import VirtualLoop
from ..sim.eager import as_coroutine, eager_task
from .shared import Runtime
from .targets import describe_target

__all__ = ["ContextOwner", "ExecutionContext", "current", "interrupted", "run_limited"]

#: The context whose code is running right now (unset in host code).
current: contextvars.ContextVar[ExecutionContext | None] = contextvars.ContextVar(
    "playground_context", default=None
)


class ContextOwner(Protocol):
    """Who makes and ends contexts (the lifecycle)."""

    def check(self, context: ExecutionContext) -> None:
        """End ``context`` if nothing can reach into it any more."""

    def abort(self, context: ExecutionContext, reason: BaseException) -> None:
        """End ``context`` now: calls in flight fail with ``reason``."""


class ExecutionContext:
    """One request's worth of a worker's life (or the host's, for ``kind == "host"``)."""

    __slots__ = (
        "runtime",
        "owner",
        "worker",
        "id",
        "kind",
        "label",
        "cause",
        "connections",
        "served",
        "tasks",
        "handles",
        "closed",
        "env",
        "api",
        "on_abort",
        "cpu_limit",
        "cpu_used",
        "__weakref__",
    )

    def __init__(self, runtime: Runtime, owner: ContextOwner, worker: str, kind: str, label: str) -> None:
        self.runtime = runtime
        self.owner = owner
        self.worker = worker
        self.kind = kind
        self.label = label
        self.id = runtime.next_id()
        self.cause: int | None = None
        self.connections: set[Any] = set()  # the ends of sessions this context holds
        self.served: Any = None  # the connection this context was opened for
        self.tasks: set[Any] | None = None  # running invocations and wait_until work
        self.handles: dict[int, Any] | None = None  # live stub records owned here, by record id
        self.closed = False
        self.env: Any = None  # the worker's bindings, as seen from this context
        self.api: Any = None  # what user code sees as ``ctx`` (wait_until...)
        self.on_abort: Any = None  # told the reason when the context is aborted (Durable Objects)
        #: Seconds of CPU time its user code may use (None: no limit; the host has none).
        self.cpu_limit: float | None = None if kind == "host" else runtime.cpu_limit_of(worker)
        self.cpu_used = 0.0  # seconds of CPU time its user code has used

    def __repr__(self) -> str:
        return f"<ExecutionContext {self.id} {self.kind} in {self.worker}: {self.label}>"

    def run_sync(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` with this context current (for plain functions)."""
        token = current.set(self)
        try:
            return fn(*args, **kwargs)
        finally:
            current.reset(token)

    def construct(self, cls: Any) -> Any:
        """A worker's object for this context: ``cls(ctx, env)`` as the runtime makes it, with
        ``env`` and ``ctx`` set afterwards if its constructor did not keep them."""
        token = current.set(self)
        try:
            obj = cls(self.api, self.env)
        except KeyboardInterrupt as exc:  # Ctrl-C in the constructor: it fails, like a raise
            raise interrupted(exc) from None
        finally:
            current.reset(token)
        if getattr(obj, "env", _MISSING) is _MISSING:
            obj.env = self.env
        if getattr(obj, "ctx", _MISSING) is _MISSING:
            obj.ctx = self.api
        return obj

    def wait_until(self, awaitable: Any) -> None:
        """``ctx.wait_until``: keep this context alive until ``awaitable`` finishes."""
        if not inspect.isawaitable(awaitable):
            raise TypeError(f"wait_until() takes an awaitable; got {type(awaitable).__name__}.")
        self.task(as_coroutine(awaitable))

    def abort(self, reason: object, default: type[BaseException]) -> NoReturn:
        """``ctx.abort(reason)``: end this context now; calls in flight fail with ``reason``
        (an exception, or the text of a ``default`` one)."""
        error = reason if isinstance(reason, BaseException) else default(str(reason or "Aborted"))
        self.owner.abort(self, error)
        raise error

    def task(self, coro: Any, *, eager: bool = True) -> Any:
        """Run ``coro`` as work of this context (with it current). ``eager``: its first step
        runs now, as a JavaScript async function's does (see :mod:`playground.sim.eager`)."""
        variables = contextvars.copy_context()
        variables.run(current.set, self)
        inner = None
        if self.cpu_limit is not None and inspect.iscoroutine(coro):
            inner, coro = coro, _limited(coro, self)
        loop = self.runtime.loop
        task = eager_task(loop, coro, variables) if eager else loop.create_task(coro, context=variables)
        if inner is not None:  # cancelled before its first step, ``inner`` never ran: close it
            task.add_done_callback(lambda _: inner.close())
        if not task.done():
            tasks = self.tasks
            if tasks is None:
                self.tasks = {task}
            else:
                tasks.add(task)
            task.add_done_callback(self._task_done)
        return task

    def pending_tasks(self) -> list[Any]:
        """This context's work that has not finished."""
        return [task for task in self.tasks or () if not task.done()]

    def _task_done(self, task: Any) -> None:
        if self.tasks is not None:
            self.tasks.discard(task)
        if isinstance(getattr(task, "_exception", None), KeyboardInterrupt):
            task._log_traceback = False  # (the loop raised it to its driver already)
        self.owner.check(self)

    def schedule_disposer(self, target: Any, disposer: Any) -> None:
        """Run ``disposer`` (a target's ``__dispose__``) soon, as work of this context (which
        does not end before it has run); errors are reported, never raised into the releaser."""
        runtime = self.runtime

        async def run() -> None:
            runtime.ledger.exported("disposer", self.worker, describe_target(target))
            try:
                result = disposer()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                runtime.report(exc, f"__dispose__ of {describe_target(target)} raised")

        self.task(run(), eager=False)  # never inside the dispose() that released it


_MISSING = object()


def interrupted(exc: KeyboardInterrupt) -> RpcError:
    """User code called by the runtime raised ``KeyboardInterrupt`` (Ctrl-C, or its own): the
    error its call fails with. While the playground's loop is being driven, the interrupt is
    handed to the loop, which raises it to whoever drives it at the next safe point, once
    (:meth:`VirtualLoop.interrupt`); called from outside the loop, it is raised on at once."""
    loop = events._get_running_loop()
    if not isinstance(loop, VirtualLoop) or not loop._driving:
        raise exc
    loop.interrupt(exc)
    return RpcError(f"The call was interrupted ({type(exc).__name__}).")


# -- the CPU-time limit -------------------------------------------------------------------------


class _CpuExceeded(BaseException):
    """Raised by the watchdog inside user code that went past its CPU deadline (private: caught
    by :func:`run_limited`, never seen by the user unless their code catches everything)."""


class _Watchdog:
    """One daemon thread that raises :class:`_CpuExceeded` in the thread of an armed step once
    that thread's CPU clock passes the step's deadline (and again every 10 ms while the step
    goes on, in case user code swallowed it).

    No lock: the simulation thread arms a step by storing it in :attr:`step` and ends it by
    storing ``None``. The watchdog raises only inside a *section* (:attr:`firing` set, then
    :attr:`step` read); the simulation thread, after storing ``None``, reads :attr:`firing`
    and, if set, waits for the section to end (:func:`_settle`). Both run under the GIL, so
    one of them sees the other's store: once a step has ended, at most one raise is still on
    its way, and :func:`_settle` lets it arrive where it is caught. (A raise is never taken
    back with ``PyThreadState_SetAsyncExc(thread, NULL)``: on CPython 3.11 that leaves the
    interpreter's "pending asynchronous exception" signal set for good, every traced call
    then loops forever at its first instruction: ``sys.settrace`` users such as debuggers,
    coverage and the Ctrl-C sweep in the tests hang.)"""

    def __init__(self) -> None:
        self.step: tuple[int, int | None, float] | None = None  # (thread, its CPU clock, deadline)
        self.firing = False
        self.fired = False
        self.thread: threading.Thread | None = None
        self.available = True
        self.idle = False
        self.wake = threading.Event()
        self.arms = 0
        self.clocks: dict[int, int | None] = {}
        self.ident = 0  # the thread steps ran in last, and its CPU clock
        self.clock_id: int | None = None

    def clock(self, ident: int) -> int | None:
        """The CPU-time clock of thread ``ident`` (None: none, wall time is used instead)."""
        try:
            return self.clocks[ident]
        except KeyError:
            try:
                found: int | None = time.pthread_getcpuclockid(ident)
                time.clock_gettime(found)  # type: ignore[arg-type]
            except (AttributeError, OSError, OverflowError):
                found = None
            self.clocks[ident] = found
            return found

    def use_thread(self, ident: int) -> None:
        """Steps now run in thread ``ident``: look up its CPU clock (once per thread)."""
        self.ident, self.clock_id = ident, self.clock(ident)

    def wake_up(self) -> None:
        """Start the thread (first step), or wake it (after a second without steps)."""
        if self.thread is None:
            if self.available:
                self._start()
        else:
            self.wake.set()

    def _start(self) -> None:
        try:
            thread = threading.Thread(target=self._run, name="playground-cpu-watchdog", daemon=True)
            thread.start()
        except RuntimeError:  # no threads here (Pyodide): checked between steps only
            self.available = False
            self.step = None
            return
        self.thread = thread

    def _run(self) -> None:
        """Look at the armed step every 50 ms at most (or at its deadline, if sooner); block on
        :attr:`wake` after a second without any step."""
        seen, quiet = -1, 0.0
        while True:
            self.firing = True
            step = self.step
            pause = 0.05
            if step is not None:
                ident, clock, deadline = step
                now = time.clock_gettime(clock) if clock is not None else time.monotonic()
                if now >= deadline:  # (a thread's CPU time runs at most as fast as the wall clock)
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_CpuExceeded))
                    self.fired = True
                    self.firing = False
                    time.sleep(0.01)  # (again while the step goes on: user code may swallow it)
                    continue
                pause = min(deadline - now, 0.05)
            self.firing = False
            if step is None and self.arms == seen:
                quiet += pause
                if quiet >= 1.0:
                    self.wake.clear()
                    self.idle = True
                    if self.arms == seen:  # (arm() stores arms before it reads idle)
                        self.wake.wait()
                    self.idle, quiet = False, 0.0
                    continue
            else:
                seen, quiet = self.arms, 0.0
            time.sleep(pause)


_watchdog = _Watchdog()
# The calling thread's CPU time; Pyodide's ``time`` has no ``thread_time`` (one thread anyway).
_thread_time = getattr(time, "thread_time", None) or time.process_time
_active = [0]  # steps being measured on the simulation thread (nested ones count in the outer)


def _settle(watchdog: _Watchdog) -> bool:
    """After a step ended (``watchdog.step`` is None): whether the watchdog raised in it. Waits
    for the watchdog's section to end and lets a raise still on its way arrive here (at the
    loop's backward jump); the caller catches it."""
    if not (watchdog.firing or watchdog.fired):
        return False
    while watchdog.firing:
        time.sleep(0.0001)
    fired, watchdog.fired = watchdog.fired, False
    if fired:
        for _ in range(4):  # (a pending asynchronous exception is raised at the first jump back)
            pass
    return fired


def run_limited(context: ExecutionContext, fn: Any, *args: Any) -> Any:
    """``fn(*args)``, a step of ``context``'s user code, within its CPU-time limit; past the
    limit, raises the runtime's ``RpcError`` (the context is then aborted)."""
    limit = context.cpu_limit
    if limit is None or _active[0]:
        return fn(*args)
    remaining = limit - context.cpu_used
    if remaining <= 0:
        raise cpu_exceeded(context)
    watchdog = _watchdog
    fired = False
    start = _thread_time()
    ident = threading.get_ident()
    if ident != watchdog.ident:
        watchdog.use_thread(ident)
    _active[0] = 1
    try:
        try:
            # Arm (the same clock as thread_time() where the thread has one, else wall time).
            watchdog.fired = False
            clock = watchdog.clock_id
            watchdog.step = (ident, clock, (start if clock is not None else time.monotonic()) + remaining)
            watchdog.arms += 1
            if watchdog.idle or watchdog.thread is None:
                watchdog.wake_up()
            result = fn(*args)
        finally:
            watchdog.step = None  # (from here on, at most one raise is still on its way)
            _active[0] = 0
            try:
                context.cpu_used += _thread_time() - start
                fired = _settle(watchdog)
            except _CpuExceeded:  # that raise arrived
                fired = True
                _settle(watchdog)
    except _CpuExceeded:
        raise cpu_exceeded(context) from None
    except BaseException:
        if fired:
            raise cpu_exceeded(context) from None
        raise
    if fired or context.cpu_used > limit:
        raise cpu_exceeded(context)
    return result


def cpu_exceeded(context: ExecutionContext) -> RpcError:
    """The error of a request past its CPU limit; its context is aborted (once) and noted."""
    error = RpcError(Text.CPU_EXCEEDED)
    if not context.closed:
        context.runtime.note(
            "error", context.worker,
            f"{context.label}: CPU time limit of {context.cpu_limit:g} s exceeded "
            f"({context.cpu_used:.3f} s used); the request was stopped",
        )
        context.owner.abort(context, error)
    return error


async def _limited(coro: Any, context: ExecutionContext) -> Any:
    return await _LimitedSteps(coro, context)


class _LimitedSteps:
    """Drives ``coro`` one step at a time, each within the context's CPU limit."""

    __slots__ = ("_coro", "_context")

    def __init__(self, coro: Any, context: ExecutionContext) -> None:
        self._coro = coro
        self._context = context

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, context = self._coro, self._context
        send: Any = coro.send
        arg: Any = None
        while True:
            try:
                value = run_limited(context, send, arg)
            except StopIteration as stop:
                return stop.value
            except RpcError as exc:
                if exc.args == (Text.CPU_EXCEEDED,) and coro.cr_frame is not None:
                    coro.close()  # (stopped between its steps: it must not run on)
                raise
            try:
                arg, send = (yield value), coro.send
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                arg, send = exc, coro.throw
