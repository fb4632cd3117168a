"""Where a playground's events are kept: packed compactly, rebuilt as named tuples on read.

Theory of operation
-------------------
A trace can hold millions of events (a pipelining experiment at scale), so events are not kept
as Python objects. Each is written into a *chunk*: its numbers (times in integer nanoseconds,
ids, sizes, flags) packed with :mod:`struct` into one ``bytearray``, its other fields (names,
paths, payloads: objects the runtime already holds and shares) appended to one list. A plain
awaited call — eight events — takes about 600 bytes this way, against 2.2 KB as named tuples,
and the garbage collector never walks it.

Reading ``log[seq]`` (or a slice) rebuilds the :mod:`.events` named tuple, with exactly the
values it was recorded with: times are stored in nanoseconds and read back as
``ns / 1_000_000_000``, which is how the runtime computes every time it records.

Events are numbered by ``seq`` from 0, for ever. With a ``limit`` the log keeps at least the
last ``limit`` events and drops older chunks whole; ``limit=0`` keeps none (counts only). What
was dropped is counted in :class:`Dropped`, so a view can say what it no longer shows.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, overload

from .events import (
    AwaitEvent,
    CallEvent,
    ContextEvent,
    Event,
    FaultEvent,
    MessageEvent,
    NoteEvent,
    StreamEvent,
    StubEvent,
)

__all__ = ["NONE", "Dropped", "EventLog"]

NS = 1_000_000_000
#: Stored for an optional number that is ``None``.
NONE = -(1 << 63)
#: Events per chunk (fewer with a small limit, so that dropping stays close to it).
CHUNK = 4096


@dataclass
class Dropped:
    """What a bounded log no longer holds: counts over every event dropped so far."""

    events: int = 0
    messages: int = 0
    bytes: int = 0
    calls: int = 0
    pipelined: int = 0


class _Chunk:
    """Consecutive events: type codes, packed numbers, other fields. Where each event's numbers
    and fields start is worked out when the chunk is first read (writing stays three appends)."""

    __slots__ = ("first", "codes", "data", "objs", "_doffs", "_ooffs")

    def __init__(self, first: int) -> None:
        self.first = first  # seq of its first event
        self.codes = bytearray()
        self.data = bytearray()
        self.objs: list[Any] = []
        self._doffs = array("I")
        self._ooffs = array("I")

    def offsets(self, j: int) -> tuple[int, int]:
        """Where event ``j``'s numbers and fields start."""
        doffs, ooffs = self._doffs, self._ooffs
        known = len(doffs)
        if j >= known:
            codes = self.codes
            if known:
                code = codes[known - 1]
                d, o = doffs[-1] + _SIZES[code], ooffs[-1] + _COUNTS[code]
            else:
                d = o = 0
            for k in range(known, len(codes)):
                doffs.append(d)
                ooffs.append(o)
                code = codes[k]
                d += _SIZES[code]
                o += _COUNTS[code]
        return doffs[j], ooffs[j]


# -- schemas: how each event type is packed and rebuilt ---------------------------------------

_MESSAGE = struct.Struct("<qqqqqqqq?")  # at, sent_at, received_at, size, session, id, target, cause, counted
_CALL = struct.Struct("<qqq??qq")  # at, session, id, is_get, pipelined, target_call, target_stub
_AWAIT = struct.Struct("<qq")  # at, call
_STUB = struct.Struct("<qqq?")  # at, stub, origin_call, managed
_CONTEXT = struct.Struct("<qq")  # at, context
_FAULT = struct.Struct("<q")  # at
_STREAM = struct.Struct("<qqqqqq")  # at, stream, size, in_flight, window, since
_NOTE = struct.Struct("<q")  # at

M_MESSAGE, M_CALL, M_AWAIT, M_STUB, M_CONTEXT, M_FAULT, M_STREAM, M_NOTE, M_OTHER = range(9)


def _t(ns: int) -> float | None:
    return None if ns == NONE else ns / NS


def _o(n: int) -> int | None:
    return None if n == NONE else n


