"""Local hooks: objects, values and results that live in this worker (see :mod:`.contract`).

============== ==========================================================================
hook           what it stands for
============== ==========================================================================
TargetHook     a local object: an RpcTarget, a function, an entrypoint or Durable Object
ValueHook      a resolved local value (the result of a call), traversed by pipelined paths
PromiseHook    a local result still being computed (an ``async`` method running)
ErrorHook      a failure: every call on it fails the same way (in :mod:`.contract`)
============== ==========================================================================

Hooks for what lives on the other side of a session are in :mod:`.remote`; the writable end of
a stream is in :mod:`.flow`; main objects of Durable Objects in :mod:`.durable`.

Calling into user code (:func:`invoke`, :func:`call_in_context`) happens here: a path is
evaluated with the visibility rules of :mod:`.invoke`, the method is called with its execution
context current, and what it returned becomes a hook (:func:`hook_for`).

Dups of one local hook share a reference count, made only when the first dup is; the last
holder to dispose releases the target (its ``__dispose__`` runs, later) or the value.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from inspect import CO_ITERABLE_COROUTINE
from types import CoroutineType, GeneratorType
from typing import Any

from ..codec import SCALARS, unserializable
from ..errors import RpcError, Text
from ..protocol import Path
from .contract import Capability, ErrorHook, Gone, Hook, Origin, Settled
from .context import ExecutionContext, current, interrupted, run_limited
from .http import Response
from .invoke import class_member, handler_arguments, handler_call_arguments, missing, step
from .targets import (
    RESERVED_EVERYWHERE,
    DurableObject,
    RpcTarget,
    WorkerEntrypoint,
    describe_target,
    is_class_target,
    is_entrypoint,
    is_function,
    is_object,
)

__all__ = [
    "PromiseHook",
    "TargetHook",
    "ValueHook",
    "call_in_context",
    "dispose_value",
    "hook_for",
    "invoke",
    "pipeline_on_value",
    "release_target",
]

#: Callable, yet "not a function" to a call on a path: targets (and plain containers).
_NOT_CALLABLE = (RpcTarget, WorkerEntrypoint, DurableObject, dict, list, tuple)
_CLASS_TARGETS = (RpcTarget, WorkerEntrypoint, DurableObject)


class _Refs:
    """A reference count shared by the dups of one local hook."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


class TargetHook(Hook):
    """A local object. When the last dup of an exported target is disposed, the target's
    ``__dispose__`` runs, later (``disposer=False`` for main objects, which have none)."""

    __slots__ = ("target", "context", "reserved", "handler", "disposer", "_refs", "_disposed", "_members")

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
        self._refs = _refs
        self._disposed = False
        self._members = not handler and is_class_target(target)  # only class members are reachable

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        if self._members and len(path) == 1:  # the common case: a method of an RpcTarget
            return _call_member(self.target, path[0], self.reserved, args, kwargs, self.context)
        return invoke(self.target, path, args, kwargs, False, self.context, self.reserved, self.handler)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return invoke(self.target, path, [], None, True, self.context, self.reserved, self.handler)

    def settle(self, callback: Settled) -> None:
        callback(True, self.target)

    def fetch(self, request: Any) -> Hook:
        """Call the object's ``fetch`` handler with ``request``; the hook of its Response."""
        obj = self.target
        context = self.context
        args: list[Any] = [request]
        fetch: Any
        if self.handler:
            fetch = getattr(obj, "fetch", None)
            if fetch is not None:
                args = handler_arguments(fetch, request, context)
        else:
            try:
                fetch = class_member(obj, "fetch")
            except Exception:
                fetch = None
        if fetch is None:
            return ErrorHook(TypeError("Handler does not export a fetch() function."))
        token = current.set(context)
        try:
            result = fetch(*args)
        except Exception as exc:
            return ErrorHook(exc)
        except KeyboardInterrupt as exc:
            return ErrorHook(interrupted(exc))
        finally:
            current.reset(token)
        if inspect.isawaitable(result):
            result = _expect_response(result)
        elif not isinstance(result, Response):
            return ErrorHook(TypeError(_NOT_RESPONSE))
        return hook_for(result, context)

    def dup(self) -> Hook:
        refs = self._refs
        if refs is None:
            refs = self._refs = _Refs(2)
        else:
            refs.count += 1
        return TargetHook(
            self.target, self.context, reserved=self.reserved, handler=self.handler, disposer=self.disposer, _refs=refs
        )

    def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        refs = self._refs
        if refs is not None:
            refs.count -= 1
            if refs.count:
                return
        if self.disposer:
            release_target(self.target, self.context)

    def describe(self) -> str:
        return describe_target(self.target)

    @property
    def worker(self) -> str | None:
        return self.context.worker if self.context is not None else None


