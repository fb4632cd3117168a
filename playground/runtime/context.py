"""Execution contexts: who owns a stub, whose call a message follows, what ends together.

Every top-level call into a worker (and every ``fetch``) runs in a fresh *callee* context; the
stubs it receives or creates belong to it. Code in a notebook cell or script acts, through
``play.env(name)``, in the *host* context of that worker, which lives as long as the playground.

A context also carries causality for round-trip counting: ``cause`` is the last counted
message (a call or a result) that arrived in it, and every counted message it sends records
that as its cause.

A context is made and ended by its *owner* (the lifecycle, :mod:`.lifecycle`), which it tells
when its work finishes (:meth:`ContextOwner.check`) or when user code aborts it.
"""

from __future__ import annotations

import contextvars
import inspect
from asyncio import events
from typing import Any, NoReturn, Protocol

from ..errors import RpcError
from ..sim.clock import VirtualLoop
from ..sim.eager import as_coroutine, eager_task
from .shared import Runtime
from .targets import describe_target

__all__ = ["ContextOwner", "ExecutionContext", "current", "interrupted"]

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
        loop = self.runtime.loop
        task = eager_task(loop, coro, variables) if eager else loop.create_task(coro, context=variables)
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
