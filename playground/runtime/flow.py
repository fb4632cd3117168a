"""Streams over RPC: writes across a connection, acknowledged, under a flow-control window.

Theory of operation
-------------------
Every stream that crosses RPC becomes a *writer* on one side and a *writable end* on the other:

* a ``ReadableStream`` sent from A to B: A asks B for a pipe (a ``pipe`` message), B makes one
  and exports its writable end, A *pumps* the stream's chunks into it; B's reader reads the pipe;
* a ``WritableStream`` sent from A to B: A exports its sink as a writable end; B's writes go to it.

The writer (:class:`RemoteWriter`) sends each chunk as a ``stream`` message. The writable end
(:class:`WritableHook`) acknowledges it — with a ``resolve`` — once the chunk has been consumed
(read from the pipe, or taken by the sink). At most a *window* of bytes may be sent and not yet
acknowledged; a write that would exceed it waits (a *stall*). So a slow reader holds a fast
writer back, and throughput is bounded by ``min(bandwidth, window / round trip)``.

The window is fixed (``Playground(stream_window=65536)``) or adaptive (the default), modelled on
Cap'n Web's flow controller: 256 KiB to start, doubling every round trip while the sender is
held back by the window and the delivery rate still grows, then growing by 1.25 × while held
back, decaying by 0.9 × when not, always within 64 KiB – 1 GiB.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ..errors import ConnectionLost, RpcError, StreamCanceled
from ..protocol import Path
from ..trace import StreamEvent
from .contract import ErrorHook, Hook, Settled
from .context import ExecutionContext
from .shared import Runtime
from .hooks import PromiseHook, ValueHook, call_in_context
from .streams import NOT_BYTES, PREMATURE, PREMATURE_UNCLOSED, WRITABLE_GONE, Pipe, _as_bytes, await_in

__all__ = ["FlowController", "RemoteWriter", "StreamEndpoint", "WritableHook", "pump"]


class StreamEndpoint(Protocol):
    """One end of a session, as a stream writer sees it (see :mod:`.connection`)."""

    runtime: Runtime
    worker: str
    peer_worker: str
    broken: BaseException | None

    def stream_push(self, target: int, path: Path, args: list[Any], callback: Settled) -> None: ...

    def drop(self, import_id: int) -> None: ...

KiB = 1024
START, MIN, MAX = 256 * KiB, 64 * KiB, 1 << 30


class FlowController:
    """How many bytes may be in flight: a fixed window, or an adaptive one (``window=None``)."""

    __slots__ = ("adaptive", "window", "in_flight", "_min_rtt", "_round_start", "_round_bytes",
                 "_last_rate", "_limited", "_startup")

    def __init__(self, window: int | None = None) -> None:
        self.adaptive = window is None
        self.window = START if window is None else window
        self.in_flight = 0
        self._min_rtt: int | None = None
        self._round_start: int | None = None
        self._round_bytes = 0
        self._last_rate = 0.0
        self._limited = False
        self._startup = True

    def can_send(self, size: int) -> bool:
        """A chunk bigger than the window may go alone."""
        return self.in_flight == 0 or self.in_flight + size <= self.window

    def held_back(self) -> None:
        """The sender wanted to send and the window did not let it."""
        self._limited = True

    def sent(self, size: int, now_ns: int) -> None:
        self.in_flight += size
        if self._round_start is None:
            self._round_start = now_ns

    def acked(self, size: int, sent_ns: int, now_ns: int) -> bool:
        """An acknowledgement arrived; returns True if the window changed."""
        self.in_flight -= size
        if not self.adaptive:
            return False
        rtt = max(now_ns - sent_ns, 1)
        self._min_rtt = rtt if self._min_rtt is None else min(self._min_rtt, rtt)
        self._round_bytes += size
        assert self._round_start is not None
        elapsed = now_ns - self._round_start
        if elapsed < self._min_rtt:
            return False
        rate = self._round_bytes / elapsed
        old = self.window
        if self._limited:
            if self._startup and rate >= self._last_rate * 1.25:
                self.window *= 2
            else:
                self._startup = False
                self.window = int(self.window * 1.25)
        else:
            self.window = int(self.window * 0.9)
        self.window = min(max(self.window, MIN), MAX)
        self._last_rate = max(rate, self._last_rate)
        self._round_start, self._round_bytes, self._limited = now_ns, 0, False
        return self.window != old


class RemoteWriter:
    """Writes into a writable end on the other side of ``connection`` (import ``target``)."""

    def __init__(self, connection: StreamEndpoint, target: int) -> None:
        self.connection = connection
        self.target = target
        self.flow = FlowController(connection.runtime.stream_window)
        self.stream_id = connection.runtime.next_id()
        self.closed = False
        self.error: BaseException | None = None
        self._space: asyncio.Future[None] | None = None
        self._released = False

    # -- trace -------------------------------------------------------------------------------

    def _event(self, action: str, size: int, since: float | None = None) -> None:
        c = self.connection
        runtime = c.runtime
        rec = runtime.recorder
        rec.add(
            StreamEvent(
                rec.next_seq, runtime.now, action, self.stream_id, c.worker, c.peer_worker, size,
                self.flow.in_flight, self.flow.window, since,
            )
        )

    # -- writing -----------------------------------------------------------------------------

    def _check(self) -> None:
        if self.error is not None:
            raise self.error
        if self.closed:
            raise TypeError("This WritableStream has been closed.")
        broken = self.connection.broken
        if broken is not None:
            self.error = broken
            raise broken

    async def write(self, chunk: Any) -> None:
        """Send ``chunk``; waits while the window is full. Raises the far end's error."""
        self._check()
        data = bytes(_as_bytes(chunk))
        size = len(data)
        flow = self.flow
        runtime = self.connection.runtime
        if not flow.can_send(size):
            flow.held_back()
            since = runtime.now
            while not flow.can_send(size):
                self._space = runtime.loop.create_future()
                await await_in(runtime, self._space)
                self._check()
            self._event("stall", size, since)
        sent_ns = runtime.loop._now_ns
        flow.sent(size, sent_ns)
        self._event("chunk", size)
        self.connection.stream_push(self.target, ("write",), [data], lambda ok, value: self._acked(ok, value, size, sent_ns))

    def _acked(self, ok: bool, value: Any, size: int, sent_ns: int) -> None:
        changed = self.flow.acked(size, sent_ns, self.connection.runtime.loop._now_ns)
        self._event("ack", size)
        if changed:
            self._event("window", self.flow.window)
        if not ok and self.error is None:
            self.error = value if isinstance(value, BaseException) else RpcError(str(value))
        space, self._space = self._space, None
        if space is not None and not space.done():
            space.set_result(None)

    async def close(self) -> None:
        """Finish the stream: the far end sees its end once everything sent has been read."""
        self._check()
        self.closed = True
        runtime = self.connection.runtime
        done = runtime.loop.create_future()

        def settled(ok: bool, value: Any) -> None:
            if not done.done():
                done.set_result((ok, value))

        self.connection.stream_push(self.target, ("close",), [], settled)
        self._event("close", 0)
        ok, value = await await_in(runtime, done)
        self.release()
        if not ok:
            raise value

    def abort(self, kind: str = "premature") -> None:
        """End the stream early; the far end's reader fails (see :data:`PREMATURE`)."""
        if self.closed or self.connection.broken is not None:
            self.release()
            return
        self.closed = True
        self.connection.stream_push(self.target, ("abort",), [kind], lambda ok, value: None)
        self._event("error", 0)
        self.release()

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.connection.drop(self.target)

    # -- as a sink (for a WritableStream received over RPC) -------------------------------

    def sink(self) -> _RemoteSink:
        return _RemoteSink(self)


