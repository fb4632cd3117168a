"""Byte streams: ``ReadableStream``, ``WritableStream``, ``IdentityTransformStream``.

Locally they behave like the Web Streams API, in Python spelling: ``async for chunk in stream``,
``await stream.read_all()``, ``stream.get_reader()`` (which locks it), ``WritableStream(sink)``
whose ``get_writer()`` writes into ``sink.write(chunk)``. An ``IdentityTransformStream`` joins a
writable to a readable through a :class:`Pipe`, and a write completes once its chunk has been
read (a high-water mark of zero), so a slow reader holds the writer back.

Sent over RPC, a stream moves to the receiver (the sender can no longer use it) and its bytes
flow with flow control: see :mod:`.flow`.
"""

from __future__ import annotations

import asyncio
import inspect
from asyncio import events
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from ..errors import Help, RpcError, StreamCanceled
from ..trace import where_text
from .context import current
from .shared import Runtime
from .where import user_frame

__all__ = [
    "IdentityTransformStream",
    "Pipe",
    "ReadableStream",
    "ReadableStreamReader",
    "WritableStream",
    "WritableStreamWriter",
    "await_in",
]

LOCKED_READABLE = "The ReadableStream has been locked to a reader."
LOCKED_WRITABLE = "The WritableStream has been locked to a writer."
TRANSFERRED = "This stream was sent over RPC: it belongs to the receiver now and cannot be used here."
NOT_BYTES = "This ReadableStream did not return bytes."
PREMATURE = "ReadableStream received over RPC disconnected prematurely."
#: The same, when the writing side let the stream go unclosed (its context ended, its writer
#: was dropped), with the advice.
PREMATURE_UNCLOSED = PREMATURE + "\n" + Help.PREMATURE
WRITABLE_GONE = (
    "WritableStream received over RPC was disconnected because the remote execution context has ended."
)


async def await_in(runtime: Runtime | None, future: asyncio.Future[Any]) -> Any:
    """Await a future made on ``runtime``'s loop, from wherever we are running."""
    if runtime is None or events._get_running_loop() is runtime.loop:
        return await future
    return await runtime.wait(future)


def _current_runtime() -> Runtime | None:
    context = current.get()
    return context.runtime if context is not None else None


