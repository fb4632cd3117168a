"""Driving the playground from outside: ``play.run``, awaits from another loop, idling, hangs.

The playground's loop never runs by itself. Code outside it makes it run:

* ``play.run(awaitable)`` runs the awaitable as a task of the playground's loop and drives the
  loop (nested, if another loop is running) until it is done;
* ``await promise`` in code on another loop (a Jupyter cell, ``asyncio.run``) drives the loop
  until that promise settles — first yielding once to its own loop, so that calls gathered
  together leave together, and stopping whenever another outside await becomes ready, so that
  each sees the virtual time of its own result;
* when everything waits and nothing is scheduled, requests that can never finish are ended
  with the runtime's hang error, as Workers does.
"""

from __future__ import annotations

import asyncio
import inspect
from asyncio import events
from collections.abc import Awaitable
from typing import Any, TypeVar

from ..errors import DeadlockError, RpcError, SimulationError, Text
from ..sim.clock import NS
from ..sim.eager import as_coroutine
from ..sim.units import Duration, parse_duration_ns
from .shared import Runtime

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
            loop.run_until(task.done, self.on_idle)
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
            elif state == "idle":
                if not idle_once:
                    idle_once = True
                    await asyncio.sleep(0)
                    continue
                if not self.on_idle():
                    raise DeadlockError(
                        "Everything in the playground is waiting and nothing is scheduled to "
                        "happen, so this await would never finish."
                    )
            elif not future.done():
                await asyncio.sleep(0)  # another outside await is ready: let it go first
            idle_once = False
        runtime.run_deferred()
        runtime.flush_warnings()
        return future.result()

    def _wake(self, _: Any = None) -> None:
        self._woken = True

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
                loop.run_until(lambda: False)
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
        """Everything waits: end requests that can never finish, as the runtime does."""
        runtime = self._runtime
        hung = [hook for hook in runtime.running if not hook.finished]
        for hook in hung:
            worker = hook.context.worker if hook.context is not None else ""
            runtime.note("error", worker, Text.HUNG)
            hook.fail(RpcError(Text.HUNG))
        stuck = [task for context in list(runtime.contexts.values()) for task in context.pending_tasks()]
        for task in stuck:  # wait_until work that can never finish
            task.cancel()
        return bool(hung) or bool(stuck)


def _set_done(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)

