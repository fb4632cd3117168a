"""Capabilities inside payloads: what a connection exports when it sends, imports when it receives.

Sending (``Exporter``): an ``RpcTarget`` or a function becomes a new export (one per sending, so
its ``__dispose__`` runs once per sending); a stub becomes an export of a dup of its hook — or,
when it points back at the peer, a reference to the peer's own export; a promise (an
``RpcPromise`` or ``RpcProperty``), in the arguments or inside a result, is refused with a
``DataCloneError`` before anything is sent, as in workerd. Whose copy is disposed follows the
runtime: stubs in a result (and, in ``rpc_params_transfer_stubs`` mode, in parameters) move
with the message; otherwise the sender keeps its own. ``Request``, ``Response`` and ``Headers``
cross by value; a binding (a service or Durable Object stub) as a reference to what it binds.

Receiving (``Importer``): references become stubs and promises owned by the connection's
context; those received as a call's parameters are collected so they can be disposed when the
call is over.

Errors (:func:`encode_error`, :func:`mark_remote`): a callee's exception is sent as the
compatibility mode says (enhanced: type, message, attributes; legacy: built-in types only, a
custom class folded into the message), and arrives marked ``remote`` (and with
``durable_object_id`` from a Durable Object).

Both sides reach their connection through :class:`MarshalEndpoint`, and what only the layers
above know (how a binding reference becomes a stub) through :class:`BindingCodec`.
"""

from __future__ import annotations

import builtins
import copy
from typing import Any, Protocol

import msgpack

from ..codec import Ext, encode_value, marker, pack_small, unserializable
from ..codec.values import MAX_CAUSES
from ..errors import DataCloneError, PlaygroundError, ProtocolError, RemoteError, RpcError, Text
from ..protocol import Session
from .contract import Capability, ErrorHook, Hook
from .context import ExecutionContext
from .shared import Runtime
from .flow import RemoteWriter, WritableHook, pump
from .hooks import TargetHook
from .http import Headers, Request, Response
from .remote import QuestionHook, RemoteHook
from .streams import Pipe, ReadableStream, WritableStream, adopt
from .stubs import RpcPromise, RpcProperty, RpcStub
from .targets import is_class_target, is_entrypoint, is_function

__all__ = [
    "INLINE_BODY",
    "BindingCodec",
    "Exporter",
    "Importer",
    "MarshalEndpoint",
    "StreamState",
    "encode_error",
    "mark_remote",
]


class StreamState:
    """One connection's streams: acks it waits for, stream pushes it answers (their acks do not
    count as round trips), pipes made for readables not yet claimed, writers and readers."""

    __slots__ = ("waiters", "answers", "pipes", "writers", "readers")

    def __init__(self) -> None:
        self.waiters: dict[int, Any] = {}
        self.answers: set[int] = set()
        self.pipes: dict[int, Pipe] = {}
        self.writers: set[RemoteWriter] = set()
        self.readers: set[Pipe] = set()


class BindingCodec(Protocol):
    """How binding references that arrive become stubs (implemented above, in :mod:`.env`)."""

    def decode_binding(self, connection: MarshalEndpoint, code: Ext, data: bytes) -> object:
        """The stub for a ``SERVICE`` or ``DURABLE_OBJECT`` reference."""


class MarshalEndpoint(Protocol):
    """One end of a session, as the exporter and importer see it (see :mod:`.connection`)."""

    runtime: Runtime
    session: Session
    context: ExecutionContext | None
    worker: str
    peer_worker: str
    session_id: int
    broken: BaseException | None
    peer: Any
    questions: dict[int, QuestionHook]
    bindings: BindingCodec
    capnweb: bool  # a session with a real Cap'n Web peer (its rules where they differ)

    def streams(self) -> StreamState: ...

    def end_of(self, session_id: int) -> MarshalEndpoint | None: ...

    def grant(self, code: Ext, data: bytes) -> int: ...

    def revoke(self, token: int) -> None: ...

    def redeem(self, code: Ext, token: int) -> bytes: ...


