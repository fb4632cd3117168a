"""A connection: one end of a session, joining the protocol, the codec and a transport.

The protocol :class:`~playground.protocol.Session` keeps the tables; the codec turns values into
bytes; a :class:`~playground.transport.Transport` carries messages to the other end. A
:class:`Connection` does the rest: it encodes arguments (turning stubs and targets into
exports), sends what the session queued, and when a message arrives lets the session check it
and acts on the event: run a call, answer a pull, settle a question, dispose a released export.

Every message sent is recorded as a :class:`~playground.trace.MessageEvent` and every call as a
:class:`~playground.trace.CallEvent`.

A connection never sends from inside the session's handling of a message: the handler acts,
then everything the session queued meanwhile is sent, in order (:meth:`Connection.flush`).
What outlives one connection — ending contexts, finding another session's end for a handoff —
is its :class:`Registry`'s business (the lifecycle, :mod:`.lifecycle`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..codec import Expression, Ext, Kwargs, decode_value, encode_value, is_plain, unpack_plain
from ..errors import ConnectionLost, ProtocolError, RpcError, StreamCanceled, Text, brief
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
from ..trace import FaultEvent
from ..transport import Transport
from .contract import FETCH_PATH, Capability, ErrorHook, Hook, Origin, Settled
from .context import ExecutionContext
from .shared import Runtime
from .flow import WritableHook
from .hooks import PromiseHook, ValueHook
from .http import Request
from .marshal import BindingCodec, Exporter, Importer, StreamState, encode_error, mark_remote, substitute
from .remote import QuestionHook, RemoteHook
from .streams import Pipe
from .stubs import RpcStub, map_hook

__all__ = ["FETCH_PATH", "Connection", "Registry"]

_PUSH, _STREAM, _RESOLVE, _REJECT, _ABORT = Kind.PUSH, Kind.STREAM, Kind.RESOLVE, Kind.REJECT, Kind.ABORT
#: Messages after which a session may have become idle (a release; a result, which may end a
#: stream write): only then is it worth asking. (A push or a pull only adds to the tables.)
_EMPTYING = frozenset({Kind.RELEASE, Kind.RESOLVE, Kind.REJECT})
#: How a call's parameter stubs are disposed when it returns (for the error if one is used after).
_RETURNED = ("returned", None)


class Registry(Protocol):
    """Who keeps a playground's sessions and contexts (the lifecycle)."""

    def check(self, context: ExecutionContext | None) -> None:
        """End ``context`` if nothing can reach into it any more."""

    def connection_closed(self, connection: Connection) -> None:
        """``connection``'s session ended (normally or not)."""

    def end_of(self, session_id: int, worker: str) -> Connection | None:
        """``worker``'s end of session ``session_id``, if that session is open."""


