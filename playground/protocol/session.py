"""One end of an RPC session: import and export tables, refcounts, and message bookkeeping.

Theory of operation
-------------------
A :class:`Session` is sans-I/O: it owns no clock, no event loop, no codec and no network.
Methods named after messages (``push``, ``pull``, ``resolve``...) record what we send and queue
the message in an outbox; :meth:`Session.receive` takes a message from the peer, checks it
against the tables and returns an event saying what the runtime must do. :meth:`take_outgoing`
hands the queued messages to whoever carries them.

The tables hold *hooks*: opaque objects the runtime gives us (a local target, a pending result,
a stub proxied to a third party). The session never calls them; it only stores them, looks them
up by id and hands them back in events, so that pipelined calls addressed to an answer that has
not resolved yet reach the runtime's hook for that answer, which queues them.

Table states, per id:

=========  ===============================================  ===================================
table      entry created by                                 entry removed by
=========  ===============================================  ===================================
imports    our ``push`` (a question, positive id) or a       our last local ``drop`` → Release
           capability the peer introduced (``introduce``)   with the count of introductions
exports    the peer's push (an answer, positive id) or our   the peer's Release, when its count
           ``export`` of a hook in a payload (negative id)  reaches the number of introductions
=========  ===============================================  ===================================

Every inconsistency (an id we do not know, a release of more than we introduced, a resolution
nobody asked for) raises :class:`~playground.errors.ProtocolError`; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import ProtocolError, brief
from .messages import (
    MESSAGE_TYPES,
    Abort,
    Kind,
    Message,
    Path,
    Pipe,
    Pull,
    Push,
    Reject,
    Release,
    Resolve,
    Stream,
    is_path,
)

__all__ = [
    "CallArrived",
    "Event",
    "ExportReleased",
    "PipeArrived",
    "PullArrived",
    "ResultArrived",
    "Session",
    "SessionAborted",
]

MAIN = 0


# -- events: what the runtime must do after a message arrived ----------------------------
# Events are named tuples (cheap: one is made per message received); two events compare equal
# only if they are of the same type.


def _same_type_eq(a: tuple[Any, ...], b: object) -> bool:
    return type(a) is type(b) and tuple.__eq__(a, b)  # type: ignore[arg-type]


def _same_type_ne(a: tuple[Any, ...], b: object) -> bool:
    return not _same_type_eq(a, b)


class CallArrived(NamedTuple):
    """The peer called (or read) ``path`` on our export ``target_id``.

    The runtime must evaluate it on ``target`` and report the result's hook with
    :meth:`Session.set_answer` before the next message is received.
    """

    id: int
    target_id: int
    target: object
    path: Path
    args: bytes | None
    stream: bool


class PipeArrived(NamedTuple):
    """The peer asked for a pipe: the runtime must make one and report its writable end's hook
    with :meth:`Session.set_answer` (``id`` is that export's id)."""

    id: int


class PullArrived(NamedTuple):
    """The peer wants the resolution of our export ``id`` (whose hook is ``target``)."""

    id: int
    target: object


class ResultArrived(NamedTuple):
    """Our question ``id`` settled: ``ok`` with an encoded value, or not with an encoded error."""

    id: int
    ok: bool
    payload: bytes


class ExportReleased(NamedTuple):
    """The peer dropped our export ``id`` for good; the runtime should dispose ``hook``."""

    id: int
    hook: object


class SessionAborted(NamedTuple):
    """The session is dead. ``hooks`` were exported and must be disposed; ``questions`` were
    still unanswered and must fail."""

    reason: bytes | None
    hooks: tuple[object, ...]
    questions: tuple[int, ...]


for _event in (CallArrived, PipeArrived, PullArrived, ResultArrived, ExportReleased, SessionAborted):
    _event.__eq__ = _same_type_eq  # type: ignore[method-assign,assignment]
    _event.__ne__ = _same_type_ne  # type: ignore[method-assign,assignment]
    _event.__hash__ = tuple.__hash__  # type: ignore[method-assign,assignment]

Event = CallArrived | PipeArrived | PullArrived | ResultArrived | ExportReleased | SessionAborted | None


# -- table entries ---------------------------------------------------------------------------


class _Export:
    __slots__ = ("hook", "refcount", "answer", "promise", "pulled", "settled", "stream")

    def __init__(
        self,
        hook: object,
        answer: bool = False,  # the result of one of the peer's pushes
        promise: bool = False,  # may be pulled: an answer, or a promise we exported
        pulled: bool = False,
        stream: bool = False,  # answered stream pushes leave the table by themselves
    ) -> None:
        self.hook = hook
        self.refcount = 1
        self.answer = answer
        self.promise = promise
        self.pulled = pulled
        self.settled = False
        self.stream = stream


class _Import:
    __slots__ = ("remote", "local", "question", "promise", "pulled", "settled", "stream")

    def __init__(
        self,
        question: bool = False,  # the result of one of our pushes
        promise: bool = False,  # may be pulled: a question, or a promise the peer exported
        pulled: bool = False,
        stream: bool = False,
    ) -> None:
        self.remote = 1  # times the peer introduced this id to us
        self.local = 1  # handles on our side (stubs, promises, dups)
        self.question = question
        self.promise = promise
        self.pulled = pulled
        self.settled = False
        self.stream = stream


class Session:
    """One end of a session. ``main`` is the hook of our main object (id 0), if we serve one."""

    __slots__ = (
        "main",
        "_exports",
        "_imports",
        "_next_question",
        "_next_export",
        "_their_next_question",
        "outbox",
        "aborted",
    )

    def __init__(self, main: object | None = None) -> None:
        self.main = main
        self._exports: dict[int, _Export] = {} if main is None else {MAIN: _Export(main)}
        self._imports: dict[int, _Import] = {}
        self._next_question = 1
        self._next_export = -1
        self._their_next_question = 1
        #: Messages queued to send, in order (:meth:`take_outgoing` takes them all).
        self.outbox: list[Message] = []
        self.aborted = False

    # -- introspection ----------------------------------------------------------------------

    @property
    def imports(self) -> dict[int, int]:
        """Import id → local handle count (a snapshot, for tests and leak checks)."""
        return {i: e.local for i, e in self._imports.items()}

    @property
    def exports(self) -> dict[int, int]:
        """Export id → refcount (a snapshot; the main object is not listed)."""
        return {i: e.refcount for i, e in self._exports.items() if i != MAIN}

    def is_idle(self) -> bool:
        """True when nothing but the main object is left in either table."""
        if self._imports:
            return False
        exports = self._exports
        return not exports or (len(exports) == 1 and MAIN in exports)

    def has_exports(self) -> bool:
        """Whether the peer still holds anything of ours besides the main object."""
        exports = self._exports
        return len(exports) > (1 if MAIN in exports else 0)

    def has_answers(self) -> bool:
        """Whether a call the peer made is still being answered (or not yet released)."""
        return any(e.answer for e in self._exports.values())

    def has_outgoing(self) -> bool:
        """Whether messages are queued (see :meth:`take_outgoing`)."""
        return bool(self.outbox)

    def exported(self) -> list[tuple[int, object, bool, bool]]:
        """``(id, hook, pulled_and_unsettled, answer)`` for every export but the main object."""
        return [
            (i, e.hook, e.pulled and not e.settled, e.answer)
            for i, e in self._exports.items()
            if i != MAIN
        ]

    def replace_hook(self, export_id: int, hook: object) -> object:
        """Put ``hook`` in place of an export's hook (a context ended); returns the old one."""
        entry = self._export(export_id)
        old, entry.hook = entry.hook, hook
        return old

    def is_unsettled(self, export_id: int) -> bool:
        """A promise export that was pulled and not yet resolved or rejected."""
        entry = self._exports.get(export_id)
        return entry is not None and entry.pulled and not entry.settled

    def export_hook(self, export_id: int) -> object:
        """The hook stored for our export ``export_id``."""
        return self._export(export_id).hook

    def take_outgoing(self) -> list[Message]:
        """Messages queued since the last call, in the order they must be sent."""
        out, self.outbox = self.outbox, []
        return out

    # -- what we send -------------------------------------------------------------------------

    def push(self, target: int, path: Path, args: bytes | None, stream: bool = False) -> int:
        """Call (or read, when ``args`` is None) ``path`` on the peer's export ``target``.

        Returns the new question's import id. ``target`` may itself be a question whose answer
        has not come back: the peer queues the call behind it (promise pipelining). A
        ``stream`` push is pulled and released implicitly and cannot be pipelined on.
        """
        if self.aborted:
            raise ProtocolError("this session was aborted")
        if target != MAIN and target not in self._imports:
            raise ProtocolError(f"push to import {target}, which this session does not hold")
        question = self._next_question
        self._next_question = question + 1
        if stream:
            self._imports[question] = _Import(True, True, True, True)
            self.outbox.append(_new(Stream, (Kind.STREAM, question, target, path, args)))
        else:
            self._imports[question] = _Import(True, True)
            self.outbox.append(_new(Push, (Kind.PUSH, question, target, path, args)))
        return question

    def pipe(self) -> int:
        """Ask the peer for a pipe; returns our import id of its writable end (a new question
        id), which ``Stream`` pushes can target at once."""
        self._check_alive()
        question = self._next_question
        self._next_question = question + 1
        self._imports[question] = _Import(question=True)
        self.outbox.append(Pipe(question))
        return question

    def unpipe(self, question: int) -> None:
        """Take back the pipe just asked for, before anything else was queued (a failed encode)."""
        if question != self._next_question - 1 or not self.outbox or self.outbox[-1] != Pipe(question):
            raise ProtocolError(f"pipe {question} cannot be taken back")
        self.outbox.pop()
        del self._imports[question]
        self._next_question -= 1

    def pull(self, import_id: int) -> bool:
        """Ask for the resolution of a question or an imported promise.

        Returns False if it was already asked for."""
        if self.aborted:
            raise ProtocolError("this session was aborted")
        entry = self._imports.get(import_id)
        if entry is None:
            raise ProtocolError(f"unknown import id {import_id}")
        if not entry.promise:
            raise ProtocolError(f"pull of import {import_id}, which is not a promise")
        if entry.pulled:
            return False
        entry.pulled = True
        self.outbox.append(_new(Pull, (Kind.PULL, import_id)))
        return True

    def introduce(self, import_id: int, *, promise: bool = False, resolves_itself: bool = False) -> None:
        """The peer introduced its export ``import_id`` to us in a payload; we hold one handle.
        ``resolves_itself``: a promise the peer will resolve without being pulled (Cap'n Web
        resolves the promises it exports as they settle)."""
        self._check_alive()
        if import_id >= 0:
            raise ProtocolError(f"the peer introduced export {import_id}; exports are negative")
        entry = self._imports.get(import_id)
        if entry is None:
            entry = self._imports[import_id] = _Import(promise=promise or resolves_itself)
            entry.pulled = resolves_itself
        elif (promise or resolves_itself) != entry.promise:
            raise ProtocolError(f"the peer introduced export {import_id} again as something else")
        else:
            entry.remote += 1
            entry.local += 1

    def retain(self, import_id: int) -> None:
        """One more local handle on an import (a ``dup()``)."""
        if import_id == MAIN:
            return
        self._import(import_id).local += 1

    def drop(self, import_id: int) -> None:
        """One local handle fewer; the last one sends ``Release`` with the introduction count."""
        if import_id == MAIN or self.aborted:
            return
        imports = self._imports
        entry = imports.get(import_id)
        if entry is None:
            raise ProtocolError(f"unknown import id {import_id}")
        entry.local -= 1
        if entry.local > 0:
            return
        del imports[import_id]
        self.outbox.append(_new(Release, (Kind.RELEASE, import_id, entry.remote)))

    def export(self, hook: object, *, promise: bool = False) -> int:
        """Add ``hook`` to our exports, introduced once; returns its (negative) id.

        A ``promise`` export may be pulled by the peer; we then send its resolution."""
        self._check_alive()
        export_id = self._next_export
        self._next_export -= 1
        self._exports[export_id] = _Export(hook, promise=promise)
        return export_id

    def unexport(self, export_id: int) -> object:
        """Take back an export that was never sent (its message failed to encode)."""
        entry = self._export(export_id)
        if export_id >= 0 or entry.refcount != 1:
            raise ProtocolError(f"export {export_id} cannot be taken back")
        del self._exports[export_id]
        return entry.hook

    def has_export(self, export_id: int) -> bool:
        return export_id in self._exports

    def serve(self, main: object) -> None:
        """Start serving ``main`` as export 0 (for an end whose main object is made lazily)."""
        if MAIN in self._exports:
            raise ProtocolError("this session already serves a main object")
        self.main = main
        self._exports[MAIN] = _Export(main)

    def set_answer(self, answer_id: int, hook: object) -> None:
        """Record the hook for the answer to the peer's push ``answer_id``."""
        entry = self._exports.get(answer_id)
        if entry is None:
            raise ProtocolError(f"unknown export id {answer_id}")
        if not entry.answer or entry.hook is not None:
            raise ProtocolError(f"export {answer_id} is not an answer waiting for its hook")
        entry.hook = hook

    def resolve(self, answer_id: int, value: bytes) -> None:
        """Send the resolution of a pulled answer (a stream answer then leaves the table)."""
        self._settle(answer_id)
        self.outbox.append(_new(Resolve, (Kind.RESOLVE, answer_id, value)))

    def reject(self, answer_id: int, error: bytes) -> None:
        """Send the failure of a pulled answer."""
        self._settle(answer_id)
        self.outbox.append(_new(Reject, (Kind.REJECT, answer_id, error)))

    def abort(self, reason: bytes | None) -> SessionAborted:
        """End the session: tell the peer (when ``reason`` is given) and empty both tables."""
        if reason is not None and not self.aborted:
            self.outbox.append(Abort(reason))
        return self._die(reason)

    # -- what we receive -----------------------------------------------------------------------

    def receive(self, message: Message) -> Event:
        """Check ``message`` against the tables and say what the runtime must do.

        ``receive_<kind>`` does it for one kind of message; a driver that already knows the kind
        (a connection dispatching on it) may call that directly, on a session not aborted."""
        cls = type(message)
        if cls not in _CLASSES or len(message) != len(cls.FIELDS) + 1 or message[0] is not cls.KIND:
            raise ProtocolError(f"not a message: {brief(message)}")
        if self.aborted:
            raise ProtocolError(f"{message[0]} received on an aborted session")
        return _RECEIVERS[message[0]](self, message)

    def receive_push(self, message: Push | Stream) -> Event:
        _, ident, target_id, path, args = message
        if type(ident) is not int or ident != self._their_next_question:
            raise ProtocolError(
                f"{message.kind} with id {ident}; the next question id must be {self._their_next_question}"
            )
        exports = self._exports
        target = exports.get(target_id) if type(target_id) is int else None
        if target is None:
            raise ProtocolError(f"{message[0]} to unknown export id {brief(target_id)}")
        if not (args is None or type(args) is bytes) or not is_path(path):
            raise ProtocolError(f"malformed {message[0]}: the path must be names and indexes, the arguments bytes")
        self._their_next_question = ident + 1
        if message[0] is Kind.STREAM:
            exports[ident] = _Export(None, True, True, True, True)
            return _new(CallArrived, (ident, target_id, target.hook, path, args, True))
        exports[ident] = _Export(None, True, True)
        return _new(CallArrived, (ident, target_id, target.hook, path, args, False))

    def receive_pipe(self, message: Pipe) -> Event:
        self._check_question(message)
        self._their_next_question += 1
        self._exports[message.id] = _Export(None, answer=True)
        return PipeArrived(message.id)

    def _check_question(self, message: Push | Stream | Pipe) -> None:
        """The peer numbers its questions in order, from 1; a gap or a repeat is an error."""
        if type(message.id) is not int or message.id != self._their_next_question:
            raise ProtocolError(
                f"{message.kind} with id {brief(message.id)}; the next question id must be "
                f"{self._their_next_question}"
            )

    def receive_pull(self, message: Pull) -> Event:
        ident = message[1]
        entry = self._exports.get(ident) if type(ident) is int else None
        if entry is None:
            raise ProtocolError(f"pull of unknown export id {brief(ident)}")
        if not entry.promise:
            raise ProtocolError(f"pull of export {ident}, which is not a promise")
        if entry.pulled:
            raise ProtocolError(f"export {ident} was pulled twice")
        entry.pulled = True
        return _new(PullArrived, (ident, entry.hook))

    def receive_result(self, message: Resolve | Reject) -> Event:
        kind, ident, payload = message
        imports = self._imports
        entry = imports.get(ident) if type(ident) is int else None
        if entry is None:
            raise ProtocolError(f"{kind} of unknown import id {brief(ident)}")
        if type(payload) is not bytes:
            raise ProtocolError(f"malformed {kind} of import {ident}: the payload is not bytes")
        if not entry.promise or not entry.pulled or entry.settled:
            raise ProtocolError(f"{kind} of import {ident}, which was not a pulled, unsettled promise")
        entry.settled = True
        if entry.stream:
            del imports[ident]
        return _new(ResultArrived, (ident, kind is Kind.RESOLVE, payload))

    def receive_release(self, message: Release) -> Event:
        _, ident, refcount = message
        if ident == MAIN and type(ident) is int:
            raise ProtocolError("release of the main export; it lives as long as the session")
        exports = self._exports
        export = exports.get(ident) if type(ident) is int else None
        if export is None:
            raise ProtocolError(f"release of unknown export id {brief(ident)}")
        if type(refcount) is not int or refcount < 1 or refcount > export.refcount:
            raise ProtocolError(
                f"release of export {ident} with refcount {brief(refcount)}; "
                f"it was introduced {export.refcount} time(s)"
            )
        export.refcount -= refcount
        if export.refcount:
            return None
        del exports[ident]
        return _new(ExportReleased, (ident, export.hook))

    def receive_abort(self, message: Abort) -> Event:
        reason = message[1]
        return self._die(reason if type(reason) is bytes else None)

    # -- internals --------------------------------------------------------------------------

    def _settle(self, answer_id: int) -> None:
        if self.aborted:
            raise ProtocolError("this session was aborted")
        exports = self._exports
        entry = exports.get(answer_id)
        if entry is None:
            raise ProtocolError(f"unknown export id {answer_id}")
        if not entry.promise or not entry.pulled or entry.settled:
            raise ProtocolError(f"export {answer_id} is not a pulled, unsettled promise")
        entry.settled = True
        if entry.stream:
            del exports[answer_id]

    def _die(self, reason: bytes | None) -> SessionAborted:
        hooks = tuple(e.hook for i, e in self._exports.items() if e.hook is not None)
        questions = tuple(i for i, e in self._imports.items() if e.promise and not e.settled)
        self._exports.clear()
        self._imports.clear()
        self.aborted = True
        return SessionAborted(reason, hooks, questions)

    def _check_alive(self) -> None:
        if self.aborted:
            raise ProtocolError("this session was aborted")

    def _export(self, export_id: int) -> _Export:
        try:
            return self._exports[export_id]
        except KeyError:
            raise ProtocolError(f"unknown export id {export_id}") from None

    def _import(self, import_id: int) -> _Import:
        try:
            return self._imports[import_id]
        except KeyError:
            raise ProtocolError(f"unknown import id {import_id}") from None


_new = tuple.__new__
_CLASSES = frozenset(MESSAGE_TYPES.values())


_RECEIVERS: dict[Kind, Callable[[Session, Any], Event]] = {
    Kind.PUSH: Session.receive_push,
    Kind.STREAM: Session.receive_push,
    Kind.PIPE: Session.receive_pipe,
    Kind.PULL: Session.receive_pull,
    Kind.RESOLVE: Session.receive_result,
    Kind.REJECT: Session.receive_result,
    Kind.RELEASE: Session.receive_release,
    Kind.ABORT: Session.receive_abort,
}
