"""Execution contexts and sessions: when they begin, when they end, what ending releases.

Theory of operation
-------------------
Every top-level call on a binding opens a *session* to a fresh *callee context* (for a Durable
Object, to the object's one long-lived context). Calls made later through stubs that came back
from it run in that same context. What a session is opened *to* is a :class:`SessionTarget`
(an entrypoint in :mod:`.bindings`, a Durable Object in :mod:`.durable`): this module opens and
ends sessions and contexts without knowing the kinds of target.

A callee context ends when nothing can reach into it any more: its own call has been answered
and released, the caller holds no stub into it, no ``wait_until`` work is pending, and no call
is being forwarded through it. Then, as in Workers:

* stubs it still holds (ones it ``dup()``ed and never disposed, results it never disposed) are
  released, with the runtime's warning naming each leak;
* stubs it handed on to third parties (it was their *introducer*) stop working: calls on them
  fail with ``The execution context which hosts this callback is no longer running.``

``ctx.abort(reason)`` ends a context at once: calls in flight fail with ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import RpcError, StubLeakWarning, Text
from ..protocol import Path
from ..trace import where_text
from ..transport import SimulatedTransport
from .connection import Connection
from .context import ExecutionContext
from .shared import Runtime
from .marshal import BindingCodec

__all__ = ["CLIENT_GONE", "Lifecycle", "SessionTarget"]

CLIENT_GONE = "The client's execution context ended, so this request was canceled."
_REQUEST = ("call", "fetch")


class SessionTarget(Protocol):
    """What a session is opened to (an entrypoint, a Durable Object)."""

    #: the worker that serves it
    worker: str
    #: the Durable Object's id (errors from it carry it), or None
    durable_id: str | None

    def prepare(self, lifecycle: Lifecycle) -> Callable[[Connection, Path], None]:
        """Check that the target exists (raise if not) and return its *opener*: called with the
        callee's end when the first message arrives, it makes the context and serves the main
        object on that end's session."""


