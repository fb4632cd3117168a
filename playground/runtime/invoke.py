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
function``, ``is a reserved method``. After ``does not implement the method "ad"`` comes the
playground's help (:func:`missing`): the closest name the target has and the names it has —
``Did you mean `add`? Calculator (RpcTarget) has the methods: add, sub.`` — worked out here, in
the callee, only when a call fails. The rules here are pure: they read objects and raise
``TypeError``; :mod:`.hooks` turns their outcome into hooks.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..errors import Help, Text
from .targets import FRAMEWORK_BASES, describe_target, is_class_target, is_function

__all__ = ["class_member", "handler_arguments", "handler_call_arguments", "missing", "step"]


class _NotFound(LookupError):
    pass


def class_member(obj: Any, name: str) -> Any:
    """``obj.name`` looked up among class members only (instance attributes never count);
    raises :class:`LookupError` if there is none."""
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


def step(value: Any, name: str | int, reserved: frozenset[str], handler: bool) -> Any:
    """One segment of a path: ``value[name]`` or ``value.name``, as RPC may reach it."""
    if type(name) is str and name in reserved:
        raise TypeError(Text.reserved(name))
    if isinstance(value, dict):
        try:
            return value[name]
        except (KeyError, TypeError):
            raise missing(value, name, reserved, handler) from None
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
            raise missing(value, name, reserved, handler) from None
    if is_class_target(value):
        try:
            return class_member(value, name)
        except _NotFound:
            raise missing(value, name, reserved, handler) from None
    if is_function(value):
        own = getattr(value, "__dict__", None) or {}
        if name in own:
            return own[name]
    raise missing(value, name, reserved, handler)


def missing(value: Any, name: object, reserved: frozenset[str], handler: bool) -> TypeError:
    """``value`` has nothing RPC can reach by ``name``: the runtime's text, then — for a name
    that could have been a member — the closest name ``value`` has, and its names."""
    text = Text.not_implemented(name)
    if type(name) is not str or name.startswith("_"):
        return TypeError(text)
    if isinstance(value, dict):
        owner, groups = "The dict", [("keys", [k for k in value if type(k) is str])]
    elif handler:
        owner, groups = _handler_name(value), [("methods", _handler_methods(value, reserved))]
    elif is_class_target(value):
        owner, groups = describe_target(value), _class_members(value, reserved)
        if name in (getattr(value, "__dict__", None) or ()):  # (set on self: not a class member)
            return TypeError(f"{text} {Help.instance_attribute(name, owner, groups)}")
    elif is_function(value):
        own = getattr(value, "__dict__", None) or {}
        owner, groups = f"The {describe_target(value)}", [("attributes", [k for k in own if k[:1] != "_"])]
    else:
        return TypeError(text)
    return TypeError(f"{text} {Help.did_you_mean(name, owner, groups)}")


def _class_members(obj: Any, reserved: frozenset[str]) -> list[tuple[str, list[str]]]:
    """What RPC reaches on a class-based target (see :func:`class_member`): its methods, and its
    properties (class attributes among them)."""
    methods: list[str] = []
    others: list[str] = []
    seen: set[str] = set()
    for klass in type(obj).__mro__:
        if klass in FRAMEWORK_BASES:
            continue
        for key, attr in klass.__dict__.items():
            if key[:1] == "_" or key in reserved or key in seen:
                continue
            seen.add(key)
            (methods if callable(attr) else others).append(key)
    return [("methods", methods), ("properties", others)]


def _handler_methods(obj: Any, reserved: frozenset[str]) -> list[str]:
    """The public callables of a plain handler object (or of a module given as ``main``)."""
    names = []
    for key in dir(obj):
        if key[:1] == "_" or key in reserved:
            continue
        try:
            attr = inspect.getattr_static(obj, key)
        except AttributeError:
            attr = getattr(obj, key, None)  # (a module's function, through ModuleMain)
        if callable(attr):
            names.append(key)
    return names


def _handler_name(obj: Any) -> str:
    """``<module 'calc'>`` for a module given as ``main`` (its own repr), else the class name."""
    return repr(obj) if type(obj).__repr__ is not object.__repr__ else type(obj).__name__


def handler_call_arguments(
    fn: Any, name: str, args: list[Any], kwargs: dict[str, Any] | None, context: Any
) -> tuple[list[Any], dict[str, Any] | None]:
    """Plain-object handlers take ``(arg, env, ctx)``: exactly one argument from the client."""
    if _positional_arity(fn) > 3:
        raise TypeError(Text.handler_arity(name))
    if len(args) != 1 or kwargs:
        raise TypeError(Text.handler_args(name))
    return handler_arguments(fn, args[0], context), None


def handler_arguments(fn: Any, arg: Any, context: Any) -> list[Any]:
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
