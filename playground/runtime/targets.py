"""The classes users extend (``WorkerEntrypoint``, ``RpcTarget``, ``DurableObject``) and what
crosses RPC by reference: class-based targets and functions."""

from __future__ import annotations

import functools
import types
from typing import Any

from .contract import Capability

__all__ = [
    "DurableObject",
    "RpcTarget",
    "WorkerEntrypoint",
    "describe_target",
    "is_class_target",
    "is_entrypoint",
    "is_function",
    "is_object",
]


class RpcTarget:
    """Instances cross RPC by reference: the receiver gets a stub whose calls come back here.

    Class members (methods, properties, class attributes) are reachable through the stub;
    instance attributes and names starting with ``_`` are not. Define ``__dispose__(self)``
    (plain or ``async``) to be told, asynchronously, when the last stub to one sending of this
    object has been released — once per time the object was sent.
    """

    __slots__ = ()


class WorkerEntrypoint:
    """A worker's entrypoint: its public methods can be called through a service binding.

    A new instance is created for every top-level call, with ``self.env`` (the worker's
    bindings) and ``self.ctx`` (``wait_until(awaitable)`` extends the call's execution context
    past its return). ``fetch``, ``connect``, ``alarm`` and the web-socket handlers are reserved:
    they cannot be called over RPC. ``env`` and ``ctx`` are instance attributes, so the other
    side can never reach them.
    """

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """A Durable Object class: one instance per id, state kept across calls.

    ``self.ctx`` is the object's state (``id``, ``storage``), ``self.env`` the bindings of the
    worker that exports the class. Calls to one object are delivered one at a time, in order.
    """

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


#: Class-member lookup stops at these: their own members are the runtime's, not the user's.
FRAMEWORK_BASES: frozenset[type] = frozenset({object, RpcTarget, WorkerEntrypoint, DurableObject})

#: Names reserved on every target.
RESERVED_EVERYWHERE = frozenset({"dup"})
#: Names reserved on top-level entrypoints and Durable Objects (JS names and Python spellings).
RESERVED_ON_ENTRYPOINTS = RESERVED_EVERYWHERE | frozenset(
    {
        "fetch",
        "connect",
        "alarm",
        "webSocketMessage",
        "webSocketClose",
        "webSocketError",
        "web_socket_message",
        "web_socket_close",
        "web_socket_error",
    }
)


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
    """An ``RpcTarget``, ``WorkerEntrypoint`` or ``DurableObject`` instance."""
    return isinstance(value, _CLASS_TARGETS)


def is_entrypoint(value: Any) -> bool:
    """A ``WorkerEntrypoint`` or ``DurableObject`` instance (not an ``RpcTarget``): it serves
    its worker's binding, and cannot itself be sent over RPC (``return self`` is refused)."""
    return isinstance(value, (WorkerEntrypoint, DurableObject)) and not isinstance(value, RpcTarget)


def is_object(value: Any) -> bool:
    """Something a pipelined path can go into."""
    return isinstance(value, (dict, list, tuple, Capability)) or is_class_target(value) or is_function(value)


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