class Pipe:
    """Chunks from a writer to a reader inside one worker. ``put(chunk, done)`` never blocks;
    ``done(error)`` is called when the chunk has been read (``error`` None) or can never be."""

    __slots__ = (
        "runtime", "_chunks", "closed", "error", "canceled", "_reader", "_drained",
        "where", "writer_where", "writer",
    )

    def __init__(self, runtime: Runtime | None = None, writer: str | None = None) -> None:
        self.runtime = runtime
        self._chunks: deque[tuple[Any, Callable[[BaseException | None], None] | None]] = deque()
        self.closed = False
        self.error: BaseException | None = None
        self.canceled: BaseException | None = None
        self._reader: asyncio.Future[None] | None = None
        self._drained: list[Callable[[BaseException | None], None]] = []
        #: For errors that say what waits: the user's lines that made the stream and took its
        #: writer, and the worker that writes into it from the other side of a session.
        self.where: tuple[str, int] | None = None
        self.writer_where: tuple[str, int] | None = None
        self.writer = writer

    def _future(self) -> asyncio.Future[Any]:
        loop = self.runtime.loop if self.runtime is not None else asyncio.get_running_loop()
        return loop.create_future()

    def _waiting_for(self) -> str | None:
        """What a reader waiting on this pipe waits for, in words (for :class:`DeadlockError`
        and the hang error): more data from a writer that was never closed."""
        if self._reader is None or self.closed or self.error is not None or self.canceled is not None:
            return None
        made = f" (made at {where_text(self.where)})" if self.where is not None else ""
        if self.writer is not None:
            return (
                f"reading a stream{made} for more data, but its writer, in {self.writer}, was never "
                "closed: that code must call `await writer.close()` when it is done writing"
            )
        taken = f" (taken at {where_text(self.writer_where)})" if self.writer_where is not None else ""
        return (
            f"reading a stream{made} for more data, but its writer{taken} was never closed: call "
            "`await writer.close()` when done writing"
        )

    def _wake(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.set_result(None)

    def put(self, chunk: Any, done: Callable[[BaseException | None], None] | None = None) -> None:
        if self.canceled is not None or self.error is not None:
            if done is not None:
                done(self.canceled or self.error)
            return
        if self.closed:
            if done is not None:
                done(TypeError("This WritableStream has been closed."))
            return
        self._chunks.append((chunk, done))
        self._wake()

    async def write(self, chunk: Any) -> None:
        """Put ``chunk`` and wait until it has been read."""
        future = self._future()

        def done(error: BaseException | None) -> None:
            if not future.done():
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

        self.put(chunk, done)
        await await_in(self.runtime, future)

    def close(self, drained: Callable[[BaseException | None], None] | None = None) -> None:
        """No more chunks; ``drained(error)`` is called once the reader has read them all."""
        self.closed = True
        if drained is not None:
            if not self._chunks:
                drained(None)
            else:
                self._drained.append(drained)
        self._wake()

    def fail(self, error: BaseException) -> None:
        """The writing end failed: the reader gets ``error`` once the chunks already in are read."""
        if self.error is None and not self.closed:
            self.error = error
        self._wake()

    def cancel(self, reason: BaseException) -> None:
        """The reading end is gone: pending and future writes fail with ``reason``."""
        self.canceled = reason
        while self._chunks:
            _, done = self._chunks.popleft()
            if done is not None:
                done(reason)
        drained, self._drained = self._drained, []
        for callback in drained:
            callback(reason)

    async def read(self) -> Any:
        """The next chunk, or ``None`` at the end; raises the writer's error."""
        while not self._chunks:
            if self.closed:
                return None
            if self.error is not None:
                raise self.error
            if self.canceled is not None:
                return None
            future = self._future()
            self._reader = future
            await await_in(self.runtime, future)
        chunk, done = self._chunks.popleft()
        if done is not None:
            done(None)
        if not self._chunks and self._drained:
            drained, self._drained = self._drained, []
            for callback in drained:
                callback(None)
        return chunk


def adopt(half: Any, runtime: Runtime) -> None:
    """A pipe made outside any playground (an ``IdentityTransformStream`` created in a notebook
    cell) joins ``runtime``'s playground when one of its halves is sent there: from then on,
    awaiting its other half drives that playground's loop, as awaiting an RPC promise does."""
    pipe = half if isinstance(half, Pipe) else getattr(half, "pipe", None)
    if isinstance(pipe, Pipe) and pipe.runtime is None:
        pipe.runtime = runtime


class _IterSource:
    """A stream's source that pulls chunks from a (sync or async) iterable, on demand."""

    __slots__ = ("_iterator", "_async")

    def __init__(self, chunks: Iterable[Any] | AsyncIterable[Any]) -> None:
        if isinstance(chunks, AsyncIterable):
            self._iterator: Any = chunks.__aiter__()
            self._async = True
        elif isinstance(chunks, Iterable) and not isinstance(chunks, (bytes, str, bytearray)):
            self._iterator = iter(chunks)
            self._async = False
        else:
            raise TypeError(
                "ReadableStream.from_iterable() takes an iterable of bytes chunks (a list, a "
                f"generator, an async generator); got {type(chunks).__name__}."
            )

    async def read(self) -> Any:
        try:
            if self._async:
                return await self._iterator.__anext__()
            return next(self._iterator)
        except (StopIteration, StopAsyncIteration):
            return None

    def cancel(self, reason: BaseException) -> None:
        close = getattr(self._iterator, "aclose" if self._async else "close", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                asyncio.ensure_future(result)


class ReadableStream:
    """A stream of ``bytes`` chunks."""

    __slots__ = ("_source", "_locked", "_transferred", "__weakref__")

    def __init__(self, source: Any) -> None:
        self._source = source
        self._locked = False
        self._transferred = False

    @classmethod
    def from_iterable(cls, chunks: Iterable[Any] | AsyncIterable[Any]) -> ReadableStream:
        """A stream of the chunks of a sync or async iterable (read on demand)."""
        return cls(_IterSource(chunks))

    @property
    def locked(self) -> bool:
        """True while a reader holds the stream (or once it was sent over RPC)."""
        return self._locked or self._transferred

    def get_reader(self) -> ReadableStreamReader:
        """A reader that has this stream to itself until ``release_lock()``."""
        self._check_usable()
        if self._locked:
            raise TypeError(LOCKED_READABLE)
        self._locked = True
        return ReadableStreamReader(self)

    def _check_usable(self) -> None:
        if self._transferred:
            raise TypeError(TRANSFERRED)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader = self.get_reader()
        try:
            while True:
                chunk = await reader.read()
                if chunk is None:
                    return
                yield chunk
        finally:
            reader.release_lock()

    async def read_all(self) -> bytes:
        """Every remaining chunk, joined."""
        parts = [bytes(_as_bytes(chunk)) async for chunk in self]
        return b"".join(parts)

    async def cancel(self, reason: object = None) -> None:
        """Stop reading: the source is told, and the stream ends."""
        self._check_usable()
        if self._locked:
            raise TypeError(LOCKED_READABLE)
        self._source.cancel(reason if isinstance(reason, BaseException) else StreamCanceled(str(reason or "canceled")))

    def tee(self) -> tuple[ReadableStream, ReadableStream]:
        """Two streams with the same chunks (this one is locked; chunks are buffered)."""
        reader = self.get_reader()
        pipes = (Pipe(), Pipe())

        async def copy() -> None:
            try:
                while (chunk := await reader.read()) is not None:
                    for pipe in pipes:
                        pipe.put(chunk)
                for pipe in pipes:
                    pipe.close()
            except BaseException as exc:
                for pipe in pipes:
                    pipe.fail(exc)

        asyncio.ensure_future(copy())
        return ReadableStream(pipes[0]), ReadableStream(pipes[1])

    async def pipe_to(self, destination: WritableStream) -> None:
        """Write every chunk into ``destination``, then close it."""
        writer = destination.get_writer()
        try:
            async for chunk in self:
                await writer.write(chunk)
            await writer.close()
        finally:
            writer.release_lock()

    def _take(self) -> Any:
        """Hand the source over (the stream is being sent): it cannot be used here any more."""
        self._check_usable()
        if self._locked:
            raise TypeError(LOCKED_READABLE)
        self._transferred = True
        return self._source

    def _give_back(self, source: Any) -> None:
        self._source, self._transferred = source, False

    def __repr__(self) -> str:
        state = " (sent over RPC)" if self._transferred else " (locked)" if self._locked else ""
        return f"<ReadableStream{state}>"


class ReadableStreamReader:
    """``stream.get_reader()``: ``await read()`` gives the next chunk, ``None`` at the end."""

    __slots__ = ("_stream",)

    def __init__(self, stream: ReadableStream) -> None:
        self._stream: ReadableStream | None = stream

    async def read(self) -> bytes | None:
        stream = self._stream
        if stream is None:
            raise TypeError("This reader has released its lock.")
        return await stream._source.read()

    def release_lock(self) -> None:
        if self._stream is not None:
            self._stream._locked = False
            self._stream = None

    async def cancel(self, reason: object = None) -> None:
        stream = self._stream
        if stream is not None:
            self.release_lock()
            await stream.cancel(reason)


class WritableStream:
    """A stream that writes into ``sink``: an object with ``write(chunk)`` and, optionally,
    ``close()`` and ``abort(reason)`` (plain or ``async``)."""

    __slots__ = ("_sink", "_locked", "_transferred", "__weakref__")

    def __init__(self, sink: Any) -> None:
        if not callable(getattr(sink, "write", None)):
            raise TypeError(
                "WritableStream(sink) needs a sink with a write(chunk) method (and optionally "
                f"close() and abort(reason)); got {type(sink).__name__}."
            )
        self._sink = sink
        self._locked = False
        self._transferred = False

    @property
    def locked(self) -> bool:
        return self._locked or self._transferred

    def get_writer(self) -> WritableStreamWriter:
        if self._transferred:
            raise TypeError(TRANSFERRED)
        if self._locked:
            raise TypeError(LOCKED_WRITABLE)
        self._locked = True
        sink = self._sink
        if type(sink) is _PipeSink:
            sink.pipe.writer_where = user_frame()
        return WritableStreamWriter(self)

    def _take(self) -> Any:
        if self._transferred:
            raise TypeError(TRANSFERRED)
        if self._locked:
            raise TypeError(LOCKED_WRITABLE)
        self._transferred = True
        return self._sink

    def _give_back(self, sink: Any) -> None:
        self._sink, self._transferred = sink, False

    def __repr__(self) -> str:
        state = " (sent over RPC)" if self._transferred else " (locked)" if self._locked else ""
        return f"<WritableStream{state}>"


class WritableStreamWriter:
    """``stream.get_writer()``: ``await write(chunk)``, ``await close()``, ``await abort()``."""

    __slots__ = ("_stream", "_closed", "_error")

    def __init__(self, stream: WritableStream) -> None:
        self._stream: WritableStream | None = stream
        self._closed = False
        self._error: BaseException | None = None

    def _sink(self) -> Any:
        if self._stream is None:
            raise TypeError("This writer has released its lock.")
        if self._error is not None:
            raise self._error
        return self._stream._sink

    async def _call(self, name: str, *args: Any) -> None:
        method = getattr(self._sink(), name, None)
        if method is None:
            return
        try:
            result = method(*args)
            if inspect.isawaitable(result):
                await result
        except BaseException as exc:
            self._error = exc
            raise

    async def write(self, chunk: Any) -> None:
        """Write ``chunk``; it completes when the sink has taken it."""
        if self._closed:
            raise TypeError("This WritableStream has been closed.")
        await self._call("write", chunk)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._call("close")

    async def abort(self, reason: object = None) -> None:
        if not self._closed:
            self._closed = True
            await self._call("abort", reason)

    def release_lock(self) -> None:
        if self._stream is not None:
            self._stream._locked = False
            self._stream = None

    @property
    def desired_size(self) -> int:
        return 0


class _PipeSink:
    """The writable half of an identity transform: writes go into a pipe."""

    __slots__ = ("pipe",)

    def __init__(self, pipe: Pipe) -> None:
        self.pipe = pipe

    async def write(self, chunk: Any) -> None:
        await self.pipe.write(chunk)

    def close(self) -> None:
        self.pipe.close()

    def abort(self, reason: object = None) -> None:
        self.pipe.fail(reason if isinstance(reason, BaseException) else RpcError(str(reason or "aborted")))


class IdentityTransformStream:
    """A writable and a readable joined: what is written to ``writable`` is read from
    ``readable``; a write completes once its chunk has been read."""

    __slots__ = ("readable", "writable")

    def __init__(self) -> None:
        pipe = Pipe(_current_runtime())
        pipe.where = user_frame()
        self.readable = ReadableStream(pipe)
        self.writable = WritableStream(_PipeSink(pipe))


def _as_bytes(chunk: Any) -> bytes | bytearray | memoryview:
    """A chunk as bytes; text is encoded as UTF-8 (the runtime accepted it); anything else is
    refused with the runtime's text."""
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode()
    raise TypeError(NOT_BYTES)