class Exporter:
    """Turns capabilities inside a payload into exports of one connection."""

    __slots__ = ("connection", "params", "exported", "transfers", "streams", "grants", "targets")

    def __init__(self, connection: MarshalEndpoint, params: bool) -> None:
        self.connection = connection
        self.params = params
        self.exported: list[int] | None = None
        self.transfers: list[Capability] | None = None
        self.streams: list[tuple[Any, Any, int | None]] | None = None  # (stream, source or sink, pipe id)
        self.grants: list[int] | None = None  # grants made for the receiver (taken back on rollback)
        #: targets exported by this message, by id (with the target, kept alive): one sent
        #: twice in one message is one export, and arrives as one stub
        self.targets: dict[int, tuple[object, msgpack.ExtType]] | None = None

    def _grant(self, code: Ext, data: bytes, shown: list[Any]) -> msgpack.ExtType:
        """A capability the runtime grants the receiver (a binding, a handoff): what it is stays
        on this side, in the receiving end's grant table; the wire carries a token only that
        end can redeem (and, after it, ``shown``: what the trace displays)."""
        receiver = self.connection.peer
        if receiver is None:
            raise DataCloneError(Text.cannot_serialize(_CAPABILITY_NAMES.get(code, code.name)))
        token = receiver.grant(code, data)
        if self.grants is None:
            self.grants = []
        self.grants.append(token)
        return msgpack.ExtType(code, pack_small([token, *shown]))

    def _export(self, hook: Hook, code: Ext, *, promise: bool = False) -> msgpack.ExtType:
        export_id = self.connection.session.export(hook, promise=promise)
        if self.exported is None:
            self.exported = []
        self.exported.append(export_id)
        return msgpack.ExtType(code, pack_small(export_id))

    def _transfer(self, capability: Capability) -> None:
        if self.transfers is None:
            self.transfers = []
        self.transfers.append(capability)

    def encode_special(self, obj: object) -> object:
        if is_entrypoint(obj):  # (``return self`` from an entrypoint: refused, as in workerd)
            raise unserializable(obj, "entrypoint")
        if isinstance(obj, Capability):
            return self._capability(obj)
        if isinstance(obj, (ReadableStream, WritableStream)):
            return self._stream(obj)
        connection = self.connection
        if is_class_target(obj) or is_function(obj):
            targets = self.targets
            if targets is None:
                targets = self.targets = {}
            else:
                known = targets.get(id(obj))
                if known is not None:
                    return known[1]
            target = obj
            if self.params and not connection.runtime.transfer_params:
                target = _dup_target(obj)
            ext = self._export(TargetHook(target, connection.context), Ext.EXPORT)
            targets[id(obj)] = (obj, ext)
            return ext
        if isinstance(obj, Request):
            return [marker(Ext.REQUEST), obj.url, obj.method, obj.headers._pairs(), _body(obj)]
        if isinstance(obj, Response):
            return [marker(Ext.RESPONSE), obj.status, obj.status_text, obj.headers._pairs(), _body(obj)]
        if isinstance(obj, Headers):
            return [marker(Ext.HEADERS), obj._pairs()]
        return NotImplemented

    def _capability(self, obj: Capability) -> object:
        if not isinstance(obj, RpcStub):
            if self.connection.capnweb:
                return self._promise(obj)  # type: ignore[arg-type]
            # An RpcPromise or RpcProperty is refused wherever it is, settled or not, before
            # anything is sent (as in workerd): await it and pass its value or the stub.
            name = "RpcProperty" if isinstance(obj, RpcProperty) else "RpcPromise"
            raise DataCloneError(Text.cannot_serialize(name))
        connection = self.connection
        home = obj._ctx  # the context of the stub
        if home is not None and home.runtime is not connection.runtime:
            raise DataCloneError(OTHER_PLAYGROUND)
        transfer = not self.params or connection.runtime.transfer_params
        hook = obj._hook
        if hook is None:
            raise obj._disposed_error()
        if (type(hook) is RemoteHook or isinstance(hook, RemoteHook)) and hook.connection is connection:
            # (a subclass too: a real peer's main object, captured by a .map(), goes back as its own)
            if transfer:
                self._transfer(obj)
            return msgpack.ExtType(Ext.IMPORT, pack_small(hook.import_id))
        if type(hook) is RemoteHook and _same_worker(hook.connection, connection):
            if transfer:
                self._transfer(obj)
            return self._handoff(Ext.HANDOFF, hook.connection, hook.import_id)
        special = obj._wire_form()
        if special is not NotImplemented:
            return self._grant(special.code, special.data, msgpack.unpackb(special.data))
        if transfer:
            self._transfer(obj)
        return self._export(hook.dup(), Ext.EXPORT)

    def _promise(self, promise: RpcPromise) -> object:
        """An ``RpcPromise`` passed to a Cap'n Web peer, which substitutes its value (workerd
        refuses it): a pending result of a call to that very peer goes as ``["pipeline", id]``
        (one message, no wait); a settled one as its value."""
        if isinstance(promise, RpcProperty):
            promise = promise._base._get(promise._path)
        settled = promise._settled
        if settled is not None and not promise._disposed:
            ok, value = settled
            if not ok:
                raise DataCloneError(
                    f"This RpcPromise was rejected ({type(value).__name__}: {value}): it has no value to pass."
                )
            return value
        hook = promise._hook
        if type(hook) is QuestionHook and hook.connection is self.connection and not promise._disposed:
            q = hook._q or hook
            if not q.done:
                return msgpack.ExtType(Ext.PIPELINE, pack_small(q.id))
        raise DataCloneError(
            "Only a pending result of a call to this same Cap'n Web peer (or a settled promise) can be "
            "passed as an argument here: await this RpcPromise and pass its value."
        )

    def _stream(self, stream: ReadableStream | WritableStream) -> msgpack.ExtType:
        """A stream moves to the receiver. A readable: ask the peer for a pipe and pump into it
        (from commit on); a writable: export its sink as a writable end."""
        connection = self.connection
        taken = stream._take()  # TypeError, and nothing changes, if it is locked
        adopt(taken, connection.runtime)
        if self.streams is None:
            self.streams = []
        if isinstance(stream, ReadableStream):
            pipe_id = connection.session.pipe()
            self.streams.append((stream, taken, pipe_id))
            return msgpack.ExtType(Ext.READABLE, pack_small(pipe_id))
        self.streams.append((stream, taken, None))
        return self._export(WritableHook(taken, connection.context), Ext.WRITABLE)

    def _handoff(self, code: Ext, connection: Any, export_id: int) -> msgpack.ExtType:
        """One of the receiver's own exports, held through another of its sessions with our
        worker: granted as ``[session, export id]`` (the receiver finds its end of that session)."""
        where = [connection.session_id, export_id]
        return self._grant(code, pack_small(where), where)

    def commit(self) -> None:
        """The message will be sent: stubs whose ownership moved with it are now disposed, and
        the bytes of readables start flowing."""
        if self.transfers:
            for capability in self.transfers:
                capability._dispose("transferred")
        if self.streams:
            connection = self.connection
            for _, source, pipe_id in self.streams:
                if pipe_id is None:
                    continue
                writer = RemoteWriter(connection, pipe_id)  # type: ignore[arg-type]
                connection.streams().writers.add(writer)
                context = connection.context
                assert context is not None
                context.task(pump(source, writer), eager=False)

    def rollback(self) -> None:
        """The message failed to encode: take back the exports, grants and streams it made."""
        session = self.connection.session
        receiver = self.connection.peer
        for token in self.grants or ():
            receiver.revoke(token)
        for export_id in self.exported or ():
            hook = session.unexport(export_id)
            if isinstance(hook, WritableHook):
                hook.finished = True
            if isinstance(hook, Hook):
                hook.dispose()
        for stream, taken, pipe_id in reversed(self.streams or ()):
            if pipe_id is not None:
                session.unpipe(pipe_id)
            stream._give_back(taken)