_NOT_RESPONSE = "Incorrect type for Promise: the Promise did not resolve to 'Response'."


async def _expect_response(awaitable: Awaitable[Any]) -> Response:
    result = await awaitable
    if not isinstance(result, Response):
        raise TypeError(_NOT_RESPONSE)
    return result


def release_target(target: Any, context: ExecutionContext | None) -> None:
    """One sending of ``target`` is over: run its ``__dispose__`` later, if it has one."""
    disposer = getattr(target, "__dispose__", None)
    if disposer is None or not callable(disposer):
        return
    if context is not None:
        context.schedule_disposer(target, disposer)
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
        self._refs = _refs
        self._disposed = False

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        value = self.value
        if len(path) == 1 and isinstance(value, _CLASS_TARGETS):  # a pipelined call on a target
            return _call_member(value, path[0], RESERVED_EVERYWHERE, args, kwargs, self.context)
        return invoke(value, path, args, kwargs, False, self.context, RESERVED_EVERYWHERE, False)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        if not path:
            return self.dup()
        return invoke(self.value, path, [], None, True, self.context, RESERVED_EVERYWHERE, False)

    def settle(self, callback: Settled) -> None:
        callback(True, self.value)

    def mark_sent(self) -> None:
        self.owns = False

    def dup(self) -> Hook:
        refs = self._refs
        if refs is None:
            refs = self._refs = _Refs(2)
        else:
            refs.count += 1
        return ValueHook(self.value, self.context, self.owns, refs)

    def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        refs = self._refs
        if refs is not None:
            refs.count -= 1
            if refs.count:
                return
        value = self.value
        if type(value) in SCALARS:
            return
        dispose_value(value, self.context if self.owns else _NO_TARGETS)

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
            loop = context.runtime.loop if context is not None else None
            task = asyncio.ensure_future(awaitable, loop=loop)
        hook._task = task
        if task.done():  # finished in its first (eager) step
            hook._task_done(task)
            return hook
        if context is not None:
            context.runtime.running[hook] = None
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
            context.runtime.running.pop(self, None)
        if self._state.resolution is not None:
            return  # already failed (a hung request was ended)
        if task.cancelled():
            self.resolve(ErrorHook(RpcError("The request was canceled.")))
            return
        exc = task.exception()
        if isinstance(exc, KeyboardInterrupt):  # (the loop hands it on to its driver)
            self.resolve(ErrorHook(RpcError(f"The call was interrupted ({type(exc).__name__}).")))
        elif exc is not None:
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


# -- calling into user code ---------------------------------------------------------------------


def _call_member(
    target: Any, name: Any, reserved: frozenset[str], args: list[Any], kwargs: dict[str, Any] | None,
    context: ExecutionContext | None,
) -> Hook:
    """``target.name(*args)`` for a class-based target: :func:`invoke` for a path of one name,
    written out (nearly every call is one)."""
    if type(name) is not str or name[:1] == "_" or name in reserved:
        return invoke(target, (name,), args, kwargs, False, context, reserved, False)
    try:
        fn = class_member(target, name)
    except LookupError:
        return ErrorHook(missing(target, name, reserved, False))
    except Exception as exc:  # a property getter that raised
        return ErrorHook(exc)
    except KeyboardInterrupt as exc:
        return ErrorHook(interrupted(exc))
    if isinstance(fn, Capability):  # a stub as a member: the call goes there
        return _forward(fn, (), args, kwargs, False)
    if not callable(fn) or isinstance(fn, _NOT_CALLABLE):
        return ErrorHook(TypeError(Text.not_a_function(name)))
    return call_in_context(fn, args, kwargs, context)


