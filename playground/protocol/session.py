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
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError
from .messages import Abort, Kind, Message, Path, Pipe, Pull, Push, Reject, Release, Resolve, Stream

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


@dataclass(frozen=True, slots=True)
class CallArrived:
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


@dataclass(frozen=True, slots=True)
class PipeArrived:
    """The peer asked for a pipe: the runtime must make one and report its writable end's hook
    with :meth:`Session.set_answer` (``id`` is that export's id)."""

    id: int


@dataclass(frozen=True, slots=True)
class PullArrived:
    """The peer wants the resolution of our export ``id`` (whose hook is ``target``)."""

    id: int
    target: object


@dataclass(frozen=True, slots=True)
class ResultArrived:
    """Our question ``id`` settled: ``ok`` with an encoded value, or not with an encoded error."""

    id: int
    ok: bool
    payload: bytes


@dataclass(frozen=True, slots=True)
class ExportReleased:
    """The peer dropped our export ``id`` for good; the runtime should dispose ``hook``."""

    id: int
    hook: object


@dataclass(frozen=True, slots=True)
class SessionAborted:
    """The session is dead. ``hooks`` were exported and must be disposed; ``questions`` were
    still unanswered and must fail."""

    reason: bytes | None
    hooks: tuple[object, ...]
    questions: tuple[int, ...]


Event = CallArrived | PipeArrived | PullArrived | ResultArrived | ExportReleased | SessionAborted | None


# -- table entries ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Export:
    hook: object
    refcount: int = 1
    answer: bool = False  # the result of one of the peer's pushes
    promise: bool = False  # may be pulled: an answer, or a promise we exported
    pulled: bool = False
    settled: bool = False
    stream: bool = False  # answered stream pushes leave the table by themselves


@dataclass(slots=True)
class _Import:
    remote: int = 1  # times the peer introduced this id to us
    local: int = 1  # handles on our side (stubs, promises, dups)
    question: bool = False  # the result of one of our pushes
    promise: bool = False  # may be pulled: a question, or a promise the peer exported
    pulled: bool = False
    settled: bool = False
    stream: bool = False


