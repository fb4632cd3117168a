"""An HTTP batch session to a real peer, client side, on ``aiohttp``: Cap'n Web's batch
form. Every message of the batch goes in one POST, one per line; the response's body carries
the peer's messages, one per line; then the session is over. (The server side is in
:mod:`.server`.)"""

from __future__ import annotations

from .io import require

__all__ = ["post_batch", "split_batch"]


def split_batch(body: str) -> list[str]:
    """The messages of a batch body (newline-separated; empty lines are not messages)."""
    return [line for line in body.split("\n") if line.strip()]


async def post_batch(url: str, texts: list[str], max_size: int) -> list[str]:
    """On the I/O loop: POST ``texts`` to ``url`` as one batch; the peer's messages. An HTTP
    status other than 200 raises :class:`ConnectionError` naming it."""
    (aiohttp,) = require("aiohttp")
    async with aiohttp.ClientSession() as client:
        async with client.post(url, data="\n".join(texts).encode(), headers={"Content-Type": "text/plain"}) as response:
            body = await response.content.read(max_size + 1)
            if len(body) > max_size:
                raise ConnectionError(f"the batch response is larger than {max_size} bytes")
            if response.status != 200:
                raise ConnectionError(f"HTTP {response.status} {response.reason}: {body[:200].decode('utf-8', 'replace')}")
            return split_batch(body.decode("utf-8", "replace"))
