"""Real peers: sessions with programs outside the playground, over real sockets.

``play.connect(url)`` opens a session to a real Cap'n Web server (WebSocket for ``ws://``,
an HTTP batch for ``http://``) and gives a stub to its main object; ``play.serve(worker)``
lets real clients (a browser page, a Node script using npm ``capnweb``, another playground)
open sessions to a worker's main entrypoint. One end of such a session is a
:class:`RealConnection` in the playground — a :class:`~.connection.Connection` like any other,
so stubs, promises, pipelining, callbacks, disposal and errors behave as in a simulated
session — joined to a :class:`~playground.transport.io.RealTransport`; the other end is out of
sight. The sockets live on the playground's I/O thread (:mod:`playground.transport.io`); what
arrives is handed to the playground's loop, which waits for it in real time (see "Real I/O" in
:mod:`playground.sim.clock`).

The real peer is a lane of the trace named after the URL's ``host:port`` (or ``name=``); a real
client of a server is a lane ``client host``. Messages both ways are traced: their size is the
JSON text's, their times are on the playground's clock, which follows the wall clock while it
waits for real I/O. A message we send is drawn arriving when it left (its arrival is out of
sight); one we receive is drawn leaving at the session's previous message.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..codec.capnweb import CapnWebCodec
from ..errors import ConfigurationError, ConnectionLost, ProtocolError, Text
from ..protocol import COUNTED_KINDS, MAIN, Kind, Path
from ..transport.batch import post_batch
from ..transport.io import Codec, IOThread, Outbox, RealTransport, require
from ..transport.server import RealServer
from ..transport.websocket import open_websocket
from .bindings import EntrypointTarget
from .connection import Connection
from .context import ExecutionContext
from .lifecycle import Lifecycle
from .remote import RemoteHook
from .shared import CLIENT
from .stubs import RpcStub

__all__ = ["Peers", "RealConnection", "Server"]

#: Largest message accepted from a real peer (also the default of the Cap'n Web codec).
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
_SCHEMES = {"ws": "websocket", "wss": "websocket", "http": "batch", "https": "batch"}


def default_codec() -> Codec:
    """The Cap'n Web JSON codec (:mod:`playground.codec.capnweb`)."""
    return CapnWebCodec(max_message_bytes=MAX_MESSAGE_BYTES)


def session_codec(codec: Codec | None) -> Codec:
    """A codec for one new session: a codec is one end of one session (Cap'n Web numbers the
    calls of each session implicitly, from 1), so each session gets a fresh default or its own
    copy of the one given, which serves as a template."""
    return default_codec() if codec is None else copy.deepcopy(codec)


class MainHook(RemoteHook):
    """The real peer's main object (import 0): it lives as long as the session, which ends
    (closing the socket) when the last stub to it is disposed."""

    __slots__ = ()

    def dup(self) -> MainHook:
        connection = self.connection
        assert isinstance(connection, RealConnection)
        connection.held += 1
        return MainHook(connection, MAIN)

    def dispose(self) -> None:
        if not self._disposed:
            self._disposed = True
            connection = self.connection
            assert isinstance(connection, RealConnection)
            connection.held -= 1
            connection.maybe_close()

    def describe(self) -> str:
        return f"main object of {self.connection.peer_worker}"