OTHER_PLAYGROUND = (
    "This stub belongs to another playground (an earlier one, closed or not: a cell run again "
    "makes a new Playground), so it cannot be sent here; get a new one from this playground."
)


def _same_worker(theirs: Any, ours: MarshalEndpoint) -> bool:
    """A capability from another session with the very worker we are sending to: it is the
    receiver's own, and is handed back rather than proxied (as capabilities inside one process
    are, in workerd)."""
    return theirs.peer_worker == ours.peer_worker and theirs.peer is not None and theirs.broken is None


_CAPABILITY_NAMES = {Ext.SERVICE: "Fetcher", Ext.DURABLE_OBJECT: "DurableObject"}


def _dup_target(target: Any) -> Any:
    """In ``rpc_params_dup_stubs`` mode a target with its own ``dup()`` sends a duplicate."""
    dup = getattr(type(target), "dup", None) if is_class_target(target) else getattr(target, "dup", None)
    if dup is None or not callable(dup):
        return target
    duplicate = target.dup()
    if is_class_target(target) and not is_class_target(duplicate):
        raise DataCloneError(
            "Couldn't create a stub for the RcpTarget because it has a dup() method which did not "
            "return another RpcTarget. Either remove the dup() method or make sure it returns an "
            "RpcTarget."
        )
    if is_function(target) and not is_function(duplicate):
        raise DataCloneError(
            "Couldn't create a stub for the function because it has a dup() method which did not "
            "return another function. Either remove the dup() method or make sure it returns a "
            "function."
        )
    return duplicate


#: A body given as bytes up to this size travels inside its message; anything larger, or any
#: body given as a stream, is streamed (with flow control, outside the 32 MiB limit).
INLINE_BODY = 64 * 1024


def _body(message: Request | Response) -> Any:
    if message._stream is not None or (message._body is not None and len(message._body) > INLINE_BODY):
        return message.body  # a ReadableStream: the exporter streams it
    return message._body


