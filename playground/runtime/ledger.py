"""The ledger of live stubs: who owns each, what it points to, where it was made, since when.

Every stub handle (and every promise still holding a remote result) gets a record when it is
made and loses it when it is disposed, transferred or released; each change is also a
:class:`~playground.trace.StubEvent`. ``play.stubs()`` and ``play.leaks()`` read this ledger.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Protocol

from ..sim.clock import NS, VirtualLoop
from ..trace import Recorder, StubEvent, Where, where_text

__all__ = ["Ledger", "StubInfo"]

_new_record = object.__new__
_weakref = weakref.ref


class ExecutionContext(Protocol):
    """What the ledger needs of the context that owns a handle (see :mod:`.context`)."""

    worker: str
    label: str
    handles: dict[int, Any] | None


@dataclass(frozen=True, slots=True)
class StubInfo:
    """One live stub (or pending promise) as ``play.stubs()`` / ``play.leaks()`` list it.

    ``reachable`` is False when no Python object refers to the handle any more: it can never be
    disposed now and is held until its owner's execution context ends.
    """

    id: int
    kind: str
    owner: str
    context: str
    target: str
    where: Where | None
    since: float
    reachable: bool
    managed: bool

    def __str__(self) -> str:
        state = "" if self.reachable else ", unreachable"
        return (
            f"{self.kind} #{self.id} to {self.target}, owned by {self.owner}, made at {where_text(self.where)} "
            f"at {self.since * 1000:g} ms{state}"
        )


class _Record:
    __slots__ = ("id", "kind", "context", "_target", "where", "since_ns", "origin_call", "ref", "managed", "hook", "up")

    def __init__(
        self,
        rid: int,
        kind: str,
        context: ExecutionContext | None,
        target: str | None,
        where: Where | None,
        since_ns: int,
        origin_call: int | None,
        handle: Any,
        managed: bool,
    ) -> None:
        self.hook = handle._hook  # kept so that an unreachable handle can still be released
        self.id = rid
        self.kind = kind
        self.context = context
        self._target = target
        self.where = where
        self.since_ns = since_ns
        self.origin_call = origin_call
        self.ref = weakref.ref(handle)
        self.managed = managed
        self.up = 0

    @property
    def target(self) -> str:
        """What the handle points to (described when first asked, for promises)."""
        if self._target is None:
            self._target = self.hook.describe()
        return self._target


class Ledger:
    """Records of the live stubs of one playground."""

    def __init__(self, loop: VirtualLoop, recorder: Recorder) -> None:
        self._loop = loop
        self._recorder = recorder
        self._records: dict[int, _Record] = {}
        self._next = 0

    def add(
        self,
        handle: Any,
        kind: str,
        context: ExecutionContext | None,
        target: str | None,
        where: Where | None,
        origin_call: int | None = None,
        managed: bool = False,
        action: str = "created",
    ) -> int:
        """Record a new handle; returns its id. ``target`` None: described when needed."""
        rid = self._next = self._next + 1
        record = _Record(rid, kind, context, target, where, self._loop._now_ns, origin_call, handle, managed)
        self._records[rid] = record
        if context is not None:
            handles = context.handles
            if handles is None:
                context.handles = {rid: record}
            else:
                handles[rid] = record
        if kind == "stub":
            self._event(action, record)
        return rid

    def add_promise(
        self, promise: Any, context: ExecutionContext, where: Where | None, call_seq: int, up: int = 0
    ) -> int:
        """Record a promise for the result of call ``call_seq`` (:meth:`add`, for the most
        common record: no event, what it stands for described when asked). ``up`` is the record
        of the promise it was pipelined on, if that one still holds a remote result (see
        :meth:`release_chain`)."""
        rid = self._next = self._next + 1
        record = _new_record(_Record)
        record.hook = promise._hook
        record.id = rid
        record.kind = "promise"
        record.context = context
        record._target = None
        record.where = where
        record.since_ns = self._loop._now_ns
        record.origin_call = call_seq
        record.ref = _weakref(promise)
        record.managed = False
        record.up = up
        self._records[rid] = record
        handles = context.handles
        if handles is None:
            context.handles = {rid: record}
        else:
            handles[rid] = record
        return rid

    def remove(self, rid: int, action: str = "disposed") -> None:
        """The handle was disposed (or transferred, or settled)."""
        record = self._records.pop(rid, None)
        if record is None:
            return
        context = record.context
        if context is not None and context.handles is not None:
            context.handles.pop(rid, None)
        if record.kind == "stub" or action == "released" or action == "let go":
            self._event(action, record)

    def release(self, rid: int, why: str = "context") -> None:
        """Release a handle the user did not dispose (its context ended, or the world closed:
        ``why`` is ``"context"`` or ``"closed"``, for the error if it is used after)."""
        record = self._records.get(rid)
        if record is None:
            return
        handle = record.ref()
        if handle is not None:
            handle._dispose("released", (why, None))
        else:
            self.remove(rid, "released")
            record.hook.dispose()

    def release_chain(self, rid: int) -> None:
        """A promise pipelined on record ``rid`` was awaited (or disposed): release the promises
        of its chain that nothing refers to any more. In Workers the request context ends and
        takes them with it; a notebook's client context never ends, so the chain does it. An
        intermediate promise the user still holds is left alone (disposing it is theirs to do)."""
        records = self._records
        while rid:
            record = records.get(rid)
            if record is None:
                return
            up = record.up
            if record.ref() is None:
                self.remove(rid, "released")
                record.hook.dispose()
            rid = up

    def release_all(self) -> None:
        for rid in list(self._records):
            self.release(rid, "closed")

    def note(self, rid: int, action: str, detail: str = "") -> None:
        """An event about a live handle (``dup``) without removing it."""
        record = self._records.get(rid)
        if record is not None:
            self._event(action, record, detail)

    def exported(self, action: str, owner: str, target: str, detail: str = "") -> None:
        """An event about an exported target (``released``, ``disposer``)."""
        rec = self._recorder
        rec.add(StubEvent(rec.next_seq, self._loop._now_ns / NS, action, 0, owner, target, None, None, detail))

    def _event(self, action: str, record: _Record, detail: str = "") -> None:
        rec = self._recorder
        owner = record.context.worker if record.context is not None else "(local)"
        rec.add(
            StubEvent(
                rec.next_seq,
                self._loop._now_ns / NS,
                action,
                record.id,
                owner,
                record.target,
                record.where,
                record.origin_call,
                detail,
                record.kind,
                record.managed,
            )
        )

    def info(self, record: _Record) -> StubInfo:
        context = record.context
        return StubInfo(
            record.id,
            record.kind,
            context.worker if context is not None else "(local)",
            context.label if context is not None else "",
            record.target,
            record.where,
            record.since_ns / 1_000_000_000,
            record.ref() is not None,
            record.managed,
        )

    def describe(self, record: _Record) -> str:
        return str(self.info(record))

    def infos(self, *, leaks_only: bool = False) -> list[StubInfo]:
        return [self.info(r) for r in self._records.values() if not (leaks_only and r.managed)]

    def get(self, rid: int) -> _Record | None:
        return self._records.get(rid)

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        """Forget every record (the playground was closed)."""
        self._records.clear()