class RealConnection(Connection):
    """Our end of a session with a real peer. It stays open while ``held`` > 0 (a client: the
    stubs to the peer's main object; a server: the socket), however idle its tables are."""

    __slots__ = ("held", "received", "last_ns", "on_flush", "on_end")

    capnweb = True  # (Cap'n Web's rules where they differ from workerd's: see docs/design.md)

    transport: RealTransport  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held = 0
        #: Messages received so far (frames on a WebSocket, lines of a batch reply).
        self.received = 0
        self.last_ns = self.runtime.loop._now_ns  # the session's latest message, either way
        self.on_flush: Callable[[], None] | None = None  # (a batch being answered)
        self.on_end: Callable[[], None] | None = None

    def close(self) -> None:
        if self.held > 0:
            return  # an idle session with a real peer stays open while it is held
        super().close()
        if self.on_end is not None:
            self.on_end()

    def flush(self) -> None:
        if self.session.outbox:
            self.last_ns = self.runtime.loop._now_ns
        super().flush()
        if self.on_flush is not None:
            self.on_flush()

    def _lost(self, seq: int) -> None:
        why = "its socket is closed" if getattr(self.transport, "socket", False) else "it is over"
        error = ConnectionLost(Text.real_lost(self.peer_worker, why))
        self.runtime.loop.call_soon(self.fail, error)

    def arrived(self, text: str) -> None:
        """A message from the real peer (on the playground's thread): decode, trace, receive.
        A malformed one aborts this session only (:meth:`Connection.protocol_error`)."""
        if self.closed or self.broken is not None:
            return
        self.received += 1
        runtime = self.runtime
        now = runtime.loop._now_ns
        try:
            message = self.transport.codec.decode(text)
        except Exception as exc:
            cause = exc if isinstance(exc, ProtocolError) else ProtocolError(f"{type(exc).__name__}: {exc}")
            self.protocol_error(cause)
            return
        kind = message[0]
        counted = kind in COUNTED_KINDS
        size = len(text.encode()) if isinstance(text, str) else len(text)
        recorder = runtime.recorder
        lanes = recorder.lanes(self.peer_worker, self.worker)
        # its cause: the last call or result we sent it (the peer's own steps are out of sight,
        # but it can only have answered what it received), so round trips count as simulated
        after = self.transport.last_counted if counted else None
        seq = recorder.message(min(self.last_ns, now), message, lanes, now, size, self.session_id, after, counted)
        self.last_ns = now
        self.receive(message, seq, counted)

    def ended(self, reason: str) -> None:
        """The socket ended (or the batch is over): what still waits fails with
        ``ConnectionLost``; an idle session just closes."""
        self.held = 0
        if self.closed or self.broken is not None:
            if self.on_end is not None:
                self.on_end()
            return
        if self.opener is None and self.session.is_idle():
            self.close()
        else:
            self.opener = None
            self.fail(ConnectionLost(Text.real_lost(self.peer_worker, reason)))
            if self.on_end is not None:
                self.on_end()


