"""Hooks: the runtime's one abstraction for "something calls can be made on".

Every stub and promise the user holds wraps a hook; every export in a session table is a hook.
Pipelining is uniform: ``hook.call(path, args)`` returns a new hook for the result *at once*,
whatever the kind of hook — a remote one sends a push and returns a hook for the question, a
pending local one queues the call until it resolves, a failed one returns itself.

============== ==========================================================================
hook           what it stands for
============== ==========================================================================
TargetHook     a local object: an RpcTarget, a function, an entrypoint or Durable Object
ValueHook      a resolved local value (the result of a call), traversed by pipelined paths
PromiseHook    a local result still being computed (an ``async`` method running)
ErrorHook      a failure: every call on it fails the same way
RemoteHook     a capability imported from the peer of a session (a stub) — in :mod:`.remote`
QuestionHook   the result of a call sent to the peer (a promise), until it comes back — ditto
============== ==========================================================================

Ownership: each holder owns the hook it holds and must ``dispose`` it once; ``dup`` gives a new
holder its own. ``settle(callback)`` asks for the final value (for a remote result, that sends
the pull) and calls ``callback(ok, value_or_exception)`` once, possibly at once. Hook methods
never raise for an RPC failure: the failure comes back as an :class:`ErrorHook`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import RpcError, Text
from ..protocol import Path
from .context import ExecutionContext
from .targets import RESERVED_EVERYWHERE

__all__ = [
    "Capability",
    "ErrorHook",
    "Hook",
    "Origin",
    "PromiseHook",
    "Settled",
    "TargetHook",
    "ValueHook",
    "dispose_value",
    "hook_for",
    "pipeline_on_value",
    "release_target",
]

Settled = Callable[[bool, Any], None]
#: Who is calling, for the trace: (stub record id or None, where in user code or None).
Origin = tuple[int | None, tuple[str, int] | None] | None


class Capability:
    """Base of the user-facing stub and promise classes (see :mod:`.stubs`)."""

    __slots__ = ()

    def _capability_hook(self) -> Hook:  # pragma: no cover - overridden
        raise NotImplementedError

    def _transfer_hook(self) -> Hook:  # pragma: no cover - overridden
        raise NotImplementedError


class Hook:
    """Abstract capability. See the module docstring for the ownership rules."""

    __slots__ = ()

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        raise NotImplementedError

    def get(self, path: Path, origin: Origin = None) -> Hook:
        raise NotImplementedError

    def settle(self, callback: Settled) -> None:
        raise NotImplementedError

    def mark_sent(self) -> None:
        """The value this hook settled to was serialized to the peer (it owns it now)."""

    def dup(self) -> Hook:
        raise NotImplementedError

    def dispose(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__

    @property
    def worker(self) -> str | None:
        """The worker where calls on this hook are executed, if known."""
        return None


class ErrorHook(Hook):
    """A failed capability: every call and read on it fails with the same error."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return self

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return self

    def settle(self, callback: Settled) -> None:
        callback(False, self.error)

    def dup(self) -> Hook:
        return self

    def dispose(self) -> None:
        pass

    def describe(self) -> str:
        return f"error {self.error!r}"


