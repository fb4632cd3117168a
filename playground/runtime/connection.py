"""A connection: one end of a session, joining the protocol, the codec and the network.

The protocol :class:`~playground.protocol.Session` keeps the tables; the codec turns values and
messages into bytes; the network carries them with latency. A :class:`Connection` does the
rest: it encodes arguments (turning stubs and targets into exports), sends what the session
queued, and when a frame arrives decodes it, lets the session check it, and acts on the event:
run a call, answer a pull, settle a question, dispose a released export.

Every message sent is recorded as a :class:`~playground.trace.MessageEvent` and every call as a
:class:`~playground.trace.CallEvent`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..codec import Kwargs, decode_message, decode_value, encode_message, encode_value
from ..errors import ConnectionLost, RpcError
from ..protocol import (
    COUNTED_KINDS,
    CallArrived,
    ExportReleased,
    Kind,
    Message,
    Path,
    PipeArrived,
    PullArrived,
    ResultArrived,
    Session,
    SessionAborted,
)
from ..trace import MessageEvent
from .context import ExecutionContext
from .hooks import Capability, ErrorHook, Hook, Origin
from .remote import QuestionHook
from .marshal import Exporter, Importer

if TYPE_CHECKING:
    from .world import Playground

__all__ = ["FETCH_PATH", "Connection"]

#: Payloads up to this size are kept in the trace (for tooltips and replay).
TRACE_PAYLOAD_LIMIT = 16 * 1024


class Connection:
    """One end of a session between an execution context and a peer worker."""

    __slots__ = (
        "world",
        "context",
        "worker",
        "peer_worker",
        "peer",
        "session",
        "session_id",
        "questions",
        "closed",
        "broken",
        "opener",
        "params",
        "used",
        "link",
        "durable_id",
        "stream_waiters",
        "stream_answers",
        "pipes",
        "writers",
        "readers",
    )

    def __init__(
        self,
        world: Playground,
        context: ExecutionContext | None,
        worker: str,
        peer_worker: str,
        session_id: int,
    ) -> None:
        self.world = world
        self.context = context
        self.worker = worker
        self.peer_worker = peer_worker
        self.peer: Connection | None = None
        self.session = Session()
        self.session_id = session_id
        self.questions: dict[int, QuestionHook] = {}
        self.closed = False
        self.broken: BaseException | None = None
        #: For the callee end: makes the context and main object when the first call arrives.
        self.opener: Callable[[Connection, Path], None] | None = None
        #: Stubs received as the parameters of each answer, disposed once it is sent or released.
        self.params: dict[int, list[Capability]] = {}
        self.used = False
        self.link = world.network.link(worker, peer_worker)
        #: For the caller's end of a session to a Durable Object: its id (errors carry it).
        self.durable_id: str | None = None
        #: Streams: acks we wait for, stream pushes we answer (their acks do not count as round
        #: trips), pipes made for readables not yet claimed, writers and readers in use.
        self.stream_waiters: dict[int, Callable[[bool, Any], None]] = {}
        self.stream_answers: set[int] = set()
        self.pipes: dict[int, Any] = {}
        self.writers: set[Any] = set()
        self.readers: set[Any] = set()
        if context is not None:
            context.connections.add(self)

    def __repr__(self) -> str:
        return f"<Connection {self.session_id} {self.worker}->{self.peer_worker}{' closed' if self.closed else ''}>"

    # -- sending -------------------------------------------------------------------------------

    def push(
        self,
        target: int,
        path: Path,
        args: list[Any] | None,
        kwargs: dict[str, Any] | None,
        origin: Origin,
        target_call: int | None,
        *,
        pipelined: bool = False,
        stream: bool = False,
    ) -> Hook:
        """Send a call (or, with ``args=None``, a property read) to the peer's export ``target``.

        ``pipelined``: ``target`` is a result that has not come back yet (``target_call`` is the
        call that produces it, when known)."""
        if self.broken is not None:
            return ErrorHook(self.broken)
        payload: bytes | None = None
        promise_args: tuple[int, ...] = ()
        if args is not None:
            if kwargs:
                args = [*args, Kwargs(kwargs)]
            exporter = Exporter(self, params=True)
            try:
                payload = encode_value(args, exporter)
            except Exception as exc:
                exporter.rollback()
                self._abandon_if_unused()
                return ErrorHook(exc)
        self.used = True
        question = self.session.push(target, path, payload, stream=stream)
        if args is not None:
            exporter.commit()  # after the push is queued: a release must follow what it releases
            promise_args = tuple(exporter.promise_calls)
        world = self.world
        where = origin[1] if origin is not None else None
        call_seq = world.record_call(
            self, question, path, args is None, pipelined, target_call,
            (origin[0] or None) if origin is not None else None, where, promise_args,
        )
        hook = QuestionHook(self, question, call_seq)
        self.questions[question] = hook
        self.flush()
        return hook

    def stream_push(self, target: int, path: Path, args: list[Any], callback: Callable[[bool, Any], None]) -> None:
        """A write (or close, abort) into a writable end; ``callback(ok, value)`` on its ack."""
        if self.broken is not None:
            callback(False, self.broken)
            return
        payload = encode_value(args, None, limit=False)
        question = self.session.push(target, path, payload, stream=True)
        self.stream_waiters[question] = callback
        self.flush()

    def pull(self, question: int) -> None:
        if self.broken is None and self.session.pull(question):
            self.flush()

    def retain(self, import_id: int) -> None:
        if self.broken is None:
            self.session.retain(import_id)

    def drop(self, import_id: int) -> None:
        if self.broken is not None or self.closed:
            return
        self.session.drop(import_id)
        self.flush()
        self.maybe_close()

    def flush(self) -> None:
        """Send everything the session has queued."""
        if self.session._outbox:
            for message in self.session.take_outgoing():
                self._transmit(message)

    def _transmit(self, message: Message) -> None:
        world = self.world
        frame = encode_message(message)
        kind = message.kind
        m: Any = message
        counted = kind in COUNTED_KINDS
        if kind is Kind.PUSH or kind is Kind.STREAM:
            payload, ident, target, path = m.args, m.id, m.target, m.path
            if kind is Kind.STREAM and payload is not None and len(payload) > 256:
                payload = None  # stream chunks are not kept in the trace
        else:
            payload = _PAYLOAD.get(kind)
            if payload is not None:
                payload = getattr(m, payload)
                if m.id in self.stream_answers:  # the acknowledgement of a stream write
                    self.stream_answers.discard(m.id)
                    counted = False
            ident, target, path = getattr(m, "id", None), None, ()
        if payload is not None and len(payload) > TRACE_PAYLOAD_LIMIT:
            payload = None
        context = self.context
        cause = context.cause if counted and context is not None else None
        recorder = world.recorder
        seq = len(recorder.events)
        size = len(frame)
        sent_ns, arrival_ns, _ = world.network.send_on(
            self.link, self.worker, size, self.peer._on_frame, (frame, seq, counted)  # type: ignore[union-attr]
        )
        sent = sent_ns / 1e9
        recorder.add(
            MessageEvent(
                seq, sent, kind, self.worker, self.peer_worker, sent,
                None if arrival_ns is None else arrival_ns / 1e9,
                size, self.session_id, ident, target, path, cause, payload, counted,
            )
        )
        if arrival_ns is None:
            world.message_lost(self, seq)

    # -- receiving -----------------------------------------------------------------------------

    def _on_frame(self, frame: bytes, seq: int, counted: bool) -> None:
        if self.broken is not None or self.closed:
            return  # the session died while this was in flight
        message = decode_message(frame)
        if self.opener is not None:
            opener, self.opener = self.opener, None
            opener(self, getattr(message, "path", ()))
        context = self.context
        if counted and context is not None:
            context.cause = seq
        event = self.session.receive(message)
        if event is not None:
            _HANDLERS[type(event)](self, event)
        self.flush()
        self.maybe_close()

    def _pull_arrived(self, event: PullArrived) -> None:
        hook: Hook = event.target  # type: ignore[assignment]
        answer = event.id
        hook.settle(lambda ok, value: self._answer(answer, ok, value))

    def _export_released(self, event: ExportReleased) -> None:
        released: Hook = event.hook  # type: ignore[assignment]
        released.dispose()
        self._dispose_params(event.id)
        self.world.lifecycle.check(self.context)

    def _session_aborted(self, event: SessionAborted) -> None:
        self._aborted(event, ConnectionLost())

    def _pipe_arrived(self, event: PipeArrived) -> None:
        from .flow import WritableHook
        from .streams import Pipe

        pipe = Pipe(self.world)
        self.pipes[event.id] = pipe
        self.session.set_answer(event.id, WritableHook(pipe, self.context))

    def _call_arrived(self, event: CallArrived) -> None:
        target: Hook = event.target  # type: ignore[assignment]
        group: list[Capability] = []
        hook: Hook
        if event.args is None:
            hook = target.get(event.path)
        else:
            try:
                values = decode_value(event.args, Importer(self, group=group))
            except Exception as exc:
                hook = ErrorHook(exc)
            else:
                kwargs = values.pop() if values and type(values[-1]) is Kwargs else None
                try:
                    if event.path == FETCH_PATH:
                        hook = self.world.wire.serve_fetch(self, target, values)
                    else:
                        hook = target.call(event.path, values, kwargs)
                except BaseException as exc:  # Ctrl-C in user code: keep the session consistent
                    self.session.set_answer(event.id, ErrorHook(RpcError(f"The call was interrupted ({type(exc).__name__}).")))
                    raise
        self.session.set_answer(event.id, hook)
        if group:
            self.params[event.id] = group
        if event.stream:
            answer = event.id
            self.stream_answers.add(answer)
            hook.settle(lambda ok, value: self._answer(answer, ok, value))

    def _answer(self, answer: int, ok: bool, value: Any) -> None:
        """Send the settlement of one of our answers (if the peer still wants it)."""
        session = self.session
        if self.broken is not None or not session.is_unsettled(answer):
            return
        try:
            self._send_settlement(answer, ok, value)
        finally:
            self._dispose_params(answer)
        self.flush()
        self.maybe_close()

    def _send_settlement(self, answer: int, ok: bool, value: Any) -> None:
        session = self.session
        if ok:
            exporter = Exporter(self, params=False)
            try:
                payload = encode_value(value, exporter)
            except Exception as exc:
                exporter.rollback()
                session.reject(answer, self.world.wire.encode_error(exc, self))
            else:
                hook = session.export_hook(answer)
                if isinstance(hook, Hook):
                    hook.mark_sent()
                session.resolve(answer, payload)
                exporter.commit()
        else:
            session.reject(answer, self.world.wire.encode_error(value, self))

    def _dispose_params(self, answer: int) -> None:
        """Stubs received as a call's parameters are disposed once its result has been sent (or
        released unsent), unless the callee dup()ed them."""
        group = self.params.pop(answer, None)
        if group:
            for capability in group:
                capability._dispose("released")  # type: ignore[attr-defined]

    def _result_arrived(self, event: ResultArrived) -> None:
        waiter = self.stream_waiters.pop(event.id, None)
        if waiter is not None:  # the acknowledgement of a stream write
            value = decode_value(event.payload)
            waiter(event.ok, value if event.ok else self.world.wire.decode_error(value, self))
            return
        hook = self.questions.pop(event.id)
        try:
            value = decode_value(event.payload, Importer(self, origin_call=hook.call_seq))
        except Exception as exc:
            ok, value = False, exc
        else:
            ok = event.ok
            if not ok:
                value = self.world.wire.decode_error(value, self)
        hook.arrived(ok, value)

    # -- ending --------------------------------------------------------------------------------

    def _abandon_if_unused(self) -> None:
        """A session whose first call failed to encode never started: forget both ends."""
        if not self.used and self.session.is_idle() and self.peer is not None:
            self.close()
            if self.peer.opener is not None:
                self.peer.opener = None
                self.peer.close()

    def maybe_close(self) -> None:
        if not self.closed and self.broken is None and self.session.is_idle() and self.opener is None:
            self.close()

    def close(self) -> None:
        """The session ended normally (both tables empty): let go of our main object."""
        self.closed = True
        main = self.session.main
        if isinstance(main, Hook):
            main.dispose()
        self.world.connection_closed(self)

    def break_exports(self, error: BaseException) -> None:
        """Our context ended: what we exported on this session now fails with ``error``."""
        if self.closed or self.broken is not None:
            return
        for export_id, hook, _, _ in self.session.exported():
            if hook is None:
                continue  # the call running now
            self.session.replace_hook(export_id, ErrorHook(error))
            if isinstance(hook, Hook):
                hook.dispose()

    def end_streams(self) -> None:
        """Our context ended: streams we were writing end early, streams we were reading are
        canceled (their writers stop)."""
        from ..errors import StreamCanceled

        for writer in list(self.writers):
            if not writer.closed:
                writer.abort("premature")
        self.writers.clear()
        for pipe in list(self.readers):
            pipe.cancel(StreamCanceled("the reader's execution context ended"))
        self.readers.clear()

    def abort_answers(self, reason: BaseException, gone: str) -> None:
        """Our context was aborted: calls being answered fail with ``reason``; our other
        exports (stubs handed out) fail with ``gone`` from now on."""
        if self.closed or self.broken is not None:
            return
        session = self.session
        for export_id, hook, unsettled, answer in session.exported():
            if hook is None:
                continue  # the call running now: it fails with the reason by itself
            session.replace_hook(export_id, ErrorHook(reason if answer else RpcError(gone)))
            if unsettled:
                session.reject(export_id, self.world.wire.encode_error(reason, self))
            if isinstance(hook, Hook):
                hook.dispose()
        self.flush()

    def fail(self, error: BaseException) -> None:
        """The session is dead (a cut link, a crash): fail what waits, release what we hold."""
        if self.broken is not None or self.closed:
            return
        self._aborted(self.session.abort(None), error)

    def _aborted(self, event: SessionAborted, error: BaseException) -> None:
        self.broken = error
        waiters, self.stream_waiters = self.stream_waiters, {}
        for waiter in waiters.values():
            waiter(False, error)
        for pipe in [*self.pipes.values(), *self.readers]:
            pipe.fail(error)
        self.pipes.clear()
        for answer in list(self.params):
            self._dispose_params(answer)
        for hook in event.hooks:
            if isinstance(hook, Hook):
                hook.dispose()
        for question in event.questions:
            pending = self.questions.pop(question, None)
            if pending is not None:
                pending.arrived(False, error)
        self.closed = True
        self.world.connection_closed(self)


FETCH_PATH: Path = ("#fetch",)

#: What to do for each event of the session.
_HANDLERS: dict[type, Callable[[Connection, Any], None]] = {
    CallArrived: Connection._call_arrived,
    PipeArrived: Connection._pipe_arrived,
    PullArrived: Connection._pull_arrived,
    ResultArrived: Connection._result_arrived,
    ExportReleased: Connection._export_released,
    SessionAborted: Connection._session_aborted,
}

#: Where a message keeps its payload (for the trace).
_PAYLOAD = {Kind.RESOLVE: "value", Kind.REJECT: "error", Kind.ABORT: "reason"}