class _RemoteSink:
    """The sink of a ``WritableStream`` received over RPC: writes go to the sender's sink."""

    __slots__ = ("_writer",)

    def __init__(self, writer: RemoteWriter) -> None:
        self._writer = writer

    async def write(self, chunk: Any) -> None:
        await self._writer.write(chunk)

    async def close(self) -> None:
        await self._writer.close()

    def abort(self, reason: object = None) -> None:
        self._writer.abort("abort")


class WritableHook(Hook):
    """The writable end that receives ``stream`` writes: a pipe (of a readable we received) or
    a sink (of a writable we sent). Each write is acknowledged once consumed; a close once
    everything before it was; a sink's operations run one at a time, in order."""

    __slots__ = ("target", "context", "finished", "_disposed", "_last")

    def __init__(self, target: Pipe | Any, context: ExecutionContext | None) -> None:
        self.target = target
        self.context = context
        self.finished = False
        self._disposed = False
        self._last: Hook | None = None  # the sink's latest operation

    def call(self, path: Any, args: list[Any], kwargs: Any, origin: Any = None) -> Hook:
        op = path[0] if path else None
        target = self.target
        if op not in ("write", "close", "abort"):
            return ErrorHook(TypeError(f"a writable end has no operation {op!r}"))
        if op != "write":
            self.finished = True
        if isinstance(target, Pipe):
            if op == "abort":
                kind = args[0] if args else "abort"
                error = PREMATURE_UNCLOSED if kind == "unclosed" else PREMATURE
                target.fail(ConnectionLost() if kind == "bytes" else RpcError(error))
                return ValueHook(None, None)
            hook = PromiseHook()

            def done(error: BaseException | None) -> None:
                hook.resolve(ValueHook(None, None) if error is None else ErrorHook(error))

            if op == "write":
                target.put(args[0], done)
            else:
                target.close(done)
            return hook
        arguments = [args[0]] if op == "write" else [RpcError(WRITABLE_GONE)] if op == "abort" else []
        return self._in_turn(op, arguments)

    def _in_turn(self, name: str, args: list[Any]) -> Hook:
        """Call the sink's ``name`` after its previous operation has finished."""
        previous = self._last
        if isinstance(previous, PromiseHook) and previous.finished:
            previous = previous._state.resolution
        if not isinstance(previous, PromiseHook):
            if isinstance(previous, ErrorHook):
                return previous  # the sink failed: everything after fails the same way
            hook = self._sink_call(name, args)
        else:
            hook = PromiseHook()
            previous.settle(lambda ok, value: hook.resolve(self._sink_call(name, args) if ok else ErrorHook(value)))
        self._last = hook
        return hook

    def _sink_call(self, name: str, args: list[Any]) -> Hook:
        method = getattr(self.target, name, None)
        if method is None:
            return ValueHook(None, None)
        return call_in_context(method, args, None, self.context)

    def get(self, path: Any, origin: Any = None) -> Hook:
        return ErrorHook(TypeError("a writable end has no properties"))

    def settle(self, callback: Any) -> None:
        callback(True, None)

    def dup(self) -> Hook:
        return self

    def dispose(self) -> None:
        """The writer went away: an unfinished stream ends in error."""
        if self._disposed:
            return
        self._disposed = True
        if self.finished:
            return
        self.finished = True
        if isinstance(self.target, Pipe):
            self.target.fail(RpcError(PREMATURE_UNCLOSED))
        elif getattr(self.target, "abort", None) is not None:
            self._in_turn("abort", [RpcError(WRITABLE_GONE)])

    def describe(self) -> str:
        return "writable end"


async def pump(source: Any, writer: RemoteWriter) -> None:
    """Send everything ``source`` (a stream's source) yields through ``writer``."""
    runtime = writer.connection.runtime
    try:
        while True:
            chunk = await source.read()
            if chunk is None:
                break
            try:
                data = _as_bytes(chunk)
            except TypeError:
                writer.abort("bytes")  # the receiver sees a disconnect, as workerd's did
                runtime.note("error", writer.connection.worker, f"{NOT_BYTES} (stream {writer.stream_id})")
                source.cancel(TypeError(NOT_BYTES))
                return
            await writer.write(data)
        await writer.close()
    except StreamCanceled:
        source.cancel(StreamCanceled("canceled by the receiver"))
        writer.release()
    except ConnectionLost:
        source.cancel(ConnectionLost())
        writer.release()
    except BaseException as exc:  # (cancelled: the writing context ended with the stream unclosed)
        writer.abort("unclosed" if isinstance(exc, asyncio.CancelledError) else "premature")
        if not isinstance(exc, (RpcError, asyncio.CancelledError)):
            runtime.note("error", writer.connection.worker, f"stream source failed: {exc!r}")
        if isinstance(exc, asyncio.CancelledError):
            raise

