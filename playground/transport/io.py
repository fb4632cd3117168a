"""Real sockets for a playground: one I/O thread with its own asyncio loop, and the transport
that carries a session's messages over it as Cap'n Web JSON text.

The playground's :class:`~playground.sim.clock.VirtualLoop` never touches a socket. Each
playground that opens a real session (or serves one) starts, on first use, one
:class:`IOThread`: a daemon thread running an ordinary asyncio loop, on which the WebSocket and
HTTP libraries run (:mod:`.websocket`, :mod:`.batch`, :mod:`.server`). Text from a socket is
handed to the playground's loop with :meth:`VirtualLoop.call_soon_real
<playground.sim.clock.VirtualLoop.call_soon_real>` (thread-safe); text to send is handed to the
I/O loop with ``call_soon_threadsafe``. Each side keeps the order of what it hands over, so the
messages of one session stay in order both ways. :meth:`IOThread.stop` (``play.close()``)
closes every socket and server it opened and joins the thread.

The libraries are optional (``pip install 'workers-rpc-playground[peers]'``): :func:`require` says so when
one is missing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from ..errors import Text
from ..protocol import Message
from ..sim.clock import VirtualLoop

__all__ = ["Codec", "IOThread", "RealTransport", "require"]

#: The optional libraries real peers use, by import name -> distribution name.
_LIBRARIES = {"websockets": "websockets", "aiohttp": "aiohttp"}


def require(*names: str) -> list[Any]:
    """Import the optional libraries ``names`` (default: all that real peers use); an
    :class:`ImportError` naming ``pip install 'workers-rpc-playground[peers]'`` if any is missing."""
    modules = []
    missing = []
    for name in names or tuple(_LIBRARIES):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            missing.append(_LIBRARIES.get(name, name))
    if missing:
        raise ImportError(Text.PEERS_MISSING.format(missing=", ".join(missing)))
    return modules


class Codec(Protocol):
    """A wire format for real peers: one message <-> one text (Cap'n Web's JSON)."""

    def encode(self, message: Message) -> str: ...

    def decode(self, text: str | bytes) -> Message: ...


class IOThread:
    """A thread running an asyncio loop for one playground's sockets (started on first use)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        #: What to close when the thread stops (servers, sockets), newest last.
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The I/O loop (the thread starts now if it has not yet)."""
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                started = threading.Event()
                thread = threading.Thread(
                    target=self._main, args=(loop, started), name=self._name, daemon=True
                )
                thread.start()
                started.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _main(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        """Run ``coroutine`` on the I/O loop; its result, as a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call(self, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` on the I/O loop (from any thread; nothing once stopped)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:  # (stopped meanwhile)
                pass

    def on_stop(self, closer: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        """Run ``await closer()`` when the thread stops; returns what forgets it (when the
        resource was closed before)."""
        self._closers.append(closer)

        def forget() -> None:
            if closer in self._closers:
                self._closers.remove(closer)

        return forget

    def stop(self, timeout: float = 10.0) -> None:
        """Close what is open on the thread, stop its loop and join it (idempotent)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        except Exception:  # (a closer that failed: the loop is stopped all the same)
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()

    async def _shutdown(self) -> None:
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            try:
                await asyncio.wait_for(closer(), 5.0)
            except Exception:
                pass
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        writers = [task for task in tasks if task.get_name().startswith("playground-writer")]
        if writers:  # (sockets being closed: let them finish)
            await asyncio.wait(writers, timeout=3.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(5):  # (let transports finish closing their sockets)
            await asyncio.sleep(0)


class Outbox:
    """Texts to write to one socket, in order: filled from the playground's thread, drained by
    a writer task on the I/O loop. ``None`` closes the socket after what came before."""

    def __init__(self, io: IOThread) -> None:
        self._io = io
        self._queue: asyncio.Queue[str | None] | None = None

    def start(self, write: Callable[[str], Awaitable[None]], close: Callable[[], Awaitable[None]]) -> None:
        """On the I/O loop: start writing with ``write``; ``close`` at the end."""
        queue = self._queue = asyncio.Queue()
        io = self._io

        async def writer() -> None:
            forget = io.on_stop(close)
            try:
                while True:
                    text = await queue.get()
                    if text is None:
                        break
                    await write(text)
            except Exception:  # the socket failed: its reader sees it end
                pass
            finally:
                forget()
                try:
                    await close()
                except Exception:
                    pass

        asyncio.get_running_loop().create_task(writer(), name="playground-writer")

    def put(self, text: str | None) -> None:
        """From any thread: write ``text`` (``None``: close)."""
        self._io.call(self._put, text)

    def _put(self, text: str | None) -> None:
        if self._queue is not None:
            self._queue.put_nowait(text)


class RealTransport:
    """One end of a real session as a :class:`~playground.transport.Transport`: each message
    is encoded with the codec and handed to ``write`` (thread-safe, in order); its size is the
    JSON text's length in UTF-8 bytes. Where it arrives is out of sight: its arrival time is
    the moment it left, on the playground's clock (which follows the wall clock while a real
    session is open)."""

    __slots__ = ("codec", "loop", "write", "finish", "closed", "sent", "last_counted")

    def __init__(
        self, codec: Codec, loop: VirtualLoop, write: Callable[[str], None], finish: Callable[[], None]
    ) -> None:
        self.codec = codec
        self.loop = loop
        self.write = write
        self.finish = finish
        self.closed = False
        #: Messages sent so far (frames on a WebSocket, lines of a batch).
        self.sent = 0
        #: The trace seq of the last counted message (a call or a result) sent: what the peer
        #: can have answered, so the cause of what it sends next (see ``depths`` in trace.stats).
        self.last_counted: int | None = None

    def send(self, message: Message, seq: int, counted: bool) -> tuple[int, int | None]:
        text = self.codec.encode(message)
        now = self.loop._now_ns
        if self.closed:
            return len(text.encode()), None
        self.sent += 1
        if counted:
            self.last_counted = seq
        self.write(text)
        return len(text.encode()), now

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.finish()