def invoke(
    target: Any,
    path: Path,
    args: list[Any],
    kwargs: dict[str, Any] | None,
    is_get: bool,
    context: ExecutionContext | None,
    reserved: frozenset[str],
    handler: bool,
) -> Hook:
    """Evaluate ``path`` on ``target`` and call it (or read it, ``is_get``); never raises."""
    value = target
    last = len(path) - 1
    try:
        for i, name in enumerate(path):
            if isinstance(value, Capability):  # a stub inside a value: the rest goes there
                return _forward(value, path[i:], args, kwargs, is_get)
            value = step(value, name, reserved, handler and i == 0)
            if i < last and not is_object(value):  # nothing further can be reached in it
                raise TypeError(Text.not_implemented(name))
        if is_get:
            return hook_for(value, context)
        if isinstance(value, Capability):
            return _forward(value, (), args, kwargs, is_get)
        if not callable(value) or is_class_target(value) or isinstance(value, (dict, list, tuple)):
            raise TypeError(Text.not_a_function(".".join(map(str, path)) or "(this)"))
        if handler and len(path) == 1:
            args, kwargs = handler_call_arguments(value, str(path[0]), args, kwargs, context)
    except Exception as exc:  # a TypeError of the rules, or a property getter that raised
        return ErrorHook(exc)
    except KeyboardInterrupt as exc:
        return ErrorHook(interrupted(exc))
    return call_in_context(value, args, kwargs, context)


def call_in_context(fn: Any, args: list[Any], kwargs: dict[str, Any] | None, context: ExecutionContext | None) -> Hook:
    """Call user code with ``context`` current; its result or exception as a hook."""
    token = current.set(context)
    try:
        if context is not None and context.cpu_limit is not None:
            result = run_limited(context, _apply, fn, args, kwargs)
        else:
            result = fn(*args, **kwargs) if kwargs else fn(*args)
    except Exception as exc:
        return ErrorHook(exc)
    except KeyboardInterrupt as exc:  # Ctrl-C in user code: this call fails, the loop raises it
        return ErrorHook(interrupted(exc))
    finally:
        current.reset(token)
    if type(result) in SCALARS:
        return ValueHook(result, context, True)
    try:
        return hook_for(result, context)
    except KeyboardInterrupt as exc:  # in the first step of an async method (run eagerly)
        return ErrorHook(interrupted(exc))


def _apply(fn: Any, args: list[Any], kwargs: dict[str, Any] | None) -> Any:
    return fn(*args, **kwargs) if kwargs else fn(*args)


def _forward(value: Capability, rest: Path, args: list[Any], kwargs: dict[str, Any] | None, is_get: bool) -> Hook:
    hook = value._capability_hook()
    return hook.get(rest) if is_get else hook.call(rest, args, kwargs)


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
    if not is_object(value):
        return ErrorHook(TypeError(Text.NOT_OBJECT))
    return invoke(value, path, args, kwargs, is_get, context, RESERVED_EVERYWHERE, False)


def hook_for(result: Any, context: ExecutionContext | None) -> Hook:
    """The hook that stands for what user code returned."""
    if isinstance(result, Capability):
        if not result._IS_PROMISE:
            return ValueHook(result, context, True)
        return result._transfer_hook()  # a returned promise: pipeline straight through it
    if _awaitable(result):
        return PromiseHook.running(result, context)
    if is_entrypoint(result):  # ``return self``: it cannot be sent, so nothing pipelines on it
        return ErrorHook(unserializable(result, "entrypoint"))
    return ValueHook(result, context, True)


def _awaitable(value: Any) -> bool:
    """``inspect.isawaitable``, asking the type first (a target or a value is not awaitable)."""
    kind = type(value)
    if kind is CoroutineType:
        return True
    if kind is GeneratorType:
        return bool(value.gi_code.co_flags & CO_ITERABLE_COROUTINE)
    return getattr(kind, "__await__", None) is not None


_NO_TARGETS: Any = object()


def dispose_value(value: Any, targets: Any = _NO_TARGETS, *, gone: Gone | None = None) -> None:
    """Dispose every stub and promise inside ``value`` (dicts, lists, tuples, sets).

    With ``targets`` (the owning context, possibly None), RPC targets and functions inside it are
    released too: their ``__dispose__`` runs later. The walk is iterative and visits each
    container once, so data of any depth, or data that contains itself, is walked safely.
    ``gone`` (how and where, for the error if one is used after) goes to each stub disposed.
    """
    kind = type(value)
    if kind in SCALARS:
        return
    pending = [value]
    seen: set[int] | None = None
    while pending:
        value = pending.pop()
        if isinstance(value, Capability):
            value._dispose("disposed", gone)
        elif isinstance(value, (dict, list, tuple, set, frozenset)):
            if seen is None:
                seen = set()
            elif id(value) in seen:
                continue
            seen.add(id(value))
            items = value.values() if isinstance(value, dict) else value
            pending.extend(reversed([item for item in items if type(item) not in SCALARS]))  # (in order)
        elif targets is not _NO_TARGETS and (is_class_target(value) or is_function(value)):
            release_target(value, targets)