class _Refs:
    """A reference count shared by the dups of one local hook."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 1


class TargetHook(Hook):
    """A local object. When the last dup of an exported target is disposed, the target's
    ``__dispose__`` runs, later (``disposer=False`` for main objects, which have none)."""

    __slots__ = ("target", "context", "reserved", "handler", "disposer", "_refs", "_disposed")

    def __init__(
        self,
        target: Any,
        context: ExecutionContext | None,
        *,
        reserved: frozenset[str] = RESERVED_EVERYWHERE,
        handler: bool = False,
        disposer: bool = True,
        _refs: _Refs | None = None,
    ) -> None:
        self.target = target
        self.context = context
        self.reserved = reserved
        self.handler = handler
        self.disposer = disposer
        self._refs = _refs or _Refs()
        self._disposed = False

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return _invoke.invoke(
            self.target, path, args, kwargs, False, self.context, self.reserved, self.handler
        )

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return _invoke.invoke(
            self.target, path, [], None, True, self.context, self.reserved, self.handler
        )

    def settle(self, callback: Settled) -> None:
        callback(True, self.target)

    def dup(self) -> Hook:
        self._refs.count += 1
        return TargetHook(
            self.target,
            self.context,
            reserved=self.reserved,
            handler=self.handler,
            disposer=self.disposer,
            _refs=self._refs,
        )

    def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        self._refs.count -= 1
        if self._refs.count == 0 and self.disposer:
            release_target(self.target, self.context)

    def describe(self) -> str:
        return _invoke.describe_target(self.target)

    @property
    def worker(self) -> str | None:
        return self.context.worker if self.context is not None else None


def release_target(target: Any, context: ExecutionContext | None) -> None:
    """One sending of ``target`` is over: run its ``__dispose__`` later, if it has one."""
    disposer = getattr(target, "__dispose__", None)
    if disposer is None or not callable(disposer):
        return
    if context is not None:
        context.world.schedule_disposer(target, disposer, context)
        return
    loop = asyncio.events._get_running_loop()
    if loop is None:
        _run_disposer(disposer)
    else:
        loop.call_soon(_run_disposer, disposer)


def _run_disposer(disposer: Callable[[], Any]) -> None:
    result = disposer()
    if inspect.isawaitable(result):
        asyncio.ensure_future(result)


class ValueHook(Hook):
    """A resolved local value. Pipelined paths traverse it. Disposing the last dup of a value
    that was never sent disposes the stubs inside it and, for a returned value (``owns``),
    releases the targets inside it, as if they had been sent and released."""

    __slots__ = ("value", "context", "owns", "_refs", "_disposed")

    def __init__(
        self, value: Any, context: ExecutionContext | None, owns: bool = False, _refs: _Refs | None = None
    ) -> None:
        self.value = value
        self.context = context
        self.owns = owns
        self._refs = _refs or _Refs()
        self._disposed = False

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return _invoke.invoke(self.value, path, args, kwargs, False, self.context, RESERVED_EVERYWHERE, False)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        if not path:
            return self.dup()
        return _invoke.invoke(self.value, path, [], None, True, self.context, RESERVED_EVERYWHERE, False)

    def settle(self, callback: Settled) -> None:
        callback(True, self.value)

    def mark_sent(self) -> None:
        self.owns = False

    def dup(self) -> Hook:
        self._refs.count += 1
        return ValueHook(self.value, self.context, self.owns, self._refs)

    def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        self._refs.count -= 1
        if self._refs.count == 0:
            dispose_value(self.value, self.context if self.owns else _NO_TARGETS)

    def describe(self) -> str:
        return f"value {type(self.value).__name__}"


class _Pending:
    """State shared by the dups of one :class:`PromiseHook`."""

    __slots__ = ("resolution", "waiters", "refs", "abandoned")

    def __init__(self) -> None:
        self.resolution: Hook | None = None
        self.waiters: list[Callable[[Hook], None]] = []
        self.refs = 1
        self.abandoned = False


class PromiseHook(Hook):
    """A local result that is still being computed; calls on it queue, in order."""

    __slots__ = ("_state", "_disposed", "context", "_task")

    def __init__(self, state: _Pending | None = None) -> None:
        self._state = state or _Pending()
        self._disposed = False
        self.context: ExecutionContext | None = None
        self._task: asyncio.Future[Any] | None = None

    @classmethod
    def running(cls, awaitable: Any, context: ExecutionContext | None) -> PromiseHook:
        """A hook for the result of ``awaitable``, run as a task in ``context``."""
        hook = cls()
        hook.context = context
        if context is not None and inspect.iscoroutine(awaitable):
            task = context.task(awaitable)
        else:
            loop = context.world.loop if context is not None else None
            task = asyncio.ensure_future(awaitable, loop=loop)
        hook._task = task
        if task.done():  # finished in its first (eager) step
            hook._task_done(task)
            return hook
        if context is not None:
            context.world._running[hook] = None
        task.add_done_callback(hook._task_done)
        return hook

    @property
    def finished(self) -> bool:
        return self._state.resolution is not None

    def fail(self, error: BaseException) -> None:
        """End the computation with ``error`` (its task is cancelled)."""
        task = self._task
        self.resolve(ErrorHook(error))
        if task is not None and not task.done():
            task.cancel()

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        context = self.context
        if context is not None:
            context.world._running.pop(self, None)
        if self._state.resolution is not None:
            return  # already failed (a hung request was ended)
        if task.cancelled():
            self.resolve(ErrorHook(RpcError("The request was canceled.")))
            return
        exc = task.exception()
        if exc is not None:
            self.resolve(ErrorHook(exc))
        else:
            self.resolve(hook_for(task.result(), context))

    def resolve(self, hook: Hook) -> None:
        """Settle this promise with ``hook`` (which may itself still be pending)."""
        state = self._state
        if state.resolution is not None:
            hook.dispose()
            return
        if isinstance(hook, PromiseHook) and hook._state.resolution is None:
            hook._state.waiters.append(self.resolve)
            return
        if isinstance(hook, PromiseHook):
            hook = hook._state.resolution  # type: ignore[assignment]
        state.resolution = hook
        waiters, state.waiters = state.waiters, []
        for waiter in waiters:
            waiter(hook)
        if state.abandoned:
            hook.dispose()

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        resolution = self._state.resolution
        if resolution is not None:
            return resolution.call(path, args, kwargs, origin)
        child = PromiseHook()
        self._state.waiters.append(lambda hook: child.resolve(hook.call(path, args, kwargs, origin)))
        return child

    def get(self, path: Path, origin: Origin = None) -> Hook:
        resolution = self._state.resolution
        if resolution is not None:
            return resolution.get(path, origin)
        child = PromiseHook()
        self._state.waiters.append(lambda hook: child.resolve(hook.get(path, origin)))
        return child

    def settle(self, callback: Settled) -> None:
        resolution = self._state.resolution
        if resolution is not None:
            resolution.settle(callback)
        else:
            self._state.waiters.append(lambda hook: hook.settle(callback))

    def mark_sent(self) -> None:
        if self._state.resolution is not None:
            self._state.resolution.mark_sent()

    def dup(self) -> Hook:
        self._state.refs += 1
        twin = PromiseHook(self._state)
        twin.context = self.context
        return twin

    def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        state = self._state
        state.refs -= 1
        if state.refs == 0:
            if state.resolution is not None:
                state.resolution.dispose()
            else:
                state.abandoned = True

    def describe(self) -> str:
        r = self._state.resolution
        return "pending result" if r is None else r.describe()


def pipeline_on_value(
    ok: bool,
    value: Any,
    path: Path,
    args: list[Any],
    kwargs: dict[str, Any] | None,
    is_get: bool,
    context: ExecutionContext | None,
) -> Hook:
    """A call on an already-resolved promise: to the stub it resolved to, into the object it
    resolved to, or a failure if it resolved to something that is not an object."""
    if not ok:
        return ErrorHook(value)
    if isinstance(value, Capability):
        hook = value._capability_hook()
        return hook.get(path) if is_get else hook.call(path, args, kwargs)
    if not _invoke.is_object(value):
        return ErrorHook(TypeError(Text.NOT_OBJECT))
    return _invoke.invoke(value, path, args, kwargs, is_get, context, RESERVED_EVERYWHERE, False)


def hook_for(result: Any, context: ExecutionContext | None) -> Hook:
    """The hook that stands for what user code returned."""
    if isinstance(result, Capability):
        if isinstance(result, _stubs().RpcStub):
            return ValueHook(result, context, owns=True)
        return result._transfer_hook()  # a returned promise: pipeline straight through it
    if inspect.isawaitable(result):
        return PromiseHook.running(result, context)
    return ValueHook(result, context, owns=True)


_NO_TARGETS: Any = object()


def dispose_value(value: Any, targets: Any = _NO_TARGETS) -> None:
    """Dispose every stub and promise inside ``value`` (dicts, lists, tuples, sets).

    With ``targets`` (the owning context, possibly None), RPC targets and functions inside it are
    released too: their ``__dispose__`` runs later.
    """
    if isinstance(value, Capability):
        _stubs().dispose(value)
    elif isinstance(value, dict):
        for item in value.values():
            dispose_value(item, targets)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            dispose_value(item, targets)
    elif targets is not _NO_TARGETS and (_invoke.is_class_target(value) or _invoke.is_function(value)):
        release_target(value, targets)


def _stubs() -> Any:
    from . import stubs

    return stubs


from . import invoke as _invoke  # noqa: E402  (invoke needs the hooks defined above)
