"""A WebSocket session to a real peer, client side, on the ``websockets`` library: one Cap'n
Web JSON message per text frame, both ways. (The server side is in :mod:`.server`.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .io import IOThread, Outbox, require

__all__ = ["open_websocket"]


async def open_websocket(
    io: IOThread, url: str, on_text: Callable[[str], None], on_end: Callable[[str], None], max_size: int
) -> Outbox:
    """On the I/O loop: connect to ``url``; every text frame received goes to ``on_text``, and
    ``on_end(reason)`` is called once when the socket ends. Returns the socket's outbox (what
    is put there is sent, in order; ``None`` closes)."""
    (websockets,) = require("websockets")
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=max_size, open_timeout=10, close_timeout=2)
    outbox = Outbox(io)
    outbox.start(ws.send, ws.close)

    async def reader() -> None:
        reason = "the peer closed the WebSocket"
        try:
            async for frame in ws:
                on_text(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))
        except asyncio.CancelledError:
            reason = "the playground was closed"
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
        on_end(reason)

    asyncio.get_running_loop().create_task(reader())
    return outbox
