"""Driving the playground from outside: ``play.run``, awaits from another loop, idling, hangs.

The playground's loop never runs by itself. Code outside it makes it run:

* ``play.run(awaitable)`` runs the awaitable as a task of the playground's loop and drives the
  loop (nested, if another loop is running) until it is done;
* ``await promise`` in code on another loop (a Jupyter cell, ``asyncio.run``) drives the loop
  until that promise settles — first yielding once to its own loop, so that calls gathered
  together leave together, and stopping whenever another outside await becomes ready, so that
  each sees the virtual time of its own result;
* when everything waits and nothing is scheduled, requests that can never finish are ended
  with the runtime's hang error, as Workers does; the error then names the call that hung (as
  ``play.trace`` numbers it, with the user's line that made it) and the line its code waits at.
  When nothing can be ended and what is awaited still waits, :class:`DeadlockError` says what
  waits: the user's line each waiting task is at, and what for if that can say (a stream whose
  writer was never closed); its traceback ends at the line ``play.run``'s coroutine waits at.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from asyncio import events
from collections.abc import Awaitable
from typing import Any, NoReturn, TypeVar

from ..errors import DeadlockError, RpcError, SimulationError, Text
from ..sim.clock import NS
from ..sim.eager import as_coroutine
from ..sim.units import Duration, parse_duration_ns
from ..trace import CallEvent, where_text
from .shared import Runtime
from .where import awaiting, code_line, in_user_code, suspended_traceback, user_frame

__all__ = ["Host"]

T = TypeVar("T")


class Host:
    """The outside world's handle on one playground's loop."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._woken = False

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` as a task of the playground's loop, driving the loop until it is
        done; its result.

        Ctrl-C (``KeyboardInterrupt``) during the run reaches the caller once, at a point where
        every table of the playground is consistent (see :mod:`playground.sim.clock`), and
        leaves the playground usable: the next ``play.run`` works. What was interrupted:

        * a call whose worker code was running when the interrupt arrived (or that raised
          ``KeyboardInterrupt`` itself) fails with ``RpcError("The call was interrupted
          (KeyboardInterrupt).")``; its sessions end as after any failure;
        * every other call in flight goes on: awaiting its promise again (``play.run(promise)``,
          ``await promise``) gives its result, or that error;
        * a coroutine given to ``play.run`` is cancelled (on the next run of the loop).
        """
        runtime = self._runtime
        loop = runtime.loop
        if not inspect.isawaitable(awaitable):
            raise TypeError(
                f"play.run() takes something to await (a coroutine or an RPC promise); got "
                f"{type(awaitable).__name__}. Did you mean play.run(main()) rather than play.run(main)?"
            )
        if events._get_running_loop() is loop:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            else:
                dispose = getattr(awaitable, "_dispose", None)
                if dispose is not None:
                    dispose()
            raise SimulationError(
                "play.run() was called from code already running inside the playground; use "
                "`await` there instead."
            )
        task = loop.create_task(as_coroutine(awaitable))
        try:
            loop.run_until(task.done, lambda: self.on_idle() or self._deadlock(task))
        except BaseException:
            if not task.done():
                task.cancel()  # (an awaited RPC promise goes on: awaiting it again waits for it)
            elif not task.cancelled():
                task.exception()  # (it is what is being raised, or lost to a Ctrl-C: not logged)
            raise
        finally:
            runtime.run_deferred()
            runtime.flush_warnings()
        return task.result()

    async def wait(self, future: asyncio.Future[Any]) -> Any:
        """Await a future of the playground's loop from another running loop."""
        runtime = self._runtime
        loop = runtime.loop
        future.add_done_callback(self._wake)
        await asyncio.sleep(0)  # let other outside tasks send their calls first (gather)
        idle_once = False
        anchored = False
        while not future.done():
            runtime.check_open()
            self._woken = False
            state = loop.run_until(
                lambda: future.done() or self._woken, None, host_paced=True, keep_anchor=anchored
            )
            anchored = True
            if state == "pace":
                await asyncio.sleep(loop.pace_delay())
            elif state == "real":
                await self.wait_real(future)
            elif state == "idle":
                if not idle_once:
                    idle_once = True
                    await asyncio.sleep(0)
                    continue
                try:
                    if not self.on_idle():
                        self._deadlock(None, "so this await would never finish.", future)
                finally:
                    loop._real_stalled = False
            elif not future.done():
                await asyncio.sleep(0)  # another outside await is ready: let it go first
            idle_once = False
        runtime.run_deferred()
        runtime.flush_warnings()
        return future.result()

    def _wake(self, _: Any = None) -> None:
        self._woken = True

    async def wait_real(self, future: Any = None) -> None:
        """On the caller's own loop: wait until a real peer's message arrives for the
        playground, ``future`` is done, or the playground's next timer is due (with no timer, at
        most ``real_timeout`` wall seconds). Virtual time follows on the next run."""
        loop = self._runtime.loop
        outer = asyncio.get_running_loop()
        woken = outer.create_future()

        def wake(_: Any = None) -> None:
            try:
                outer.call_soon_threadsafe(_set_done, woken)
            except RuntimeError:  # (the caller's loop closed)
                pass

        remove = loop.add_waker(wake)
        if future is not None:
            future.add_done_callback(wake)
        delay = loop.real_delay()
        try:
            await asyncio.wait_for(woken, loop.real_timeout if delay is None else delay)
        except TimeoutError:
            loop.follow_wall(timed_out=True)
        finally:
            remove()
            if future is not None:
                future.remove_done_callback(wake)

    async def sleep(self, seconds: Duration) -> None:
        delay = parse_duration_ns(seconds, "sleep duration") / NS
        loop = self._runtime.loop
        if events._get_running_loop() is loop:
            await asyncio.sleep(delay)
            return
        future = loop.create_future()
        loop.call_later(delay, _set_done, future)
        await self.wait(future)

    async def idle(self) -> None:
        loop = self._runtime.loop
        if events._get_running_loop() is not loop:
            await asyncio.sleep(0)
            try:
                loop.run_until(lambda: loop._real_io > 0 and loop.must_wait_real() and loop.real_delay() is None)
            finally:
                self._runtime.flush_warnings()
            return
        while True:  # from inside: sleep past every scheduled timer until none is left
            await asyncio.sleep(0)
            loop._drop_cancelled_timers()
            timers = [t for t in loop._scheduled if not t._cancelled]
            if not timers:
                if not loop._ready:
                    return
                continue
            latest_ns = max(t._when_ns for t in timers)  # type: ignore[attr-defined]
            await asyncio.sleep(max(latest_ns - loop._now_ns, 0) / NS)

    def on_idle(self) -> bool:
        """Everything waits: end requests that can never finish, as the runtime does (the
        error names the call that hung and where its code waits)."""
        runtime = self._runtime
        hung = [hook for hook in runtime.running if not hook.finished]
        texts = [Text.HUNG + self._hung(hook) for hook in hung]  # (before any of them is ended)
        for hook, text in zip(hung, texts):
            worker = hook.context.worker if hook.context is not None else ""
            runtime.note("error", worker, text)
            hook.fail(RpcError(text))
        stuck = [task for context in list(runtime.contexts.values()) for task in context.pending_tasks()]
        for task in stuck:  # wait_until work that can never finish
            task.cancel()
        return bool(hung) or bool(stuck)

    # -- saying what waits (only when an error is raised) ----------------------------------------

    def _hung(self, hook: Any) -> str:
        """What to add to the hang error of ``hook`` (a result being computed): the call it
        answers, and the user's line its code waits at."""
        runtime = self._runtime
        text = ""
        found = _answering(hook)
        if found is not None:
            question, caller_end = found
            durable = caller_end.durable_id is not None
            call = _describe_call(runtime, question.call_seq, question.where, durable)
            text = f"\nThe call that hung: {call}."
        task = getattr(hook, "_task", None)
        where, why = _waits(task) if task is not None else ("", "")
        if where or why:
            its = " Its code" if text else "\nIts code"
            why = why or "for something nothing will ever do"
            text += f"{its} waits {', '.join(filter(None, (where, why)))}."
        return text

    def _deadlock(
        self, task: Any, ending: str = "so this would wait forever.", future: Any = None
    ) -> NoReturn:
        """Raise :class:`DeadlockError` saying what waits: ``task`` (the coroutine given to
        ``play.run``; None: the user's code awaiting ``future`` from outside) and the other
        tasks, each with the user's line it waits at and what it waits for, if that can say."""
        runtime = self._runtime
        lines: list[str] = []
        tb = None  # the user's frames that ``task`` waits in: the error's traceback ends there
        if task is not None:
            tb = suspended_traceback([f for f in awaiting(task) if in_user_code(f.f_code.co_filename)])
            waits = ", ".join(filter(None, _waits(task)))
            if waits:
                lines.append(f"play.run() waits {waits}")
        else:  # (an await from outside: the user's code is running, and awaits ``future``)
            where = user_frame()
            waits = ", ".join(filter(None, (f"at {_line(where)}" if where else "", _why(future))))
            if waits:
                lines.append(f"the await waits {waits}")
        for other in asyncio.all_tasks(runtime.loop):
            if other is not task and not other.done() and len(lines) < 8:
                waits = ", ".join(filter(None, _waits(other)))
                if waits:
                    lines.append(f"a task waits {waits}")
        text = (
            "Everything in the playground is waiting and nothing is scheduled to happen, "
            f"{ending} Something is waiting for an event, future or reply that nothing will ever "
            "provide."
        )
        if runtime.loop._real_stalled:
            text += "\n" + Text.real_silent(runtime.loop.real_timeout)
        if lines:
            text += "\nWhat waits:\n" + "\n".join(f"- {line}" for line in lines)
        raise DeadlockError(text).with_traceback(tb)


def _answering(hook: Any) -> tuple[Any, Any] | None:
    """``(question, caller's end)``: the call that ``hook`` (a result being computed) answers,
    if it is the answer to a call from another worker."""
    context = hook.context
    for connection in list(context.connections) if context is not None else ():
        peer = connection.peer
        if peer is None:
            continue
        for export_id, exported, _, answer in connection.session.exported():
            if exported is hook and answer:
                question = peer.questions.get(export_id)
                return (question, peer) if question is not None else None
    return None


def _waits(task: Any) -> tuple[str, str]:
    """Where ``task`` waits, in words (``in main() at x.py:12 (`await ...`)``; "" if in no
    user code), and what for, if what it awaits can say (``_why``; "" if not)."""
    users = [f for f in awaiting(task) if in_user_code(f.f_code.co_filename)]
    if not users:
        return "", _why(getattr(task, "_fut_waiter", None))
    frame = users[-1]
    where = f"in {frame.f_code.co_name}() at {_line((frame.f_code.co_filename, frame.f_lineno))}"
    return where, _why(getattr(task, "_fut_waiter", None))


def _why(future: Any) -> str:
    """What a future being awaited stands for, told by the object holding it (anything with a
    ``_waiting_for()`` method: a stream's pipe says its writer was never closed); "" if none
    says. (It looks through every object Python tracks: for errors only.)"""
    if future is None:
        return ""
    for holder in gc.get_referrers(future):
        explain = getattr(type(holder), "_waiting_for", None)
        if explain is not None:
            text = explain(holder)
            if text:
                return str(text)
    return ""


def _line(where: tuple[str, int]) -> str:
    code = code_line(*where)
    return f"{where_text(where)} (`{code}`)" if code else where_text(where)


def _describe_call(runtime: Runtime, seq: int, where: tuple[str, int] | None, durable: bool = False) -> str:
    """A call as the user wrote it, with its number in ``play.trace``, its workers and the line
    that made it: ``env.S.slow() (call #4 from client to svc, made at script.py:12)``."""
    event = _call_event(runtime, seq)
    if event is None:  # (not in the trace: dropped from a bounded one)
        return f"call #{seq} (made at {where_text(where)})"
    made = where_text(event.where or where)
    call = _expression(runtime, event, durable, 0)
    return f"{call} (call #{seq} from {event.caller} to {event.callee}, made at {made})"


def _call_event(runtime: Runtime, seq: int) -> CallEvent | None:
    try:
        event = runtime.recorder.events[seq]
    except IndexError:  # (dropped from a bounded trace)
        return None
    return event if isinstance(event, CallEvent) else None


def _expression(runtime: Runtime, event: CallEvent, durable: bool, depth: int) -> str:
    """``env.S.counter().inc()``: the call, from the binding (or stub) it was made on."""
    method = (event.method if event.path else "") + ("" if event.is_get else "()")
    if event.pipelined and event.target_call is not None:
        base = _call_event(runtime, event.target_call) if depth < 8 else None
        if base is not None:
            return f"{_expression(runtime, base, durable, depth + 1)}{'.' if event.path else ''}{method}"
        return f"{method} on the result of call #{event.target_call}"
    if event.target_stub:
        record = runtime.ledger.get(event.target_stub)
        origin = record.origin_call if record is not None and depth < 8 else None
        base = _call_event(runtime, origin) if origin is not None else None
        if base is not None:
            return f"{method} on the stub from {_expression(runtime, base, durable, depth + 1)}"
        return f"{method} on stub #{event.target_stub}"
    worker = runtime.workers.get(event.caller)
    if worker is not None and durable:
        names = [name for name, (owner, _) in sorted(worker.durable_objects.items()) if owner == event.callee]
        if names:
            return f"{method} on a Durable Object stub from env.{names[0]}"
    elif worker is not None:
        names = [name for name, (service, _) in sorted(worker.services.items()) if service == event.callee]
        if names:
            return f"env.{names[0]}{'.' if event.path else ''}{method}"
    return f"{method} on {event.callee}"


def _set_done(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)