class Server:
    """A worker's main entrypoint served to real clients (``play.serve``): WebSocket and HTTP
    batch sessions at :attr:`url`. ``close()`` (or the end of a ``with`` block, or
    ``play.close()``) stops it and ends its sessions."""

    def __init__(self, peers: Peers, worker: str, host: str, path: str, name: str | None, codec: Codec | None) -> None:
        self._peers = peers
        self.worker = worker
        self.host = host
        self.path = path
        self.name = name
        #: The codec given to ``serve`` (None: Cap'n Web's JSON): a template, never used itself.
        self.codec = codec
        self.port = 0
        self.closed = False
        self.real: RealServer | None = None
        #: Sessions served so far (WebSocket and batch), and those open now.
        self.sessions = 0
        self.open: set[RealConnection] = set()
        self._done: asyncio.Future[None] | None = None

    @property
    def url(self) -> str:
        """The WebSocket URL (``http://`` + the same address and path takes HTTP batches)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}{self.path}"

    @property
    def batch_url(self) -> str:
        return "http" + self.url[2:]

    def new_codec(self) -> Codec:
        """A codec for one new session (see :func:`session_codec`)."""
        return session_codec(self.codec)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self.open)} session(s) open"
        return f"<Server {self.worker!r} at {self.url}, {state}>"

    def close(self) -> None:
        """Stop listening and end the sessions still open (idempotent)."""
        self._peers.close_server(self)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    async def serve_forever(self) -> None:
        """Await this (``play.run(server.serve_forever())``) to keep the playground answering
        real clients until the server is closed (or Ctrl-C)."""
        loop = self._peers.runtime.loop
        if self._done is None:
            self._done = loop.create_future()
            if self.closed:
                self._done.set_result(None)
        await self._done


class Peers:
    """A playground's real sessions and servers, and the I/O thread they use."""

    def __init__(self, runtime: Any, lifecycle: Lifecycle) -> None:
        self.runtime = runtime
        self.lifecycle = lifecycle
        self.io = IOThread(f"playground I/O {id(self):x}")
        self.servers: list[Server] = []
        self.lanes: list[str] = []  # the real peers' lanes, in the order they appeared
        self._pumps: dict[Server, Callable[[], None]] = {}

    def _lane(self, name: str) -> str:
        if name not in self.lanes:
            self.lanes.append(name)
        return name

    # -- clients -----------------------------------------------------------------------------

    def check_url(self, url: Any, name: Any) -> tuple[str, str]:
        """``(kind, lane)`` for a URL given to ``play.connect``, or a clear error."""
        if not isinstance(url, str):
            raise TypeError(f"play.connect() takes a URL string; got {type(url).__name__}.")
        parts = urlsplit(url)
        kind = _SCHEMES.get(parts.scheme)
        if kind is None:
            raise ConfigurationError(
                f"play.connect() cannot use the URL scheme {parts.scheme!r} ({url!r}): use ws:// or "
                "wss:// for a WebSocket session, http:// or https:// for an HTTP batch."
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigurationError(f"play.connect(): bad port in {url!r}: {exc}.") from None
        if not parts.hostname:
            raise ConfigurationError(f"play.connect(): the URL {url!r} names no host.")
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigurationError(f"name must be a non-empty string (the peer's lane); got {name!r}.")
        if port is None:
            port = 443 if parts.scheme in ("wss", "https") else 80
        return kind, name or f"{parts.hostname}:{port}"

    async def connect(self, url: str, name: str | None, codec: Codec | None) -> RpcStub:
        """Open a session to the real Cap'n Web server at ``url``; a stub to its main object."""
        kind, lane = self.check_url(url, name)
        require("websockets" if kind == "websocket" else "aiohttp")
        codec = session_codec(codec)
        runtime = self.runtime
        lifecycle = self.lifecycle
        context = lifecycle.host(CLIENT)
        connection = self._connection(context, CLIENT, self._lane(lane))
        loop = runtime.loop
        if kind == "websocket":
            loop.open_real()
            on_text, on_end = self._handlers(connection)
            try:
                outbox = await self._on_io(open_websocket(self.io, url, on_text, on_end, MAX_MESSAGE_BYTES))
            except Exception as exc:
                loop.close_real()
                connection.held = 0
                connection.transport = RealTransport(codec, loop, lambda text: None, lambda: None)
                connection.close()
                raise ConnectionError(Text.real_refused(url, exc)) from None
            connection.on_end = _once(loop.close_real)
            connection.transport = RealTransport(codec, loop, outbox.put, lambda: outbox.put(None))
        else:
            connection.transport = _BatchClient(self, connection, codec, url)
        connection.held = 1
        return RpcStub._wrap(MainHook(connection, MAIN), context)

    def _connection(self, context: ExecutionContext | None, worker: str, lane: str) -> RealConnection:
        runtime = self.runtime
        lifecycle = self.lifecycle
        connection = RealConnection(runtime, lifecycle, lifecycle.bindings, context, worker, lane, runtime.next_id())
        lifecycle.add_real(connection)
        return connection

    def _handlers(self, connection: RealConnection) -> tuple[Callable[[str], None], Callable[[str], None]]:
        """Thread-safe callbacks that hand a socket's texts and end to ``connection``."""
        call = self.runtime.loop.call_soon_real
        return (lambda text: call(connection.arrived, text)), (lambda reason: call(connection.ended, reason))

    async def _on_io(self, coroutine: Any) -> Any:
        """Await ``coroutine`` run on the I/O thread, from the playground's loop."""
        loop = self.runtime.loop
        result = loop.create_future()

        def done(future: Any) -> None:
            loop.call_soon_real(_copy, future, result)

        self.io.submit(coroutine).add_done_callback(done)
        return await result

    # -- servers ----------------------------------------------------------------------------

    def serve(self, worker: str, port: int, host: str, path: str, name: str | None, codec: Codec | None) -> Server:
        runtime = self.runtime
        runtime.known(worker)
        from_outside = _outer_loop(runtime.loop)
        require("aiohttp")
        server = Server(self, worker, host, path, name, codec)
        real = RealServer(
            self.io, host, port, path, lambda peer, outbox: self._accept(server, peer, outbox),
            lambda peer, texts, reply: runtime.loop.call_soon_real(self._batch, server, peer, texts, reply),
            MAX_MESSAGE_BYTES,
        )
        try:
            server.port = self.io.submit(real.start()).result(30)
        except OSError as exc:
            raise ConfigurationError(Text.real_bind(host, port, exc)) from None
        server.real = real
        runtime.loop.open_real()
        self.servers.append(server)
        if from_outside is not None:  # a notebook's loop: it runs the playground when clients call
            self._pumps[server] = runtime.loop.add_waker(_Pump(runtime.loop, from_outside).wake)
        return server

    def _accept(self, server: Server, peer: str, outbox: Outbox) -> tuple[Callable[[str], None], Callable[[str], None]]:
        """(I/O thread) A WebSocket was accepted: its session opens on the playground's loop."""
        loop = self.runtime.loop
        ends: list[RealConnection] = []
        loop.call_soon_real(self._open_socket, server, peer, outbox, ends)

        def on_text(text: str) -> None:
            loop.call_soon_real(_to_first, ends, "arrived", text)

        def on_end(reason: str) -> None:
            loop.call_soon_real(_to_first, ends, "ended", reason)

        return on_text, on_end

    def _served(self, server: Server, peer: str) -> RealConnection:
        """A new session of ``server`` with the client ``peer``: the callee's end."""
        lifecycle = self.lifecycle
        lane = self._lane(server.name or f"client {peer.rsplit(':', 1)[0]}")
        connection = self._connection(None, server.worker, lane)
        opener = _target(server.worker).prepare(lifecycle)

        def open_session(end: Connection, path: Path) -> None:
            opener(end, path)
            if end.context is not None:
                end.context.kind = "session"  # (it lives as long as the session, not one call)

        connection.opener = open_session
        connection.held = 1
        server.sessions += 1
        server.open.add(connection)
        return connection

    def _finish(self, server: Server, connection: RealConnection) -> Callable[[], None]:
        def finish() -> None:
            server.open.discard(connection)
            context = connection.context
            if context is not None and not context.closed and context.kind == "session":
                self.lifecycle.end(context)

        return _once(finish)

    def _open_socket(self, server: Server, peer: str, outbox: Outbox, ends: list[RealConnection]) -> None:
        if server.closed:
            outbox.put(None)
            return
        connection = self._served(server, peer)
        connection.transport = RealTransport(server.new_codec(), self.runtime.loop, outbox.put, lambda: outbox.put(None))
        connection.on_end = self._finish(server, connection)
        ends.append(connection)

    def _batch(self, server: Server, peer: str, texts: list[str], reply: Callable[[list[str]], None]) -> None:
        """A batch arrived: one session, answered once every result pulled in it has settled."""
        if server.closed:
            reply([])
            return
        connection = self._served(server, peer)
        replies: list[str] = []
        connection.transport = RealTransport(server.new_codec(), self.runtime.loop, replies.append, lambda: None)
        finish = self._finish(server, connection)

        def check() -> None:
            if connection.broken is None and not connection.closed and _pulled(connection):
                return
            connection.on_flush = None
            reply(list(replies))
            connection.ended("the HTTP batch is over")
            finish()

        connection.on_end = finish
        for text in texts:
            connection.arrived(text)
            if connection.broken is not None:
                break
        connection.on_flush = check
        check()

    def close_server(self, server: Server) -> None:
        if server.closed:
            return
        server.closed = True
        if server in self.servers:
            self.servers.remove(server)
        remove = self._pumps.pop(server, None)
        if remove is not None:
            remove()
        real, server.real = server.real, None
        if real is not None and self.io.running:
            try:
                self.io.submit(real.stop()).result(10)
            except Exception:
                pass
        for connection in list(server.open):
            connection.ended("the server was closed")
        self.runtime.loop.close_real()
        if server._done is not None and not server._done.done():
            server._done.set_result(None)

    # -- closing ----------------------------------------------------------------------------

    def closing(self) -> None:
        """The playground is closing: servers stop, sessions are let go, the loop stops waiting
        for real I/O (the drain that follows is simulated only)."""
        for server in list(self.servers):
            self.close_server(server)
        for connection in self.lifecycle.connections():
            if isinstance(connection, RealConnection):
                connection.held = 0
        self.runtime.loop._real_io = 0

    def stop(self) -> None:
        """Close every socket and join the I/O thread."""
        self.io.stop()


class _BatchClient(RealTransport):
    """The client's end of an HTTP batch: messages sent in one turn of the loop go in one POST;
    the reply's messages are received in order, then the session is over (later calls fail
    with ``ConnectionLost``; releases are dropped: the server let go of everything)."""

    __slots__ = ("peers", "connection", "url", "texts", "posted")

    def __init__(self, peers: Peers, connection: RealConnection, codec: Codec, url: str) -> None:
        super().__init__(codec, peers.runtime.loop, self._queue, lambda: None)
        self.peers = peers
        self.connection = connection
        self.url = url
        self.texts: list[str] = []
        self.posted = False

    def send(self, message: Any, seq: int, counted: bool) -> tuple[int, int | None]:
        if self.posted and message[0] is Kind.RELEASE:
            return len(self.codec.encode(message).encode()), self.loop._now_ns
        if self.posted:
            self.closed = True
        return super().send(message, seq, counted)

    def _queue(self, text: str) -> None:
        if not self.texts:
            self.loop.call_soon(self._post)
        self.texts.append(text)

    def _post(self) -> None:
        texts, self.texts = self.texts, []
        self.posted = True
        loop = self.loop
        loop.open_real()
        connection = self.connection
        future = self.peers.io.submit(post_batch(self.url, texts, MAX_MESSAGE_BYTES))

        def done(result: Any) -> None:
            loop.call_soon_real(self._answered, result)

        future.add_done_callback(done)
        connection.on_end = _once(loop.close_real)

    def _answered(self, future: Any) -> None:
        connection = self.connection
        error = future.exception()
        if error is not None:
            connection.ended(f"the batch request failed: {type(error).__name__}: {error}")
            return
        for text in future.result():
            connection.arrived(text)
        connection.ended("the HTTP batch is over")


class _Pump:
    """Runs a served playground from the loop that was running when ``serve`` was called (a
    notebook's): whenever a real client's message arrives, and when a timer of the playground
    comes due while a real session is open."""

    def __init__(self, loop: Any, outer: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.outer = outer
        self.timer: asyncio.TimerHandle | None = None

    def wake(self) -> None:  # (any thread)
        try:
            self.outer.call_soon_threadsafe(self.run, context=contextvars.Context())  # (see call_soon_real)
        except RuntimeError:  # (that loop is closed)
            pass

    def run(self) -> None:
        loop = self.loop
        if loop.is_closed() or loop._driving:
            return  # (whoever drives it now handles what arrived)
        state = loop.run_until(lambda: False, None, host_paced=True)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if state == "real":
            delay = loop.real_delay()
            if delay is not None:
                self.timer = self.outer.call_later(delay, self.run)


def _outer_loop(loop: Any) -> asyncio.AbstractEventLoop | None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return None if running is loop else running


def _target(worker: str) -> EntrypointTarget:
    return EntrypointTarget(worker, None)


def _to_first(ends: list[RealConnection], method: str, text: str) -> None:
    if ends:
        getattr(ends[0], method)(text)


def _pulled(connection: Connection) -> bool:
    """Whether a result the peer pulled is still being computed."""
    return any(pulled for _, _, pulled, _ in connection.session.exported())


def _copy(source: Any, target: asyncio.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


def _once(action: Callable[[], None]) -> Callable[[], None]:
    done = False

    def once() -> None:
        nonlocal done
        if not done:
            done = True
            action()

    return once


def check_port(port: Any) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigurationError(f"port must be a whole number from 0 to 65535 (0: any free port); got {port!r}.")
    return port


def check_host(host: Any) -> str:
    if not isinstance(host, str) or not host:
        raise ConfigurationError(f"host must be an address to listen on, such as '127.0.0.1'; got {host!r}.")
    return host


def check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigurationError(f"path must start with '/' (such as '/api'); got {path!r}.")
    return path


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