class Importer:
    """Turns references inside a received payload into stubs and promises of one connection."""

    __slots__ = ("connection", "group", "origin_call", "where", "made", "stubs", "embedded")

    def __init__(
        self,
        connection: MarshalEndpoint,
        group: list[Capability] | None = None,
        origin_call: int | None = None,
        where: tuple[str, int] | None = None,
    ) -> None:
        self.connection = connection
        self.group = group
        self.origin_call = origin_call
        self.where = where  # the user's line of the call whose result this is
        #: Every stub and promise made so far (disposed if the payload turns out malformed).
        self.made: list[RpcStub | RpcPromise] = []
        #: the stub made for each export of the sender in this payload: one export twice in it
        #: (one target sent twice) is one stub, introduced once
        self.stubs: dict[int, object] | None = None
        #: promises the sender exported inside a result (Cap'n Web's ``["promise", id]``), to be
        #: substituted by their values before the result is delivered; None: not taken here
        self.embedded: list[Embedded] | None = None

    def decode_capability(self, code: Ext, data: bytes) -> object:
        """The stub, promise or stream for a reference in a received payload.

        Every reference is checked against a table: the sender's exports (which it introduces
        here), the receiver's own exports, its pipes, or the grants the runtime made for this
        very end (bindings and handoffs). A reference to anything else is a
        :class:`~playground.errors.ProtocolError`: no value a peer sends becomes a capability."""
        connection = self.connection
        if code is Ext.EXPORT:
            ref = _ref(code, data)
            stubs = self.stubs
            if stubs is None:
                stubs = self.stubs = {}
            elif ref in stubs:
                return stubs[ref]
            connection.session.introduce(ref)
            stub = stubs[ref] = self._handle(
                RemoteHook(connection, ref), describe=f"stub from {connection.peer_worker}"  # type: ignore[arg-type]
            )
            return stub
        if code is Ext.PROMISE:
            ref = _ref(code, data)
            if self.embedded is None:
                raise ProtocolError(
                    f"a promise (export {ref}) where this side takes none: only a call's result may hold one"
                )
            connection.session.introduce(ref, resolves_itself=True)
            question = QuestionHook(connection, ref, None, self.where)  # type: ignore[arg-type]
            question.pulled = True
            connection.questions[ref] = question
            embedded = Embedded(question)
            self.embedded.append(embedded)
            return embedded
        if code is Ext.PIPELINE:
            ref = _ref(code, data)
            answer = connection.session.export_hook(ref)
            if self.embedded is None or not connection.capnweb or not isinstance(answer, Hook):
                raise ProtocolError(f"a promise of answer {ref} where this side takes none")
            embedded = Embedded(answer)  # (substituted by its value before the call is made)
            self.embedded.append(embedded)
            return embedded
        if code is Ext.IMPORT:
            ref = _ref(code, data)
            hook = connection.session.export_hook(ref)
            if not isinstance(hook, Hook):
                raise ProtocolError(f"a stub for export {ref}, which is a call still being answered")
            return self._handle(hook.dup())
        if code is Ext.READABLE:
            ref = _ref(code, data)
            streams = connection.streams()
            pipe = streams.pipes.pop(ref, None)
            if pipe is None:
                raise ProtocolError(f"a readable stream for pipe {ref}, which was not asked for")
            streams.readers.add(pipe)
            return ReadableStream(pipe)
        if code is Ext.WRITABLE:
            import_id = _ref(code, data)
            connection.session.introduce(import_id)
            writer = RemoteWriter(connection, import_id)  # type: ignore[arg-type]
            connection.streams().writers.add(writer)
            return WritableStream(writer.sink())
        granted = connection.redeem(code, _ref(code, data, token=True))
        if code is Ext.HANDOFF:
            return self._handle(self._handed_back(*msgpack.unpackb(granted)))
        return connection.bindings.decode_binding(connection, code, granted)

    def _handle(self, hook: Hook, *, describe: str | None = None) -> object:
        """A stub over ``hook`` for the receiving context; one of the group that the result's
        disposal takes with it, if there is a group."""
        connection = self.connection
        handle = RpcStub._wrap(
            hook, connection.context, describe=describe, where=self.where, origin_call=self.origin_call,
            managed=self.group is not None,
        )
        if self.group is not None:
            self.group.append(handle)
        self.made.append(handle)
        return handle

    def discard(self) -> None:
        """The payload did not decode: dispose what was made from its first part."""
        made, self.made = self.made, []
        for handle in made:
            handle._dispose("released")

    def _handed_back(self, session_id: int, export_id: int) -> Hook:
        """One of our own exports, from another of our sessions with the sender (a handoff)."""
        own = self.connection.end_of(session_id)
        if own is not None and own.broken is None and own.session.has_export(export_id):
            found = own.session.export_hook(export_id)
            if isinstance(found, Hook):
                return found.dup()
        return ErrorHook(RpcError(Text.CONTEXT_GONE))

    def decode_marked(self, code: Ext, items: list[Any]) -> object:
        if code is Ext.REQUEST:
            url, method, headers, body = items
            return Request(url, method=method, headers=headers, body=body)
        if code is Ext.RESPONSE:
            status, status_text, headers, body = items
            return Response(body, status=status, headers=headers, status_text=status_text)
        if code is Ext.HEADERS:
            return Headers(items[0])
        raise RpcError(f"cannot decode a {code.name.lower()} value")