class Connection:
    """One end of a session between an execution context and a peer worker."""

    #: A session with a real Cap'n Web peer: its rules hold where they differ from workerd's (an
    #: ``RpcPromise`` argument is substituted by its value; see :class:`~.peers.RealConnection`).
    capnweb = False

    __slots__ = (
        "runtime",
        "registry",
        "bindings",
        "context",
        "worker",
        "peer_worker",
        "peer",
        "session",
        "session_id",
        "transport",
        "questions",
        "closed",
        "broken",
        "opener",
        "params",
        "used",
        "durable_id",
        "_streams",
        "_exporter",
        "_params",
        "_importing",
        "lanes",
        "_grants",
        "_granted",
        "target",
    )

    def __init__(
        self,
        runtime: Runtime,
        registry: Registry,
        bindings: BindingCodec,
        context: ExecutionContext | None,
        worker: str,
        peer_worker: str,
        session_id: int,
    ) -> None:
        self.runtime = runtime
        self.registry = registry
        self.bindings = bindings
        self.context = context
        self.worker = worker
        self.peer_worker = peer_worker
        self.peer: Connection | None = None
        self.session = Session()
        self.session_id = session_id
        self.transport: Transport = None  # type: ignore[assignment]  # set when both ends exist
        self.questions: dict[int, QuestionHook] = {}
        self.closed = False
        self.broken: BaseException | None = None
        #: For the callee end: makes the context and main object when the first call arrives.
        self.opener: Callable[[Connection, Path], None] | None = None
        #: Stubs received as the parameters of each answer, disposed once it is sent or released.
        self.params: dict[int, list[Capability]] | None = None
        self.used = False
        #: For the caller's end of a session to a Durable Object: its id (errors carry it).
        self.durable_id: str | None = None
        self._streams: StreamState | None = None
        self._exporter: Exporter | None = None  # the one for the message being encoded
        self._params = False  # whether that message is a call (its parameters)
        self._importing: Importer | None = None  # the one for the parameters being decoded
        self.lanes = runtime.recorder.lanes(worker, peer_worker)  # (worker, peer_worker), shared
        #: Capabilities the runtime granted this end (bindings, handoffs): token -> (kind, what).
        self._grants: dict[int, tuple[Ext, bytes]] | None = None
        self._granted = 0  # grants made so far (the last token)
        #: For the caller's end: what the session was opened to (see :meth:`remap`).
        self.target: Any = None
        if context is not None:
            context.connections.add(self)

    def __repr__(self) -> str:
        return f"<Connection {self.session_id} {self.worker}->{self.peer_worker}{' closed' if self.closed else ''}>"

    def streams(self) -> StreamState:
        """This end's stream bookkeeping (made when a stream first crosses)."""
        streams = self._streams
        if streams is None:
            streams = self._streams = StreamState()
        return streams

    def encode_special(self, obj: object) -> object:
        """The codec's exporter for the message being encoded: made when the first capability
        (or stream, or runtime value) in it needs one (see :class:`~.marshal.Exporter`)."""
        exporter = self._exporter
        if exporter is None:
            exporter = self._exporter = Exporter(self, self._params)  # type: ignore[arg-type]
        return exporter.encode_special(obj)

    def _param_importer(self) -> Importer:
        importer = self._importing = Importer(self, [])  # type: ignore[arg-type]
        if self.capnweb:
            importer.embedded = []  # (Cap'n Web: our pending answers passed back, substituted)
        return importer

    def _result_importer(self, hook: QuestionHook) -> Importer:
        importer = self._importing = Importer(self, None, hook.call_seq, hook.where)  # type: ignore[arg-type]
        importer.embedded = []  # (a result may hold promises the peer resolves by itself)
        return importer

    def end_of(self, session_id: int) -> Connection | None:
        """Our worker's end of another session (for handoffs)."""
        return self.registry.end_of(session_id, self.worker)

    # -- grants: capabilities the runtime hands this end, redeemable only here -----------------

    def grant(self, code: Ext, data: bytes) -> int:
        """Record a capability for this end to receive (a binding, a handoff); the sender puts
        the returned token on the wire. Only this end can redeem it, once."""
        grants = self._grants
        if grants is None:
            grants = self._grants = {}
        token = self._granted = self._granted + 1
        grants[token] = (code, data)
        return token

    def revoke(self, token: int) -> None:
        """Take back a grant whose message was never sent."""
        if self._grants is not None:
            self._grants.pop(token, None)

    def redeem(self, code: Ext, token: int) -> bytes:
        """What grant ``token`` holds; :class:`~playground.errors.ProtocolError` if it was not
        granted to this end (or was already redeemed), or is of another kind."""
        grant = self._grants.pop(token, None) if self._grants is not None else None
        if grant is None or grant[0] is not code:
            raise ProtocolError(
                f"a {code.name.lower()} reference with token {token}, which was not granted to "
                f"{self.worker} in this session: capabilities cannot be forged"
            )
        return grant[1]

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
        exporter: Exporter | None = None
        if args is not None:
            if kwargs:
                args = [*args, Kwargs(kwargs)]
            self._params = True
            try:
                payload = encode_value(args, self)
            except Exception as exc:
                exporter, self._exporter = self._exporter, None
                if exporter is not None:
                    exporter.rollback()
                self._abandon_if_unused()
                return ErrorHook(exc)
            exporter, self._exporter = self._exporter, None
        self.used = True
        question = self.session.push(target, path, payload, stream=stream)
        if exporter is not None:
            exporter.commit()  # after the push is queued: a release must follow what it releases
        stub, where = origin if origin is not None else (None, None)
        runtime = self.runtime
        call_seq = runtime.recorder.call(
            runtime.loop._now_ns, self.lanes, self.session_id, question, path, args is None,
            pipelined, target_call, stub or None, where,
        )
        hook = QuestionHook(self, question, call_seq, where)
        self.questions[question] = hook
        self.flush()
        return hook

    def remap(
        self,
        target: int,
        path: Path,
        captures: list[Hook],
        instructions: list[Any],
        origin: Origin,
        target_call: int | None,
        *,
        pipelined: bool = False,
    ) -> Hook:
        """Send a recorded ``map()`` of the peer's export ``target`` (at ``path``): one push whose
        path is empty and whose argument is the ``remap`` expression. Takes ``captures``."""
        stubs = []
        for hook in captures:
            target_of = getattr(hook, "session_target", None)
            if target_of is not None and self.target is not None and target_of() is self.target:
                # the binding this session was opened through: its main object there (as
                # Cap'n Web's main stub), not a new session from the callee to itself
                hook.dispose()
                hook = RemoteHook(self, 0)
            stubs.append(RpcStub._wrap(hook, None))
        try:
            return self.push(
                target, (), Expression(("remap", path, stubs, instructions)), None,  # type: ignore[arg-type]
                origin, target_call, pipelined=pipelined,
            )
        finally:  # (the message holds what it exported of them)
            for stub in stubs:
                stub._dispose("released")

    def stream_push(self, target: int, path: Path, args: list[Any], callback: Settled) -> None:
        """A write (or close, abort) into a writable end; ``callback(ok, value)`` on its ack."""
        if self.broken is not None:
            callback(False, self.broken)
            return
        payload = encode_value(args, None, limit=False)
        question = self.session.push(target, path, payload, stream=True)
        self.streams().waiters[question] = callback
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
        session = self.session
        session.drop(import_id)
        if session.outbox:
            self.flush()
        if self.opener is None and session.is_idle():  # (maybe_close)
            self.close()

    def flush(self) -> None:
        """Send everything the session has queued, recording each message as it leaves."""
        session = self.session
        outbox = session.outbox
        if not outbox:
            return
        session.outbox = []
        context = self.context
        runtime = self.runtime
        recorder = runtime.recorder
        log = recorder.events
        send = self.transport.send
        for message in outbox:
            kind = message[0]
            counted = kind in COUNTED_KINDS
            if counted and (kind is _RESOLVE or kind is _REJECT):
                streams = self._streams
                if streams is not None and message[1] in streams.answers:  # the ack of a stream write
                    streams.answers.discard(message[1])
                    counted = False
            seq = log.next
            size, arrival_ns = send(message, seq, counted)
            recorder.message(
                runtime.loop._now_ns, message, self.lanes, arrival_ns, size, self.session_id,
                context.cause if counted and context is not None else None, counted,
            )
            if arrival_ns is None:
                self._lost(seq)

    def _lost(self, seq: int) -> None:
        """A message was dropped (loss, or a link that is down): the session cannot go on."""
        runtime = self.runtime
        recorder = runtime.recorder
        recorder.add(FaultEvent(recorder.next_seq, runtime.now, "lost", self.worker, self.peer_worker, f"message {seq}"))
        link = runtime.network.link(self.worker, self.peer_worker)
        for end in (self, self.peer):
            if end is not None:
                if link.up:
                    text = Text.lost_message(self.worker, self.peer_worker, link.props.loss, end.retry_via())
                else:
                    text = Text.lost_to_cut(self.worker, self.peer_worker, end.retry_via())
                runtime.loop.call_soon(end.fail, ConnectionLost(text))

    def retry_via(self) -> str:
        """What a call that failed on this end can be retried on (for an error's advice): the
        caller's bindings to the peer (``env.S``), which connect anew for each call."""
        if self.durable_id is not None:
            return "the Durable Object stub"
        worker = self.runtime.workers.get(self.worker)
        services = worker.services.items() if worker is not None else ()
        names = sorted(name for name, (service, _) in services if service == self.peer_worker)
        return " or ".join(f"env.{name}" for name in names) if names else "a binding"

    # -- receiving -----------------------------------------------------------------------------

    def receive(self, message: Message, seq: int, counted: bool) -> None:
        """A message from the peer arrived (``seq``: its number in the trace)."""
        if self.broken is not None or self.closed:
            return  # the session died while this was in flight
        session = self.session
        try:
            opener = self.opener
            if opener is not None:
                self.opener = None
                first = message[0]
                opener(self, message[3] if first is _PUSH or first is _STREAM else ())
            context = self.context
            if counted and context is not None:
                context.cause = seq
            kind = message[0]
            entry = _RECEIVERS.get(kind) if type(kind) is Kind else None
            if entry is None:
                raise ProtocolError(f"unknown message kind {brief(kind)}")
            check, act = entry  # (the session was not aborted: we are not broken)
            event = check(session, message)
            if event is not None:
                act(self, event)
        except Exception as exc:  # whatever the peer sent: this session ends, nothing else
            self.protocol_error(exc, message)
            return
        if session.outbox:
            self.flush()
        if kind in _EMPTYING and not self.closed and self.broken is None and session.is_idle():
            self.close()

    def protocol_error(self, cause: Exception, message: object = None) -> None:
        """The peer sent something this end cannot accept (a malformed message, an id it was
        never given, a payload that does not decode): abort this session — and only it.

        As in Cap'n Web: an ``abort`` naming the cause goes to the peer, and the calls pending on
        both ends fail with the same :class:`~playground.errors.ProtocolError`. Other sessions,
        even between the same workers, are not touched."""
        if self.broken is not None or self.closed:
            return  # (it already died, e.g. a link cut while the message was being handled)
        importer, self._importing = self._importing, None
        if importer is not None:  # stubs made from a payload that did not finish decoding
            importer.discard()
        if not isinstance(cause, ProtocolError):
            cause = ProtocolError(f"{type(cause).__name__}: {cause}")
        what = f" (in {_describe(message)})" if message is not None else ""
        error = ProtocolError(
            f"RPC session aborted: {self.peer_worker} sent {self.worker} a message that breaks "
            f"the protocol{what}: {cause}"
        )
        error.__cause__ = cause
        self.runtime.note("error", self.worker, str(error))
        session = self.session
        if not session.aborted:
            session.outbox.clear()  # (replies to the bad message, or half of them)
            event = session.abort(encode_error(error, True))
            self.flush()
        else:
            event = SessionAborted(None, (), ())
        self._aborted(event, error)

    def _call_arrived(self, event: CallArrived) -> None:
        ident, _, target, path, args, stream = event
        hook: Hook
        group: list[Capability] | None = None
        if args is None:
            hook = target.get(path)  # type: ignore[attr-defined]
        else:
            values = unpack_plain(args) if is_plain(args) else decode_value(args, self._param_importer)
            remap = type(values) is Expression
            if not remap and type(values) is not list:
                raise ProtocolError(f"the arguments of {_PUSH} {ident} are not a list")
            kwargs = values.pop() if not remap and values and type(values[-1]) is Kwargs else None
            importer = self._importing
            try:
                if importer is not None and importer.embedded:  # (Cap'n Web: wait for them)
                    hook = self._call_when_settled(importer.embedded, values, kwargs, target, path)
                else:
                    hook = self._dispatch(values, kwargs, target, path, remap)
            except BaseException as exc:  # Ctrl-C in user code: keep the session consistent
                if self.broken is None and not self.closed:
                    error = RpcError(f"The call was interrupted ({type(exc).__name__}).")
                    self.session.set_answer(ident, ErrorHook(error))
                raise
        importer = self._importing
        if importer is not None:
            self._importing = None
            group = importer.group
        if self.broken is not None or self.closed:  # the call cut its own connection (a fault)
            hook.dispose()
            if group:
                for capability in group:
                    capability._dispose("released")
            return
        self.session.set_answer(ident, hook)
        if group:
            if self.params is None:
                self.params = {}
            self.params[ident] = group
        if stream:  # a write's acknowledgement carries nothing back (what write() returned is dropped)
            self.streams().answers.add(ident)
            hook.settle(lambda ok, value: self._answer(ident, ok, None if ok else value))

    def _remap_arrived(self, expression: Expression, target: Any, path: Path) -> Hook:
        """A recorded ``map()`` of our export ``target``: replayed here (see
        :func:`.stubs.map_hook`); its captures are stubs of the call's parameters."""
        if expression.op != "remap" or path:
            raise ProtocolError(f"a push whose arguments are {expression!r}: only a remap may stand for them")
        _, into, captures, instructions = expression
        hooks: list[Hook] = []
        for capture in captures:
            if not isinstance(capture, RpcStub):
                raise ProtocolError(f"a map() capture that is not a stub: {capture!r}")
            hooks.append(capture._capability_hook().dup())
        return map_hook(target, into, hooks, instructions, self.context)

    def _pull_arrived(self, event: PullArrived) -> None:
        answer, hook = event
        if type(hook) is ValueHook:  # the result is here: answer now
            self._settle_answer(answer, True, hook.value, hook)
        else:
            hook.settle(lambda ok, value: self._answer(answer, ok, value))  # type: ignore[attr-defined]

    def _pipe_arrived(self, event: PipeArrived) -> None:
        pipe = Pipe(self.runtime, self.peer_worker)
        self.streams().pipes[event.id] = pipe
        self.session.set_answer(event.id, WritableHook(pipe, self.context))

    def _export_released(self, event: ExportReleased) -> None:
        released: Hook = event.hook  # type: ignore[assignment]
        released.dispose()
        if self.params:
            self._dispose_params(event.id)
        self.registry.check(self.context)

    def _dispatch(self, values: Any, kwargs: Kwargs | None, target: Any, path: Path, remap: bool) -> Hook:
        """Make the call a push asked for, on ``target``."""
        if remap:
            return self._remap_arrived(values, target, path)
        if path == FETCH_PATH:
            request = values[0] if values else None
            if isinstance(request, Request):
                return target.fetch(request)  # type: ignore[no-any-return]
            return ErrorHook(TypeError("fetch() needs a Request"))
        return target.call(path, values, kwargs)  # type: ignore[no-any-return]

    def _call_when_settled(
        self, embedded: list[Any], values: Any, kwargs: Kwargs | None, target: Any, path: Path
    ) -> Hook:
        """A Cap'n Web peer passed promises of our own answers as arguments: make the call once
        they have settled, with their values (or fail it with the first one's error)."""
        answer = PromiseHook()

        def settled(ok: bool, arguments: Any) -> None:
            if self.broken is not None or self.closed:
                answer.fail(self.broken or ConnectionLost())
            elif not ok:
                answer.resolve(ErrorHook(arguments))
            else:
                answer.resolve(self._dispatch(arguments, kwargs, target, path, False))

        substitute(values, embedded, settled)
        return answer

    def _session_aborted(self, event: SessionAborted) -> None:
        """The peer aborted the session: what waits fails with the reason it gave (a
        :class:`~playground.errors.ProtocolError` naming what was wrong), or ConnectionLost."""
        error: BaseException = ConnectionLost()
        if event.reason is not None:
            try:
                reason = decode_value(event.reason)
            except Exception:
                reason = ProtocolError("the peer aborted the session (its reason could not be decoded)")
            if isinstance(reason, Exception):
                error = mark_remote(reason, self.durable_id)
        self._aborted(event, error)

    def _answer(self, answer: int, ok: bool, value: Any) -> None:
        """Send the settlement of one of our answers (if the peer still wants it)."""
        session = self.session
        if self.broken is not None or not session.is_unsettled(answer):
            return
        self._settle_answer(answer, ok, value, None)
        self.flush()
        self.maybe_close()

    def _settle_answer(self, answer: int, ok: bool, value: Any, hook: Any) -> None:
        """Queue the resolution (or rejection) of our answer ``answer``; its parameters are
        disposed then. ``hook``: the answer's hook, if at hand."""
        session = self.session
        try:
            if ok:
                self._params = False
                try:
                    payload = encode_value(value, self)
                except Exception as exc:
                    exporter, self._exporter = self._exporter, None
                    if exporter is not None:
                        exporter.rollback()
                    session.reject(answer, encode_error(exc, self.runtime.enhanced_errors))
                else:
                    exporter, self._exporter = self._exporter, None
                    if hook is None:
                        hook = session.export_hook(answer)
                    if isinstance(hook, Hook):
                        hook.mark_sent()
                    session.resolve(answer, payload)
                    if exporter is not None:
                        exporter.commit()
            else:
                session.reject(answer, encode_error(value, self.runtime.enhanced_errors))
        finally:
            if self.params:
                self._dispose_params(answer)

    def _dispose_params(self, answer: int) -> None:
        """Stubs received as a call's parameters are disposed once its result has been sent (or
        released unsent), unless the callee dup()ed them."""
        params = self.params
        if params:
            group = params.pop(answer, None)
            if group:
                for capability in group:
                    capability._dispose("released", _RETURNED)

    def _result_arrived(self, event: ResultArrived) -> None:
        ident, ok, payload = event
        streams = self._streams
        if streams is not None:
            waiter = streams.waiters.get(ident)
            if waiter is not None:  # the acknowledgement of a stream write
                value = decode_value(payload)
                del streams.waiters[ident]
                waiter(ok, value if ok else mark_remote(value, self.durable_id))
                return
        questions = self.questions
        hook = questions[ident]
        embedded = None
        if is_plain(payload):
            value = unpack_plain(payload)
        else:
            value = decode_value(payload, lambda: self._result_importer(hook))
            importer, self._importing = self._importing, None
            embedded = importer.embedded if importer is not None else None
        del questions[ident]
        if not ok:
            value = mark_remote(value, self.durable_id)
        if embedded:  # (Cap'n Web: promises inside the result, resolved by the peer later)
            substitute(value, embedded, hook.arrived)
            return
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
        if not self.closed and self.broken is None and self.opener is None and self.session.is_idle():
            self.close()

    def close(self) -> None:
        """The session ended normally (both tables empty): let go of our main object."""
        self.closed = True
        main = self.session.main
        if isinstance(main, Hook):
            main.dispose()
        self.transport.close()
        self.registry.connection_closed(self)

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
        streams = self._streams
        if streams is None:
            return
        for writer in list(streams.writers):
            if not writer.closed:
                writer.abort("unclosed")
        streams.writers.clear()
        for pipe in list(streams.readers):
            pipe.cancel(StreamCanceled("the reader's execution context ended"))
        streams.readers.clear()

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
                session.reject(export_id, encode_error(reason, self.runtime.enhanced_errors))
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
        streams = self._streams
        if streams is not None:
            waiters, streams.waiters = streams.waiters, {}
            for waiter in waiters.values():
                waiter(False, error)
            for pipe in [*streams.pipes.values(), *streams.readers]:
                pipe.fail(error)
            streams.pipes.clear()
        for answer in list(self.params or ()):
            self._dispose_params(answer)
        for hook in event.hooks:
            if isinstance(hook, Hook):
                hook.dispose()
        for question in event.questions:
            pending = self.questions.pop(question, None)
            if pending is not None:
                pending.arrived(False, error)
        self.closed = True
        self.transport.close()
        self.registry.connection_closed(self)


def _describe(message: object) -> str:
    """A message, in a few words, for an error (whatever the peer sent)."""
    try:
        kind, ident = message[0], message[1]  # type: ignore[index]
    except Exception:
        return f"a {type(message).__name__}"
    return f"{kind} {brief(ident)}" if type(kind) is Kind or type(kind) is str else f"a {type(message).__name__}"


#: For each kind of message: how the session checks it (and what event it returns), and what
#: the connection does with that event.
_RECEIVERS: dict[Kind, tuple[Callable[[Session, Any], Any], Callable[[Connection, Any], None]]] = {
    Kind.PUSH: (Session.receive_push, Connection._call_arrived),
    Kind.STREAM: (Session.receive_push, Connection._call_arrived),
    Kind.PIPE: (Session.receive_pipe, Connection._pipe_arrived),
    Kind.PULL: (Session.receive_pull, Connection._pull_arrived),
    Kind.RESOLVE: (Session.receive_result, Connection._result_arrived),
    Kind.REJECT: (Session.receive_result, Connection._result_arrived),
    Kind.RELEASE: (Session.receive_release, Connection._export_released),
    Kind.ABORT: (Session.receive_abort, Connection._session_aborted),
}
