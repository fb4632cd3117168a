"""Capabilities inside payloads: what a connection exports when it sends, imports when it receives.

Sending (``Exporter``): an ``RpcTarget`` or a function becomes a new export (one per sending, so
its ``__dispose__`` runs once per sending); a stub becomes an export of a dup of its hook — or,
when it points back at the peer, a reference to the peer's own export; a promise in the
arguments becomes a promise export the peer can pipeline on. Whose copy is disposed follows the
runtime: stubs in a result (and, in ``rpc_params_transfer_stubs`` mode, in parameters) move
with the message; otherwise the sender keeps its own.

Receiving (``Importer``): references become stubs and promises owned by the connection's
context; those received as a call's parameters are collected so they can be disposed when the
call is over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgpack

from ..codec import Ext, pack_small
from ..errors import DataCloneError, RpcError, Text
from .hooks import Capability, ErrorHook, Hook, TargetHook, ValueHook
from .remote import QuestionHook, RemoteHook
from .invoke import is_class_target, is_function
from .flow import RemoteWriter, WritableHook, pump
from .streams import ReadableStream, WritableStream, adopt
from .stubs import RpcPromise, RpcProperty, RpcStub

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Exporter", "Importer"]


class Exporter:
    """Turns capabilities inside a payload into exports of one connection."""

    __slots__ = ("connection", "params", "exported", "transfers", "promise_calls", "streams")

    def __init__(self, connection: Connection, *, params: bool) -> None:
        self.connection = connection
        self.params = params
        self.exported: list[int] = []
        self.transfers: list[Capability] = []
        self.promise_calls: list[int] = []  # calls whose pending results are sent as promises
        self.streams: list[tuple[Any, Any, int | None]] = []  # (stream, source or sink, pipe id)

    def _export(self, hook: Hook, code: Ext, *, promise: bool = False) -> msgpack.ExtType:
        export_id = self.connection.session.export(hook, promise=promise)
        self.exported.append(export_id)
        return msgpack.ExtType(code, pack_small(export_id))

    def encode_special(self, obj: object) -> object:
        connection = self.connection
        world = connection.world
        if isinstance(obj, Capability):
            return self._capability(obj)
        if isinstance(obj, (ReadableStream, WritableStream)):
            return self._stream(obj)
        if is_class_target(obj) or is_function(obj):
            target = obj
            if self.params and not world.transfer_params:
                target = _dup_target(obj)
            hook = TargetHook(target, connection.context)
            return self._export(hook, Ext.EXPORT)
        return world.wire.encode_special(obj)

    def _capability(self, obj: Capability) -> object:
        connection = self.connection
        transfer = not self.params or connection.world.transfer_params
        if isinstance(obj, RpcStub):
            hook = obj._hook
            if hook is None:
                raise RpcError(Text.STUB_DISPOSED)
            if type(hook) is RemoteHook and hook.connection is connection:
                if transfer:
                    self.transfers.append(obj)
                return msgpack.ExtType(Ext.IMPORT, pack_small(hook.import_id))
            if type(hook) is RemoteHook and _same_worker(hook.connection, connection):
                if transfer:
                    self.transfers.append(obj)
                return _handoff(Ext.HANDOFF, hook.connection, hook.import_id)
            special = connection.world.wire.encode_special(obj)
            if special is not NotImplemented:
                return special
            if transfer:
                self.transfers.append(obj)
            return self._export(hook.dup(), Ext.EXPORT)
        if not self.params:  # a promise nested in a returned value
            name = "RpcProperty" if isinstance(obj, RpcProperty) else "RpcPromise"
            raise DataCloneError(Text.cannot_serialize(name))
        assert isinstance(obj, RpcPromise)
        hook = obj._capability_hook()
        if type(hook) is ErrorHook:
            raise hook.error
        if type(hook) is ValueHook:
            value = hook.value
            if isinstance(value, Capability):
                return self._capability(value)
            return value
        if not isinstance(obj, RpcProperty) and transfer:
            self.transfers.append(obj)
        if type(hook) is QuestionHook and _same_worker(hook.connection, connection):
            return _handoff(Ext.HANDOFF_PROMISE, hook.connection, hook.question_id)
        call_seq = getattr(hook, "call_seq", None)
        if call_seq is not None:
            self.promise_calls.append(call_seq)
        return self._export(hook.dup(), Ext.PROMISE, promise=True)

    def _stream(self, stream: ReadableStream | WritableStream) -> msgpack.ExtType:
        """A stream moves to the receiver. A readable: ask the peer for a pipe and pump into it
        (from commit on); a writable: export its sink as a writable end."""
        connection = self.connection
        taken = stream._take()  # TypeError, and nothing changes, if it is locked
        adopt(taken, connection.world)
        if isinstance(stream, ReadableStream):
            pipe_id = connection.session.pipe()
            self.streams.append((stream, taken, pipe_id))
            return msgpack.ExtType(Ext.READABLE, pack_small(pipe_id))
        self.streams.append((stream, taken, None))
        return self._export(WritableHook(taken, connection.context), Ext.WRITABLE)

    def commit(self) -> None:
        """The message will be sent: stubs whose ownership moved with it are now disposed, and
        the bytes of readables start flowing."""
        for capability in self.transfers:
            capability._dispose("transferred")  # type: ignore[attr-defined]
        connection = self.connection
        for _, source, pipe_id in self.streams:
            if pipe_id is None:
                continue
            writer = RemoteWriter(connection, pipe_id)
            connection.writers.add(writer)
            context = connection.context
            assert context is not None
            context.task(pump(source, writer), eager=False)

    def rollback(self) -> None:
        """The message failed to encode: take back the exports it made and the streams."""
        session = self.connection.session
        for export_id in self.exported:
            hook = session.unexport(export_id)
            if isinstance(hook, WritableHook):
                hook.finished = True
            if isinstance(hook, Hook):
                hook.dispose()
        for stream, taken, pipe_id in reversed(self.streams):
            if pipe_id is not None:
                session.unpipe(pipe_id)
            stream._give_back(taken)


def _same_worker(theirs: Connection, ours: Connection) -> bool:
    """A capability from another session with the very worker we are sending to: it is the
    receiver's own, and is handed back rather than proxied (as capabilities inside one process
    are, in workerd)."""
    return theirs.peer_worker == ours.peer_worker and theirs.peer is not None and theirs.broken is None


def _handoff(code: Ext, connection: Connection, export_id: int) -> msgpack.ExtType:
    return msgpack.ExtType(code, pack_small([connection.session_id, export_id]))


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


class Importer:
    """Turns references inside a received payload into stubs and promises of one connection."""

    __slots__ = ("connection", "group", "origin_call")

    def __init__(
        self, connection: Connection, *, group: list[Capability] | None = None, origin_call: int | None = None
    ) -> None:
        self.connection = connection
        self.group = group
        self.origin_call = origin_call

    def decode_capability(self, code: Ext, data: bytes) -> object:
        connection = self.connection
        if code is Ext.EXPORT:
            ref = msgpack.unpackb(data)
            connection.session.introduce(ref)
            return self._handle(RemoteHook(connection, ref), describe=f"stub from {connection.peer_worker}")
        if code is Ext.PROMISE:
            ref = msgpack.unpackb(data)
            connection.session.introduce(ref, promise=True)
            question = connection.questions[ref] = QuestionHook(connection, ref, None)
            return self._handle(question, promise=True)
        if code is Ext.IMPORT:
            ref = msgpack.unpackb(data)
            hook = connection.session.export_hook(ref)
            if not isinstance(hook, Hook):
                raise RpcError(f"export {ref} has no hook")
            return self._handle(hook.dup())
        if code is Ext.HANDOFF or code is Ext.HANDOFF_PROMISE:
            return self._handle(self._handed_back(*msgpack.unpackb(data)), promise=code is Ext.HANDOFF_PROMISE)
        if code is Ext.READABLE:
            pipe = connection.pipes.pop(msgpack.unpackb(data))
            connection.readers.add(pipe)
            return ReadableStream(pipe)
        if code is Ext.WRITABLE:
            import_id = msgpack.unpackb(data)
            connection.session.introduce(import_id)
            writer = RemoteWriter(connection, import_id)
            connection.writers.add(writer)
            return WritableStream(writer.sink())
        return connection.world.wire.decode_capability(connection, code, data)

    def _handle(self, hook: Hook, *, promise: bool = False, describe: str | None = None) -> object:
        """A stub (or promise) over ``hook`` for the receiving context; one of the group that the
        result's disposal takes with it, if there is a group."""
        connection = self.connection
        where = connection.world.call_where(self.origin_call)
        handle: RpcStub | RpcPromise
        if promise:
            handle = RpcPromise._wrap(hook, connection.context, where=where)
        else:
            handle = RpcStub._wrap(
                hook, connection.context, describe=describe, where=where, origin_call=self.origin_call,
                managed=self.group is not None,
            )
        if self.group is not None:
            self.group.append(handle)
        return handle

    def _handed_back(self, session_id: int, export_id: int) -> Hook:
        """One of our own exports, from another of our sessions with the sender (a handoff)."""
        own = self.connection.world.connection_end(session_id, self.connection.worker)
        if own is not None and own.broken is None and own.session.has_export(export_id):
            found = own.session.export_hook(export_id)
            if isinstance(found, Hook):
                return found.dup()
        return ErrorHook(RpcError(Text.CONTEXT_GONE))

    def decode_marked(self, code: Ext, items: list[Any]) -> object:
        return self.connection.world.wire.decode_marked(self.connection, code, items)