class Embedded:
    """A promise inside a received payload, to be replaced by its value (:func:`substitute`):
    one the peer exported inside a result (Cap'n Web resolves such promises by itself, and its
    results hold them where a value is still pending: the result is delivered once they have
    settled), or one of our own pending answers a Cap'n Web peer passed as an argument (the call
    is made once it has settled)."""

    __slots__ = ("hook",)

    def __init__(self, hook: Hook) -> None:
        self.hook = hook


def substitute(value: Any, embedded: list[Embedded], deliver: Any) -> None:
    """Call ``deliver(ok, value)`` once every promise in ``embedded`` has settled: with ``value``
    where each was replaced by its value, or with the first one's error."""
    settled: dict[int, tuple[bool, Any]] = {}

    def replace(item: Any) -> Any:
        kind = type(item)
        if kind is Embedded:
            return settled[id(item)][1]
        if kind is list:
            return [replace(x) for x in item]
        if kind is dict:
            return {k: replace(x) for k, x in item.items()}
        if kind is tuple:
            return tuple(replace(x) for x in item)
        return item

    def one(promise: Embedded) -> Any:
        def settle(ok: bool, result: Any) -> None:
            settled[id(promise)] = (ok, result)
            if len(settled) < len(embedded):
                return
            failed = next((r for o, r in settled.values() if not o), None)
            if failed is not None:
                deliver(False, failed)
            else:
                deliver(True, replace(value))

        return settle

    for promise in embedded:
        promise.hook.settle(one(promise))


def _ref(code: Ext, data: bytes, *, token: bool = False) -> int:
    """The id (or, for a grant, the token) a reference carries."""
    try:
        ref = msgpack.unpackb(data)
        if token:
            ref = ref[0]
    except Exception:
        ref = None
    if type(ref) is not int:
        raise ProtocolError(f"a malformed {code.name.lower()} reference: {data[:24]!r}")
    return ref


# -- errors ----------------------------------------------------------------------------------


def encode_error(error: BaseException, enhanced: bool) -> bytes:
    """An exception thrown by a callee, as the compatibility mode sends it."""
    if not enhanced:
        error = _legacy(error)
    try:
        return encode_value(error, None, limit=False)
    except Exception:
        return encode_value(RpcError(str(error)), None, limit=False)


def mark_remote(error: Any, durable_id: str | None) -> BaseException:
    """An exception that arrived from the other side: marked ``remote`` (and with the id of the
    Durable Object it came from). The causes it brought along (``__cause__``, see
    :func:`~playground.codec.values.encode_error`) are marked ``remote`` too."""
    if not isinstance(error, BaseException):
        error = RpcError(str(error))
    for name, value in (("remote", True), ("durable_object_id", durable_id)):
        if value is None:
            continue
        try:
            setattr(error, name, value)
        except (AttributeError, TypeError):
            pass
    cause, seen = error.__cause__, {id(error)}
    while cause is not None and id(cause) not in seen and len(seen) <= MAX_CAUSES:
        seen.add(id(cause))
        try:
            cause.remote = True  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            pass
        cause = cause.__cause__
    return error


def _legacy(error: BaseException) -> BaseException:
    """Legacy error serialization: built-in types keep type and message, lose attributes and
    cause; other classes become an ``Error`` whose message starts with their name."""
    cls = type(error)
    if cls.__module__ == "builtins" and getattr(builtins, cls.__name__, None) is cls:
        try:
            return cls(*error.args)
        except Exception:
            return cls(str(error))
    if isinstance(error, PlaygroundError) and not isinstance(error, RemoteError):
        if error.__cause__ is None:
            return error
        error = copy.copy(error)  # (the thrower's own error is left as it is)
        error.__cause__ = None
        return error
    return RemoteError(f"{cls.__name__}: {error}", "Error")
