"""Hooks for what lives on the other side of a session: imported stubs and remote results.

``RemoteHook`` is a capability the peer exported to us; calls on it are pushed at once.
``QuestionHook`` is the result of a call we sent: calls on it are pipelined (pushed, addressed
to the unresolved result); the first ``settle`` sends the pull; once the result is back the
import is released and later calls go to the resolved value. See :mod:`.contract` for the rules
every hook follows.

Both talk to their connection through :class:`Endpoint`, the few members of
:class:`~.connection.Connection` they use.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..protocol import Path
from .contract import Hook, Origin, Settled
from .context import ExecutionContext
from .hooks import dispose_value, pipeline_on_value
from .stubs import RpcStub

__all__ = ["Endpoint", "QuestionHook", "RemoteHook"]


class Endpoint(Protocol):
    """One end of a session, as remote hooks see it (see :mod:`.connection`)."""

    context: ExecutionContext | None
    peer_worker: str

    def push(
        self, target: int, path: Path, args: list[Any] | None, kwargs: dict[str, Any] | None,
        origin: Origin, target_call: int | None, *, pipelined: bool = False,
    ) -> Hook: ...

    def remap(
        self, target: int, path: Path, captures: list[Hook], instructions: list[Any], origin: Origin,
        target_call: int | None, *, pipelined: bool = False,
    ) -> Hook: ...

    def pull(self, question: int) -> None: ...

    def retain(self, import_id: int) -> None: ...

    def drop(self, import_id: int) -> None: ...


class RemoteHook(Hook):
    """A capability the peer of ``connection`` exported to us (or its main object, id 0)."""

    __slots__ = ("connection", "import_id", "_disposed")

    def __init__(self, connection: Endpoint, import_id: int) -> None:
        self.connection = connection
        self.import_id = import_id
        self._disposed = False

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return self.connection.push(self.import_id, path, args, kwargs, origin, None)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return self.connection.push(self.import_id, path, None, None, origin, None)

    def remap(self, path: Path, captures: list[Hook], instructions: list[Any], origin: Origin = None) -> Hook:
        """Send a recorded ``map()`` of this capability (at ``path``): see :func:`.stubs.map_hook`."""
        return self.connection.remap(self.import_id, path, captures, instructions, origin, None)

    def settle(self, callback: Settled) -> None:
        callback(True, RpcStub._wrap(self.dup(), self.connection.context))

    def dup(self) -> Hook:
        self.connection.retain(self.import_id)
        return RemoteHook(self.connection, self.import_id)

    def dispose(self) -> None:
        if not self._disposed:
            self._disposed = True
            self.connection.drop(self.import_id)

    def describe(self) -> str:
        return f"stub {self.import_id} from {self.connection.peer_worker}"

    @property
    def worker(self) -> str | None:
        return self.connection.peer_worker


class QuestionHook(Hook):
    """The result of a call sent to the peer. Calls on it are pipelined (pushed at once); the
    first ``settle`` sends the pull. Once the result has come back the import is released and
    calls go to the resolved value instead.

    The state lives on the first hook; a ``dup`` is a hook whose ``_q`` points to it.
    """

    __slots__ = (
        "connection", "id", "call_seq", "where", "refs", "pulled", "done", "ok", "value", "waiters",
        "released", "abandoned", "_q", "_disposed",
    )

    def __init__(
        self, connection: Endpoint, question_id: int, call_seq: int | None, where: tuple[str, int] | None = None
    ) -> None:
        self.connection = connection
        self.id = question_id
        self.call_seq = call_seq  # type: ignore[misc]
        self.where = where  # the user's line that made the call (for what its result holds)
        self.refs = 1
        self.pulled = False
        self.done = False
        self.ok = False
        self.value: Any = None
        self.waiters: list[Settled] | None = None
        self.released = False
        self.abandoned = False
        self._q: QuestionHook | None = None
        self._disposed = False

    @property
    def question_id(self) -> int:
        return (self._q or self).id

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        q = self._q or self
        if q.done:
            return pipeline_on_value(q.ok, q.value, path, args, kwargs, False, q.connection.context)
        return q.connection.push(q.id, path, args, kwargs, origin, q.call_seq, pipelined=True)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        q = self._q or self
        if q.done:
            return pipeline_on_value(q.ok, q.value, path, [], None, True, q.connection.context)
        return q.connection.push(q.id, path, None, None, origin, q.call_seq, pipelined=True)

    def remap(self, path: Path, captures: list[Hook], instructions: list[Any], origin: Origin = None) -> Hook | None:
        """Send a recorded ``map()`` of the result (pipelined); None once the result is here
        (the map is then replayed on it locally)."""
        q = self._q or self
        if q.done:
            return None
        return q.connection.remap(q.id, path, captures, instructions, origin, q.call_seq, pipelined=True)

    def settle(self, callback: Settled) -> None:
        q = self._q or self
        if q.done:
            callback(q.ok, q.value)
            return
        if q.waiters is None:
            q.waiters = [callback]
        else:
            q.waiters.append(callback)
        if not q.pulled:
            q.pulled = True
            q.connection.pull(q.id)

    def arrived(self, ok: bool, value: Any) -> None:
        """The result came back (called by the connection)."""
        q = self._q or self
        q.done, q.ok, q.value = True, ok, value
        if not q.released:
            q.released = True
            q.connection.drop(q.id)
        waiters, q.waiters = q.waiters, None
        if waiters:
            for waiter in waiters:
                waiter(ok, value)
        if q.abandoned and ok:
            dispose_value(value)

    def dup(self) -> Hook:
        q = self._q or self
        q.refs += 1
        twin = QuestionHook(q.connection, q.id, q.call_seq, q.where)
        twin._q = q
        return twin

    def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        q = self._q or self
        q.refs -= 1
        if q.refs:
            return
        if q.done:
            return
        if q.pulled:
            q.abandoned = True  # release once the result is here, or the answer would cross it
            return
        if not q.released:
            q.released = True
            q.connection.drop(q.id)

    def describe(self) -> str:
        q = self._q or self
        return f"result {q.id} from {q.connection.peer_worker}"

    @property
    def worker(self) -> str | None:
        return (self._q or self).connection.peer_worker
