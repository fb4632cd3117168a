"""Execution contexts: who owns a stub, whose call a message follows, what ends together.

Every top-level call into a worker (and every ``fetch``) runs in a fresh *callee* context; the
stubs it receives or creates belong to it. Code in a notebook cell or script acts, through
``play.env(name)``, in the *host* context of that worker, which lives as long as the playground.

A context also carries causality for round-trip counting: ``cause`` is the last counted
message (a call or a result) that arrived in it, and every counted message it sends records
that as its cause.
"""

from __future__ import annotations

import contextvars

import inspect
from typing import TYPE_CHECKING, Any, NoReturn

from ..sim.eager import as_coroutine, eager_task

if TYPE_CHECKING:
    from .connection import Connection
    from .world import Playground

__all__ = ["ExecutionContext", "current"]

#: The context whose code is running right now (unset in host code).
current: contextvars.ContextVar[ExecutionContext | None] = contextvars.ContextVar(
    "playground_context", default=None
)


class ExecutionContext:
    """One request's worth of a worker's life (or the host's, for ``kind == "host"``)."""

    __slots__ = (
        "world",
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
        "__weakref__",
    )

    def __init__(self, world: Playground, worker: str, kind: str, label: str) -> None:
        self.world = world
        self.worker = worker
        self.kind = kind
        self.label = label
        self.id = world._next_id()
        self.cause: int | None = None
        self.connections: set[Connection] = set()
        self.served: Connection | None = None  # the session this context was opened for
        self.tasks: set[Any] = set()  # running invocations and wait_until work
        self.handles: dict[int, Any] = {}  # live stub records owned here, by record id
        self.closed = False
        self.env: Any = None  # the worker's bindings, as seen from this context
        self.api: Any = None  # what user code sees as ``ctx`` (wait_until...)

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
        obj = self.run_sync(cls, self.api, self.env)
        for name, value in (("env", self.env), ("ctx", self.api)):
            if not hasattr(obj, name):
                setattr(obj, name, value)
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
        self.world.lifecycle.abort(self, error)
        raise error

    def task(self, coro: Any, *, eager: bool = True) -> Any:
        """Run ``coro`` as work of this context (with it current). ``eager``: its first step
        runs now, as a JavaScript async function's does (see :mod:`playground.sim.eager`)."""
        variables = contextvars.copy_context()
        variables.run(current.set, self)
        loop = self.world.loop
        task = eager_task(loop, coro, variables) if eager else loop.create_task(coro, context=variables)
        if not task.done():
            self.tasks.add(task)
            task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: Any) -> None:
        self.tasks.discard(task)
        self.world.lifecycle.check(self)
