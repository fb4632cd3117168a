"""Running a call on a local object: what is reachable, and calling it in its context.

Visibility follows the Workers runtime, in Python terms:

* On a class-based target (an ``RpcTarget``, a ``WorkerEntrypoint``, a ``DurableObject``) only
  class members are reachable: methods, properties, class attributes. Instance attributes —
  ``self.env`` and ``self.ctx`` among them — are not, and neither is any name starting with
  ``_`` (Python's counterpart of JavaScript's ``#private``; a deliberate difference, since the
  real runtime, having ``#``, exposes ``_names``).
* On a function, its own attributes (``f.__dict__``) are reachable, and it can be called.
* On a plain dict (a returned value pipelined into), its keys; on a list or tuple, indexes.
* Every segment of a path is checked against the reserved names of the target it starts from.

Each failure uses the runtime's exact text: ``does not implement the method``, ``is not a
function``, ``is a reserved method``.
"""

from __future__ import annotations

import functools
import inspect
import types
from typing import Any

from ..errors import Text
from ..protocol import Path
from .context import ExecutionContext, current
from .hooks import Capability, ErrorHook, Hook, hook_for
from .targets import FRAMEWORK_BASES, DurableObject, RpcTarget, WorkerEntrypoint

__all__ = ["describe_target", "invoke", "is_class_target", "is_function", "is_object"]

_FUNCTION_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.BuiltinMethodType,
    functools.partial,
    type,
)
_CLASS_TARGETS = (RpcTarget, WorkerEntrypoint, DurableObject)


def is_function(value: Any) -> bool:
    """Crosses RPC as a callable stub: functions, lambdas, bound methods, partials, classes."""
    return isinstance(value, _FUNCTION_TYPES) and not isinstance(value, Capability)


def is_class_target(value: Any) -> bool:
    return isinstance(value, _CLASS_TARGETS)


def is_object(value: Any) -> bool:
    """Something a pipelined path can go into."""
    return isinstance(value, (dict, list, tuple, Capability)) or is_class_target(value) or is_function(value)


class _NotFound(Exception):
    pass


def class_member(obj: Any, name: str) -> Any:
    """``obj.name`` looked up among class members only (instance attributes never count)."""
    for klass in type(obj).__mro__:
        if klass in FRAMEWORK_BASES:
            continue
        attr = klass.__dict__.get(name, _MISSING)
        if attr is _MISSING:
            continue
        getter = getattr(type(attr), "__get__", None)
        return getter(attr, obj, type(obj)) if getter is not None else attr
    raise _NotFound


_MISSING = object()


def _step(value: Any, name: str | int, reserved: frozenset[str], handler: bool) -> Any:
    if type(name) is str and name in reserved:
        raise TypeError(Text.reserved(name))
    if isinstance(value, dict):
        try:
            return value[name]
        except (KeyError, TypeError):
            raise TypeError(Text.not_implemented(name)) from None
    if isinstance(value, (list, tuple)) and type(name) is int:
        try:
            return value[name]
        except IndexError:
            raise TypeError(Text.not_implemented(name)) from None
    if type(name) is not str or name.startswith("_"):
        raise TypeError(Text.not_implemented(name))
    if handler:
        try:
            return getattr(value, name)
        except AttributeError:
            raise TypeError(Text.not_implemented(name)) from None
    if is_class_target(value):
        try:
            return class_member(value, name)
        except _NotFound:
            raise TypeError(Text.not_implemented(name)) from None
    if is_function(value):
        own = getattr(value, "__dict__", None) or {}
        if name in own:
            return own[name]
    raise TypeError(Text.not_implemented(name))


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
            value = _step(value, name, reserved, handler and i == 0)
            if i < last and not is_object(value):  # nothing further can be reached in it
                raise TypeError(Text.not_implemented(name))
        if is_get:
            return hook_for(value, context)
        if isinstance(value, Capability):
            return _forward(value, (), args, kwargs, is_get)
        if not callable(value) or is_class_target(value) or isinstance(value, (dict, list, tuple)):
            raise TypeError(Text.not_a_function(".".join(map(str, path)) or "(this)"))
        if handler and len(path) == 1:
            args, kwargs = _handler_arguments(value, str(path[0]), args, kwargs, context)
    except TypeError as exc:
        return ErrorHook(exc)
    except Exception as exc:  # a property getter that raised
        return ErrorHook(exc)
    return call_in_context(value, args, kwargs, context)


def call_in_context(fn: Any, args: list[Any], kwargs: dict[str, Any] | None, context: ExecutionContext | None) -> Hook:
    """Call user code with ``context`` current; its result or exception as a hook."""
    token = current.set(context)
    try:
        result = fn(*args, **kwargs) if kwargs else fn(*args)
    except Exception as exc:
        return ErrorHook(exc)
    finally:
        current.reset(token)
    return hook_for(result, context)  # (KeyboardInterrupt and SystemExit propagate)


def _forward(value: Capability, rest: Path, args: list[Any], kwargs: dict[str, Any] | None, is_get: bool) -> Hook:
    hook = value._capability_hook()
    return hook.get(rest) if is_get else hook.call(rest, args, kwargs)


def _handler_arguments(
    fn: Any, name: str, args: list[Any], kwargs: dict[str, Any] | None, context: ExecutionContext | None
) -> tuple[list[Any], dict[str, Any] | None]:
    """Plain-object handlers take ``(arg, env, ctx)``: exactly one argument from the client."""
    if _positional_arity(fn) > 3:
        raise TypeError(Text.handler_arity(name))
    if len(args) != 1 or kwargs:
        raise TypeError(Text.handler_args(name))
    return handler_arguments(fn, args[0], context), None


def handler_arguments(fn: Any, arg: Any, context: ExecutionContext | None) -> list[Any]:
    """``[arg, env, ctx]``, cut to what a plain handler's method takes (at least ``arg``)."""
    env = context.env if context is not None else None
    ctx = context.api if context is not None else None
    return [arg, env, ctx][: max(_positional_arity(fn), 1)]


def _positional_arity(fn: Any) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    return sum(1 for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def describe_target(target: Any) -> str:
    """A short description for traces: ``Counter (RpcTarget)``, ``function new_counter``."""
    if is_function(target):
        name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
        return f"function {name}" if name else "function"
    if isinstance(target, RpcTarget):
        return f"{type(target).__name__} (RpcTarget)"
    if isinstance(target, WorkerEntrypoint):
        return f"{type(target).__name__} (entrypoint)"
    if isinstance(target, DurableObject):
        return f"{type(target).__name__} (Durable Object)"
    return type(target).__name__
