"""A server for real peers, on ``aiohttp``: one address and path answers both of Cap'n Web's
transports, as ``newWorkersRpcResponse`` does: a request asking to upgrade to a WebSocket gets
a WebSocket session (one Cap'n Web JSON message per text frame), a POST gets an HTTP batch
session (messages one per line, the reply's body carries the answers), anything else a 405.

The server runs on the playground's :class:`~.io.IOThread`; what it receives is handed over
through the two callbacks it is given, which must be thread-safe (the runtime hands each to the
playground's loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .batch import split_batch
from .io import IOThread, Outbox, require

__all__ = ["RealServer", "SocketHandler"]

#: ``on_socket(peer, outbox)`` -> ``(on_text, on_end)``: a WebSocket was accepted from ``peer``
#: (``host:port``); its messages go to ``on_text``, its end to ``on_end(reason)``.
SocketHandler = Callable[[str, Outbox], tuple[Callable[[str], None], Callable[[str], None]]]
#: ``on_batch(peer, texts, reply)``: a batch arrived; ``reply(texts)`` (from any thread) answers it.
BatchHandler = Callable[[str, list[str], Callable[[list[str]], None]], None]


class RealServer:
    """Listens on ``host:port`` (``port=0``: any free port) at ``path``."""

    def __init__(
        self,
        io: IOThread,
        host: str,
        port: int,
        path: str,
        on_socket: SocketHandler,
        on_batch: BatchHandler,
        max_bytes: int,
    ) -> None:
        self.io = io
        self.host = host
        self.port = port
        self.path = path
        self._on_socket = on_socket
        self._on_batch = on_batch
        self._max_bytes = max_bytes
        self._runner: Any = None
        self._forget: Callable[[], None] | None = None
        #: WebSocket sessions and HTTP batches accepted so far.
        self.sockets = 0
        self.batches = 0

    async def start(self) -> int:
        """On the I/O loop: start listening; the port it listens on."""
        (_, web) = require("aiohttp", "aiohttp.web")
        app = web.Application(client_max_size=self._max_bytes)
        app.router.add_route("*", self.path, self._handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._forget = self.io.on_stop(self.stop)
        self.port = runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        """On the I/O loop: stop listening and close the sessions still open."""
        runner, self._runner = self._runner, None
        if self._forget is not None:
            self._forget()
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: Any) -> Any:
        web = require("aiohttp.web")[0]
        peer = _peer(request)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._socket(request, peer, web)
        if request.method == "POST":
            return await self._batch(request, peer, web)
        return web.Response(status=405, text="Cap'n Web: POST a batch, or open a WebSocket.\n")

    async def _socket(self, request: Any, peer: str, web: Any) -> Any:
        aiohttp = require("aiohttp")[0]
        ws = web.WebSocketResponse(max_msg_size=self._max_bytes)
        await ws.prepare(request)
        self.sockets += 1
        outbox = Outbox(self.io)
        outbox.start(ws.send_str, ws.close)
        on_text, on_end = self._on_socket(peer, outbox)
        reason = "the peer closed the WebSocket"
        try:
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    on_text(frame.data)
                elif frame.type == aiohttp.WSMsgType.BINARY:
                    on_text(frame.data.decode("utf-8", "replace"))
                elif frame.type == aiohttp.WSMsgType.ERROR:
                    reason = f"WebSocket error: {ws.exception()}"
        except asyncio.CancelledError:
            reason = "the server was closed"
            on_end(reason)
            raise
        on_end(reason)
        return ws

    async def _batch(self, request: Any, peer: str, web: Any) -> Any:
        body = await request.text()
        self.batches += 1
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[list[str]] = loop.create_future()

        def reply(texts: list[str]) -> None:  # (from the playground's thread)
            self.io.call(_settle, answered, texts)

        self._on_batch(peer, split_batch(body), reply)
        texts = await answered
        return web.Response(text="\n".join(texts), content_type="text/plain")


def _settle(future: asyncio.Future[list[str]], texts: list[str]) -> None:
    if not future.done():
        future.set_result(texts)


def _peer(request: Any) -> str:
    """``host:port`` of the peer that sent ``request``."""
    peername = request.transport.get_extra_info("peername") if request.transport is not None else None
    if isinstance(peername, tuple) and len(peername) >= 2:
        return f"{peername[0]}:{peername[1]}"
    return "unknown peer"