class Lifecycle:
    """Opens sessions and contexts for one playground, and ends them."""

    def __init__(
        self, runtime: Runtime, bindings: BindingCodec, make_env: Callable[[str, ExecutionContext], Any]
    ) -> None:
        self.runtime = runtime
        self.bindings = bindings
        self._make_env = make_env
        self.hosts: dict[str, ExecutionContext] = {}
        self.contexts = runtime.contexts  # open callee and Durable Object contexts
        self._sessions: dict[int, tuple[Connection, Connection]] = {}  # open sessions: (caller's end, callee's)

    # -- contexts ------------------------------------------------------------------------------

    def host(self, worker: str) -> ExecutionContext:
        """The long-lived context that outside code (a notebook, a script) acts in."""
        context = self.hosts.get(worker)
        if context is None:
            context = ExecutionContext(self.runtime, self, worker, "host", "host")
            context.env = self._make_env(worker, context)
            self.hosts[worker] = context
        return context

    def new_context(self, worker: str, kind: str, label: str) -> ExecutionContext:
        runtime = self.runtime
        context = ExecutionContext(runtime, self, worker, kind, label)
        context.env = self._make_env(worker, context)
        self.contexts[context.id] = context
        runtime.recorder.context(runtime.loop._now_ns, "opened", worker, context.id, label)
        return context

    def attach(self, connection: Connection, context: ExecutionContext, *, served: bool = True) -> None:
        """``connection`` (a callee's end) belongs to ``context``, which was opened for it if
        ``served``."""
        connection.context = context
        context.connections.add(connection)
        if served:
            context.served = connection

    # -- sessions ------------------------------------------------------------------------------

    def open_session(self, caller: ExecutionContext, target: SessionTarget) -> Connection:
        """A new session from ``caller`` to ``target``; returns the caller's end."""
        runtime = self.runtime
        runtime.check_open()
        runtime.known(target.worker)
        opener = target.prepare(self)  # raises if the target does not exist
        session_id = runtime.next_id()
        bindings = self.bindings
        ours = Connection(runtime, self, bindings, caller, caller.worker, target.worker, session_id)
        theirs = Connection(runtime, self, bindings, None, target.worker, caller.worker, session_id)
        ours.peer, theirs.peer = theirs, ours
        network = runtime.network
        ours.transport = SimulatedTransport(network, caller.worker, target.worker, theirs.receive)
        theirs.transport = SimulatedTransport(network, target.worker, caller.worker, ours.receive)
        ours.durable_id = target.durable_id
        ours.target = target
        theirs.opener = opener
        self._sessions[session_id] = (ours, theirs)
        return ours

    def add_real(self, connection: Connection) -> None:
        """A session with a real peer: only ``connection``, our end, is in the playground."""
        self._sessions[connection.session_id] = (connection, _NO_END)  # type: ignore[assignment]

    def end_of(self, session_id: int, worker: str) -> Connection | None:
        """``worker``'s end of session ``session_id``, if that session is open."""
        ends = self._sessions.get(session_id)
        if ends is not None:
            for connection in ends:
                if connection.worker == worker and not connection.closed:
                    return connection
        return None

    def connections(self) -> list[Connection]:
        """Every connection end whose session has not ended."""
        return [c for ends in self._sessions.values() for c in ends if not c.closed]

    def connection_closed(self, connection: Connection) -> None:
        connection.transport = _CLOSED
        ends = self._sessions.get(connection.session_id)
        if ends is not None and ends[0].closed and ends[1].closed:
            del self._sessions[connection.session_id]
        context = connection.context
        if context is not None:
            context.connections.discard(connection)
            self.check(context)

    # -- ending ----------------------------------------------------------------------------------

    def check(self, context: ExecutionContext | None) -> None:
        """End ``context`` if nothing can reach into it any more."""
        if context is None or context.closed or context.kind not in _REQUEST:
            return
        if context.tasks and any(not task.done() for task in context.tasks):
            return
        served = context.served
        if served is not None and not served.closed and served.broken is None and served.session.has_exports():
            return
        for connection in context.connections:
            if connection is not served and not connection.closed and connection.session.has_answers():
                return  # a call is being forwarded through this context
        self.end(context)

    def check_all(self) -> None:
        for context in list(self.contexts.values()):
            self.check(context)

    def end(self, context: ExecutionContext, *, warn: bool = True) -> None:
        """End ``context``: release what it holds (warning about leaks), break what it lent."""
        if context.closed:
            return
        context.closed = True
        self.contexts.pop(context.id, None)
        runtime = self.runtime
        ledger = runtime.ledger
        held = list(context.handles) if context.handles else []
        if held and warn:
            runtime.note("warning", context.worker, Text.STUB_LEAK)
            where = None  # the user's line that made the first leaked stub: the warning names it
            for rid in held:
                record = ledger.get(rid)
                if record is not None:
                    runtime.note("warning", context.worker, f"leaked: {ledger.describe(record)}")
                    where = where or record.where
            first = f"; the first made at {where_text(where)}" if where is not None else ""
            runtime.warn(
                f"{Text.STUB_LEAK} ({len(held)} stub(s) in {context.worker}, {context.label}{first}; "
                "see play.trace)",
                StubLeakWarning,
                where,
            )
        served = context.served
        connections = context.connections
        callees = [
            c.peer.context
            for c in connections
            if c is not served and c.peer is not None and c.peer.context is not None
            and c.peer.context.served is c.peer and c.peer.context.kind in _REQUEST
        ] if len(connections) > (served is not None) else []
        for rid in held:
            ledger.release(rid)
        for connection in list(connections):
            if connection is not served:
                connection.break_exports(RpcError(Text.CONTEXT_GONE))
            connection.end_streams()
        runtime.recorder.context(runtime.loop._now_ns, "closed", context.worker, context.id, context.label)
        if callees:  # a client that is gone has disconnected: calls it made are canceled
            runtime.fail_running(RpcError(CLIENT_GONE), lambda c: c in callees)  # (wait_until work goes on)

    def abort(self, context: ExecutionContext, reason: BaseException) -> None:
        """``ctx.abort(reason)``: fail every call in flight in ``context`` and end it now."""
        if context.closed:
            return
        if context.on_abort is not None:
            context.on_abort(reason)
        self.runtime.fail_running(reason, lambda c: c is context)
        for task in list(context.tasks or ()):
            task.cancel()
        for connection in list(context.connections):
            connection.abort_answers(reason, Text.CONTEXT_GONE)
        self.end(context, warn=False)


class _Closed:
    """The transport of a connection whose session ended: whatever it is asked to send is
    lost (nothing should be; the sender then fails, which does nothing once closed)."""

    __slots__ = ()

    def send(self, message: Any, seq: int, counted: bool) -> tuple[int, int | None]:
        return 0, None

    def close(self) -> None:
        pass


_CLOSED = _Closed()


class _NoEnd:
    """Where the other end of a session with a real peer would be: outside the playground."""

    __slots__ = ()
    closed = True
    worker = ""


_NO_END = _NoEnd()
