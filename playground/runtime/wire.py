"""The runtime's side of the codec: its value types on the wire, errors, and HTTP into ``fetch``.

* Service bindings and Durable Object stubs travel as references to what they bind.
* ``Request``, ``Response`` and ``Headers`` travel by value (bodies as bytes; streamed bodies
  with the streams).
* Errors thrown by a callee are sent as the compatibility mode says (enhanced: type, message,
  attributes; legacy: built-in types only, a custom class folded into the message), and arrive
  marked ``remote`` (and with ``durable_object_id`` from a Durable Object).
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import msgpack

from ..codec import Ext, encode_value, marker, pack_small
from ..errors import PlaygroundError, RemoteError, RpcError
from .bindings import ServiceHook, ServiceStub
from .context import current
from .durable import DurableObjectStub
from .hooks import ErrorHook, Hook, hook_for
from .http import Headers, Request, Response
from .invoke import class_member, handler_arguments

if TYPE_CHECKING:
    from .connection import Connection
    from .world import Playground

__all__ = ["Wire"]

_NOT_RESPONSE = "Incorrect type for Promise: the Promise did not resolve to 'Response'."


class Wire:
    """Encoding and decoding of the runtime's own types, for one playground."""

    def __init__(self, world: Playground) -> None:
        self._world = world

    # -- values ----------------------------------------------------------------------------------

    def encode_special(self, obj: object) -> object:
        if isinstance(obj, DurableObjectStub):
            # a Durable Object stub crosses as a plain stub to the object (it loses id and name)
            hook: Any = obj._hook
            return msgpack.ExtType(Ext.DURABLE_OBJECT, pack_small([*hook.key, hook.object_id.name]))
        if isinstance(obj, ServiceStub):
            service = obj._service
            return msgpack.ExtType(Ext.SERVICE, pack_small([service.service, service.entrypoint, service.props]))
        if isinstance(obj, Request):
            return [marker(Ext.REQUEST), obj.url, obj.method, obj.headers._pairs(), _body(obj)]
        if isinstance(obj, Response):
            return [marker(Ext.RESPONSE), obj.status, obj.status_text, obj.headers._pairs(), _body(obj)]
        if isinstance(obj, Headers):
            return [marker(Ext.HEADERS), obj._pairs()]
        return NotImplemented

    def decode_capability(self, connection: Connection, code: Ext, data: bytes) -> object:
        context = connection.context
        assert context is not None
        world = self._world
        if code is Ext.SERVICE:
            service, entrypoint, props = msgpack.unpackb(data)
            return ServiceStub(ServiceHook(world, context.worker, service, entrypoint, context, props))
        if code is Ext.DURABLE_OBJECT:
            from .durable import DurableObjectId

            worker, class_name, hex_id, name = msgpack.unpackb(data)
            key = (worker, class_name, hex_id)
            return ServiceStub(world.durable.hook(context, key, DurableObjectId(hex_id, name)))
        raise RpcError(f"cannot decode a {code.name.lower()} reference")

    def decode_marked(self, connection: Connection, code: Ext, items: list[Any]) -> object:
        if code is Ext.REQUEST:
            url, method, headers, body = items
            return Request(url, method=method, headers=headers, body=body)
        if code is Ext.RESPONSE:
            status, status_text, headers, body = items
            return Response(body, status=status, headers=headers, status_text=status_text)
        if code is Ext.HEADERS:
            return Headers(items[0])
        raise RpcError(f"cannot decode a {code.name.lower()} value")

    # -- errors ----------------------------------------------------------------------------------

    def encode_error(self, error: BaseException, connection: Connection) -> bytes:
        """An exception thrown by a callee, as the compatibility mode sends it."""
        if not self._world.compatibility.enhanced_errors:
            error = _legacy(error)
        try:
            return encode_value(error, None, limit=False)
        except Exception:
            return encode_value(RpcError(str(error)), None, limit=False)

    def decode_error(self, error: Any, connection: Connection) -> BaseException:
        """An exception that arrived from the other side: marked ``remote``."""
        if not isinstance(error, BaseException):
            error = RpcError(str(error))
        for name, value in (("remote", True), ("durable_object_id", connection.durable_id)):
            if value is None:
                continue
            try:
                setattr(error, name, value)
            except (AttributeError, TypeError):
                pass
        return error

    # -- HTTP into fetch -----------------------------------------------------------------------

    def serve_fetch(self, connection: Connection, target: Hook, values: list[Any]) -> Hook:
        """An HTTP request arrived for the main object of ``connection``."""
        context = connection.context
        request = values[0] if values else None
        if not isinstance(request, Request):
            return ErrorHook(TypeError("fetch() needs a Request"))
        obj = getattr(target, "target", None)
        if obj is None:
            return target  # the main object could not be made: its error
        args: list[Any] = [request]
        if getattr(target, "handler", False):
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
        finally:
            current.reset(token)
        if inspect.isawaitable(result):
            result = _expect_response(result)
        elif not isinstance(result, Response):
            return ErrorHook(TypeError(_NOT_RESPONSE))
        return hook_for(result, context)


def _legacy(error: BaseException) -> BaseException:
    """Legacy error serialization: built-in types keep type and message, lose attributes; other
    classes become an ``Error`` whose message starts with their name."""
    cls = type(error)
    if cls.__module__ == "builtins" and getattr(builtins, cls.__name__, None) is cls:
        try:
            return cls(*error.args)
        except Exception:
            return cls(str(error))
    if isinstance(error, PlaygroundError) and not isinstance(error, RemoteError):
        return error
    return RemoteError(f"{cls.__name__}: {error}", "Error")


async def _expect_response(awaitable: Awaitable[Any]) -> Response:
    result = await awaitable
    if not isinstance(result, Response):
        raise TypeError(_NOT_RESPONSE)
    return result


#: A body given as bytes up to this size travels inside its message; anything larger, or any
#: body given as a stream, is streamed (with flow control, outside the 32 MiB limit).
INLINE_BODY = 64 * 1024


def _body(message: Request | Response) -> Any:
    if message._stream is not None or (message._body is not None and len(message._body) > INLINE_BODY):
        return message.body  # a ReadableStream: the exporter streams it
    return message._body