def _read_message(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    at, sent, received, size, session, ident, target, cause, counted = d
    return MessageEvent(
        seq, at / NS, o[i], o[i + 1], o[i + 2], sent / NS, _t(received), size, session, _o(ident),
        _o(target), o[i + 3], _o(cause), o[i + 4], counted,
    )


def _read_call(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    at, session, ident, is_get, pipelined, target_call, target_stub = d
    return CallEvent(
        seq, at / NS, o[i], o[i + 1], session, ident, o[i + 2], is_get, pipelined, _o(target_call),
        _o(target_stub), o[i + 3], o[i + 4],
    )


def _read_await(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    return AwaitEvent(seq, d[0] / NS, o[i], _o(d[1]), o[i + 1])


def _read_stub(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    at, stub, origin_call, managed = d
    return StubEvent(
        seq, at / NS, o[i], stub, o[i + 1], o[i + 2], o[i + 3], _o(origin_call), o[i + 4], o[i + 5], managed
    )


def _read_context(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    return ContextEvent(seq, d[0] / NS, o[i], o[i + 1], d[1], o[i + 2])


def _read_fault(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    return FaultEvent(seq, d[0] / NS, o[i], o[i + 1], o[i + 2], o[i + 3])


def _read_stream(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    at, stream, size, in_flight, window, since = d
    return StreamEvent(seq, at / NS, o[i], stream, o[i + 1], o[i + 2], size, in_flight, window, _t(since))


def _read_note(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    return NoteEvent(seq, d[0] / NS, o[i], o[i + 1], o[i + 2])


def _read_other(seq: int, d: tuple[Any, ...], o: list[Any], i: int) -> Event:
    cls, fields = o[i], o[i + 1]
    return cls(seq, *fields)  # type: ignore[no-any-return]


_EMPTY = struct.Struct("<")
_SIZE_FIELD = struct.Struct("<q")
_pack_message, _pack_call, _pack_await, _pack_context = _MESSAGE.pack, _CALL.pack, _AWAIT.pack, _CONTEXT.pack
#: code -> (struct, how to rebuild)
_READERS: list[tuple[struct.Struct, Callable[[int, tuple[Any, ...], list[Any], int], Event]]] = [
    (_MESSAGE, _read_message),
    (_CALL, _read_call),
    (_AWAIT, _read_await),
    (_STUB, _read_stub),
    (_CONTEXT, _read_context),
    (_FAULT, _read_fault),
    (_STREAM, _read_stream),
    (_NOTE, _read_note),
    (_EMPTY, _read_other),
]
#: per code: bytes of packed numbers, number of other fields
_SIZES = [layout.size for layout, _ in _READERS]
_COUNTS = [5, 5, 2, 6, 3, 4, 3, 3, 2]
_CODE_OF: dict[type, int] = {
    MessageEvent: M_MESSAGE, CallEvent: M_CALL, AwaitEvent: M_AWAIT, StubEvent: M_STUB,
    ContextEvent: M_CONTEXT, FaultEvent: M_FAULT, StreamEvent: M_STREAM, NoteEvent: M_NOTE,
}


def _ns(value: Any) -> int | None:
    """A float time in seconds as integer ns, if it reads back exactly; else None."""
    if type(value) is not float and type(value) is not int:
        return None
    ns = round(value * NS)
    return ns if ns / NS == value else None


class EventLog:
    """The events of one playground by ``seq`` (see the module docstring).

    ``log[seq]`` is the event numbered ``seq`` (:class:`IndexError` if it was dropped or is not
    recorded yet); ``log[a:b]`` the kept ones among ``a..b-1``, as a list; ``len(log)`` the
    number of events ever recorded (the next ``seq``); iterating gives the kept events.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._chunks: list[_Chunk] = []
        self._chunk: _Chunk = _Chunk(0)  # the chunk being written (once it has room)
        self._room = 0  # events the chunk being written can still take
        #: the ``seq`` of the next event
        self.next = 0
        self.dropped = Dropped()
        self.limit = limit

    # -- the bound ----------------------------------------------------------------------------

    @property
    def limit(self) -> int | None:
        """Keep at least the last ``limit`` events (None: all; 0: none, counts only)."""
        return self._limit

    @limit.setter
    def limit(self, limit: int | None) -> None:
        self._limit = limit
        self._capacity = CHUNK if limit is None else max(16, min(CHUNK, limit // 8 or 16))
        self._keep = limit != 0
        self._room = 0  # the next event starts a chunk of the new size
        self._trim()

    @property
    def first(self) -> int:
        """The ``seq`` of the oldest event kept (``len(self)`` when none is)."""
        return self._chunks[0].first if self._chunks else self.next

    @property
    def kept(self) -> int:
        """How many events are kept."""
        return self.next - self.first

    def _start_chunk(self) -> _Chunk:
        chunk = self._chunk = _Chunk(self.next)
        self._chunks.append(chunk)
        self._room = self._capacity
        self._trim()
        return chunk

    def _trim(self) -> None:
        """Drop whole old chunks while the newer ones still hold ``limit`` events."""
        limit = self._limit
        if limit is None:
            return
        if limit == 0:
            self.clear()
            return
        chunks = self._chunks
        while len(chunks) > 1 and self.next - (chunks[0].first + len(chunks[0].codes)) >= limit:
            self._drop(chunks.pop(0))

    def _drop(self, chunk: _Chunk) -> None:
        """Count what ``chunk`` held into :attr:`dropped`."""
        d = self.dropped
        codes = chunk.codes
        d.events += len(codes)
        messages, calls = codes.count(M_MESSAGE), codes.count(M_CALL)
        d.messages += messages
        d.calls += calls
        if messages or calls:
            data = chunk.data
            for j, code in enumerate(codes):
                if code == M_MESSAGE:
                    d.bytes += _SIZE_FIELD.unpack_from(data, chunk.offsets(j)[0] + 24)[0]
                elif code == M_CALL:
                    d.pipelined += data[chunk.offsets(j)[0] + 25]
        if chunk is self._chunk:
            self._room = 0

    def _count_only(self, code: int, size: int = 0, pipelined: bool = False) -> int:
        d = self.dropped
        d.events += 1
        if code == M_MESSAGE:
            d.messages += 1
            d.bytes += size
        elif code == M_CALL:
            d.calls += 1
            d.pipelined += pipelined
        seq = self.next
        self.next = seq + 1
        return seq

    def clear(self) -> None:
        """Drop every event kept (numbering goes on)."""
        for chunk in self._chunks:
            self._drop(chunk)
        self._chunks = []
        self._room = 0

    def keep_only(self, start: int, stop: int) -> None:
        """Drop every chunk with no event in ``start..stop-1`` (a closed playground keeps only
        what views still held refer to)."""
        kept = []
        for chunk in self._chunks:
            end = chunk.first + len(chunk.codes)
            if end > start and chunk.first < stop:
                kept.append(chunk)
            else:
                self._drop(chunk)
        self._chunks = kept

    # -- writing (the hot path: a few appends, no object per event) ------------------------------

    def append_message(
        self, at_ns: int, kind: str, sender: str, receiver: str, received_ns: int | None, size: int,
        session: int, ident: int | None, target: int | None, path: tuple[Any, ...], cause: int | None,
        payload: bytes | None, counted: bool,
    ) -> int:
        if self._room:
            self._room -= 1
            c = self._chunk
        elif self._keep:
            c = self._start_chunk()
            self._room -= 1
        else:
            return self._count_only(M_MESSAGE, size)
        c.codes.append(M_MESSAGE)
        c.data += _pack_message(
            at_ns, at_ns, NONE if received_ns is None else received_ns, size, session,
            NONE if ident is None else ident, NONE if target is None else target,
            NONE if cause is None else cause, counted,
        )
        c.objs += (kind, sender, receiver, path, payload)
        seq = self.next
        self.next = seq + 1
        return seq

    def append_call(
        self, at_ns: int, caller: str, callee: str, session: int, ident: int, path: tuple[Any, ...],
        is_get: bool, pipelined: bool, target_call: int | None, target_stub: int | None, where: Any,
        promise_args: tuple[int, ...],
    ) -> int:
        if self._room:
            self._room -= 1
            c = self._chunk
        elif self._keep:
            c = self._start_chunk()
            self._room -= 1
        else:
            return self._count_only(M_CALL, 0, pipelined)
        c.codes.append(M_CALL)
        c.data += _pack_call(
            at_ns, session, ident, is_get, pipelined, NONE if target_call is None else target_call,
            NONE if target_stub is None else target_stub,
        )
        c.objs += (caller, callee, path, where, promise_args)
        seq = self.next
        self.next = seq + 1
        return seq

    def append_await(self, at_ns: int, worker: str, call: int | None, where: Any) -> int:
        if self._room:
            self._room -= 1
            c = self._chunk
        elif self._keep:
            c = self._start_chunk()
            self._room -= 1
        else:
            return self._count_only(M_AWAIT)
        c.codes.append(M_AWAIT)
        c.data += _pack_await(at_ns, NONE if call is None else call)
        c.objs += (worker, where)
        seq = self.next
        self.next = seq + 1
        return seq

    def append_context(self, at_ns: int, action: str, worker: str, context: int, label: str) -> int:
        if self._room:
            self._room -= 1
            c = self._chunk
        elif self._keep:
            c = self._start_chunk()
            self._room -= 1
        else:
            return self._count_only(M_CONTEXT)
        c.codes.append(M_CONTEXT)
        c.data += _pack_context(at_ns, context)
        c.objs += (action, worker, label)
        seq = self.next
        self.next = seq + 1
        return seq

    def append(self, event: Event) -> int:
        """Keep ``event`` (any event type; its ``seq`` is replaced by the next one)."""
        code = _CODE_OF.get(type(event), M_OTHER)
        if not self._room and not self._keep:
            if code == M_MESSAGE:
                return self._count_only(code, event.size)  # type: ignore[union-attr]
            return self._count_only(code, 0, code == M_CALL and event.pipelined)  # type: ignore[union-attr]
        packed, objects = _pack(code, event)
        if packed is None:
            code, packed, objects = M_OTHER, b"", (type(event), tuple(event[1:]))
        if self._room:
            c = self._chunk
        else:
            c = self._start_chunk()
        self._room -= 1
        c.codes.append(code)
        c.data += packed
        c.objs += objects
        seq = self.next
        self.next = seq + 1
        return seq

    # -- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.next

    def _locate(self, seq: int) -> tuple[_Chunk, int]:
        chunks = self._chunks
        if not chunks or seq < chunks[0].first or seq >= self.next:
            raise IndexError(f"event {seq} is not in the trace (kept: {self.first}..{self.next - 1})")
        chunk = chunks[bisect_right(chunks, seq, key=_first) - 1]
        return chunk, seq - chunk.first

    @staticmethod
    def _read(chunk: _Chunk, j: int) -> Event:
        layout, reader = _READERS[chunk.codes[j]]
        doff, ooff = chunk.offsets(j)
        return reader(chunk.first + j, layout.unpack_from(chunk.data, doff), chunk.objs, ooff)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.next)
            if step != 1:
                return [self[i] for i in range(start, stop, step) if i >= self.first]
            return list(self.iter(start, stop))
        if index < 0:
            index += self.next
        chunk, j = self._locate(index)
        return self._read(chunk, j)

    def iter(self, start: int = 0, stop: int | None = None, kind: type | None = None) -> Iterator[Event]:
        """The kept events with ``start <= seq < stop`` (only those of type ``kind``, if given)."""
        stop = self.next if stop is None else min(stop, self.next)
        code = None if kind is None else _CODE_OF.get(kind, M_OTHER)
        read = self._read
        for chunk in list(self._chunks):
            end = chunk.first + len(chunk.codes)
            if end <= start or chunk.first >= stop:
                continue
            codes = chunk.codes
            for j in range(max(start - chunk.first, 0), min(stop, end) - chunk.first):
                if code is None or codes[j] == code:
                    event = read(chunk, j)
                    if code == M_OTHER and type(event) is not kind:
                        continue
                    yield event

    def __iter__(self) -> Iterator[Event]:
        return self.iter()

    def nbytes(self) -> int:
        """About how many bytes the kept events take (packed numbers, type codes, references)."""
        return sum(len(c.codes) + len(c.data) + 8 * len(c.objs) for c in self._chunks)


def _pack(code: int, e: Any) -> tuple[bytes | None, tuple[Any, ...]]:
    """An event's packed numbers and its other fields, or ``(None, ())`` if it would not read
    back exactly as it is (it is then kept whole)."""
    try:
        at = _ns(e.at)
        if at is None:
            return None, ()
        if code == M_MESSAGE:
            received = NONE if e.received_at is None else _ns(e.received_at)
            numbers: tuple[Any, ...] = (
                at, _ns(e.sent_at), received, e.size, e.session, _n(e.id), _n(e.target), _n(e.cause), e.counted
            )
            objects: tuple[Any, ...] = (e.kind, e.sender, e.receiver, e.path, e.payload)
        elif code == M_CALL:
            numbers = (at, e.session, e.id, e.is_get, e.pipelined, _n(e.target_call), _n(e.target_stub))
            objects = (e.caller, e.callee, e.path, e.where, e.promise_args)
        elif code == M_AWAIT:
            numbers, objects = (at, _n(e.call)), (e.worker, e.where)
        elif code == M_STUB:
            numbers = (at, e.stub, _n(e.origin_call), e.managed)
            objects = (e.action, e.owner, e.target, e.where, e.detail, e.kind)
        elif code == M_CONTEXT:
            numbers, objects = (at, e.context), (e.action, e.worker, e.label)
        elif code == M_FAULT:
            numbers, objects = (at,), (e.action, e.a, e.b, e.detail)
        elif code == M_STREAM:
            since = NONE if e.since is None else _ns(e.since)
            numbers = (at, e.stream, e.size, e.in_flight, e.window, since)
            objects = (e.action, e.sender, e.receiver)
        elif code == M_NOTE:
            numbers, objects = (at,), (e.level, e.worker, e.text)
        else:
            return None, ()
        layout, reader = _READERS[code]
        packed = layout.pack(*numbers)
        if reader(e.seq, layout.unpack(packed), list(objects), 0) != e:
            return None, ()
    except (struct.error, AttributeError, TypeError, OverflowError):
        return None, ()
    return packed, objects


def _first(chunk: _Chunk) -> int:
    return chunk.first


def _n(value: Any) -> Any:
    return NONE if value is None else value
