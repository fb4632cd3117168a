"""The classes users extend: ``WorkerEntrypoint``, ``RpcTarget``, ``DurableObject``."""

from __future__ import annotations

from typing import Any

__all__ = ["DurableObject", "RpcTarget", "WorkerEntrypoint"]


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