class Session:
    """One end of a session. ``main`` is the hook of our main object (id 0), if we serve one."""

    __slots__ = (
        "main",
        "_exports",
        "_imports",
        "_next_question",
        "_next_export",
        "_their_next_question",
        "_outbox",
        "aborted",
    )

    def __init__(self, main: object | None = None) -> None:
        self.main = main
        self._exports: dict[int, _Export] = {} if main is None else {MAIN: _Export(main)}
        self._imports: dict[int, _Import] = {}
        self._next_question = 1
        self._next_export = -1
        self._their_next_question = 1
        self._outbox: list[Message] = []
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
        return not self._imports and not self.has_exports()

    def has_exports(self) -> bool:
        """Whether the peer still holds anything of ours besides the main object."""
        exports = self._exports
        return len(exports) > (1 if MAIN in exports else 0)

    def has_answers(self) -> bool:
        """Whether a call the peer made is still being answered (or not yet released)."""
        return any(e.answer for e in self._exports.values())

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
        out, self._outbox = self._outbox, []
        return out

    # -- what we send -------------------------------------------------------------------------

    def push(self, target: int, path: Path, args: bytes | None, *, stream: bool = False) -> int:
        """Call (or read, when ``args`` is None) ``path`` on the peer's export ``target``.

        Returns the new question's import id. ``target`` may itself be a question whose answer
        has not come back: the peer queues the call behind it (promise pipelining). A
        ``stream`` push is pulled and released implicitly and cannot be pipelined on.
        """
        self._check_alive()
        if target != MAIN and target not in self._imports:
            raise ProtocolError(f"push to import {target}, which this session does not hold")
        question = self._new_question()
        if stream:
            self._imports[question] = _Import(question=True, promise=True, pulled=True, stream=True)
            self._outbox.append(Stream(question, target, path, args))
        else:
            self._imports[question] = _Import(question=True, promise=True)
            self._outbox.append(Push(question, target, path, args))
        return question

    def pipe(self) -> int:
        """Ask the peer for a pipe; returns our import id of its writable end (a new question
        id), which ``Stream`` pushes can target at once."""
        self._check_alive()
        question = self._new_question()
        self._imports[question] = _Import(question=True)
        self._outbox.append(Pipe(question))
        return question

    def _new_question(self) -> int:
        question = self._next_question
        self._next_question += 1
        return question

    def unpipe(self, question: int) -> None:
        """Take back the pipe just asked for, before anything else was queued (a failed encode)."""
        if question != self._next_question - 1 or not self._outbox or self._outbox[-1] != Pipe(question):
            raise ProtocolError(f"pipe {question} cannot be taken back")
        self._outbox.pop()
        del self._imports[question]
        self._next_question -= 1

    def pull(self, import_id: int) -> bool:
        """Ask for the resolution of a question or an imported promise.

        Returns False if it was already asked for."""
        self._check_alive()
        entry = self._import(import_id)
        if not entry.promise:
            raise ProtocolError(f"pull of import {import_id}, which is not a promise")
        if entry.pulled:
            return False
        entry.pulled = True
        self._outbox.append(Pull(import_id))
        return True

    def introduce(self, import_id: int, *, promise: bool = False) -> None:
        """The peer introduced its export ``import_id`` to us in a payload; we hold one handle."""
        self._check_alive()
        if import_id >= 0:
            raise ProtocolError(f"the peer introduced export {import_id}; exports are negative")
        entry = self._imports.get(import_id)
        if entry is None:
            self._imports[import_id] = _Import(promise=promise)
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
        entry = self._import(import_id)
        entry.local -= 1
        if entry.local > 0:
            return
        del self._imports[import_id]
        self._outbox.append(Release(import_id, entry.remote))

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
        entry = self._export(answer_id)
        if not entry.answer or entry.hook is not None:
            raise ProtocolError(f"export {answer_id} is not an answer waiting for its hook")
        entry.hook = hook

    def resolve(self, answer_id: int, value: bytes) -> None:
        """Send the resolution of a pulled answer (a stream answer then leaves the table)."""
        self._settle(answer_id)
        self._outbox.append(Resolve(answer_id, value))

    def reject(self, answer_id: int, error: bytes) -> None:
        """Send the failure of a pulled answer."""
        self._settle(answer_id)
        self._outbox.append(Reject(answer_id, error))

    def abort(self, reason: bytes | None) -> SessionAborted:
        """End the session: tell the peer (when ``reason`` is given) and empty both tables."""
        if reason is not None and not self.aborted:
            self._outbox.append(Abort(reason))
        return self._die(reason)

    # -- what we receive -----------------------------------------------------------------------

    def receive(self, message: Message) -> Event:
        """Check ``message`` against the tables and say what the runtime must do."""
        if self.aborted:
            raise ProtocolError(f"{message.kind} received on an aborted session")
        handler = _RECEIVERS.get(message.kind)
        if handler is None:
            raise ProtocolError(f"unknown message {message!r}")
        return handler(self, message)

    def _receive_push(self, message: Push | Stream) -> Event:
        self._check_question(message)
        target = self._export(message.target)
        self._their_next_question += 1
        stream = message.kind is Kind.STREAM
        self._exports[message.id] = _Export(None, answer=True, promise=True, pulled=stream, stream=stream)
        return CallArrived(message.id, message.target, target.hook, message.path, message.args, stream)

    def _receive_pipe(self, message: Pipe) -> Event:
        self._check_question(message)
        self._their_next_question += 1
        self._exports[message.id] = _Export(None, answer=True)
        return PipeArrived(message.id)

    def _check_question(self, message: Push | Stream | Pipe) -> None:
        """The peer numbers its questions in order, from 1; a gap or a repeat is an error."""
        if message.id != self._their_next_question:
            raise ProtocolError(
                f"{message.kind} with id {message.id}; the next question id must be {self._their_next_question}"
            )

    def _receive_pull(self, message: Pull) -> Event:
        entry = self._export(message.id)
        if not entry.promise:
            raise ProtocolError(f"pull of export {message.id}, which is not a promise")
        if entry.pulled:
            raise ProtocolError(f"export {message.id} was pulled twice")
        entry.pulled = True
        return PullArrived(message.id, entry.hook)

    def _receive_result(self, message: Resolve | Reject) -> Event:
        entry = self._import(message.id)
        if not entry.promise or not entry.pulled or entry.settled:
            raise ProtocolError(
                f"{message.kind} of import {message.id}, which was not a pulled, unsettled promise"
            )
        entry.settled = True
        if entry.stream:
            del self._imports[message.id]
        if message.kind is Kind.RESOLVE:
            return ResultArrived(message.id, True, message.value)  # type: ignore[union-attr]
        return ResultArrived(message.id, False, message.error)  # type: ignore[union-attr]

    def _receive_release(self, message: Release) -> Event:
        if message.id == MAIN:
            raise ProtocolError("release of the main export; it lives as long as the session")
        export = self._export(message.id)
        if message.refcount < 1 or message.refcount > export.refcount:
            raise ProtocolError(
                f"release of export {message.id} with refcount {message.refcount}; "
                f"it was introduced {export.refcount} time(s)"
            )
        export.refcount -= message.refcount
        if export.refcount:
            return None
        del self._exports[message.id]
        return ExportReleased(message.id, export.hook)

    def _receive_abort(self, message: Abort) -> Event:
        return self._die(message.reason)

    # -- internals --------------------------------------------------------------------------

    def _settle(self, answer_id: int) -> None:
        self._check_alive()
        entry = self._export(answer_id)
        if not entry.promise or not entry.pulled or entry.settled:
            raise ProtocolError(f"export {answer_id} is not a pulled, unsettled promise")
        entry.settled = True
        if entry.stream:
            del self._exports[answer_id]

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


_RECEIVERS: dict[Kind, Callable[[Session, Any], Event]] = {
    Kind.PUSH: Session._receive_push,
    Kind.STREAM: Session._receive_push,
    Kind.PIPE: Session._receive_pipe,
    Kind.PULL: Session._receive_pull,
    Kind.RESOLVE: Session._receive_result,
    Kind.REJECT: Session._receive_result,
    Kind.RELEASE: Session._receive_release,
    Kind.ABORT: Session._receive_abort,
}
