"""playground: explore Cloudflare Workers' JavaScript-native RPC from Python, in virtual time.

>>> from playground import Playground, WorkerEntrypoint
>>> class Adder(WorkerEntrypoint):
...     def add(self, a, b):
...         return a + b
>>> play = Playground(latency="25ms")
>>> _ = play.worker("adder", Adder)
>>> _ = play.worker("client", WorkerEntrypoint, services={"ADDER": "adder"})
>>> play.run(play.env("client").ADDER.add(1, 2))  # in a notebook: await env.ADDER.add(1, 2)
3
>>> play.now  # virtual seconds: one round trip of 25 ms each way, not slept
0.05
>>> play.close()
"""

from __future__ import annotations

import asyncio
from asyncio import events

from .errors import (
    ConnectionLost,
    StreamCanceled,
    DataCloneError,
    PlaygroundError,
    RemoteError,
    RpcError,
)
from .runtime import (
    DurableObject,
    Headers,
    IdentityTransformStream,
    Playground,
    ReadableStream,
    Request,
    Response,
    RpcPromise,
    RpcProperty,
    RpcStub,
    RpcTarget,
    WorkerEntrypoint,
    WritableStream,
    dispose,
)
from .runtime.world import latest as _latest
from .sim.units import Duration, parse_duration_ns

__version__ = "0.1.0"

__all__ = [
    "ConnectionLost",
    "DataCloneError",
    "DurableObject",
    "Headers",
    "IdentityTransformStream",
    "Playground",
    "PlaygroundError",
    "ReadableStream",
    "RemoteError",
    "Request",
    "Response",
    "RpcError",
    "RpcPromise",
    "RpcProperty",
    "RpcStub",
    "RpcTarget",
    "StreamCanceled",
    "WorkerEntrypoint",
    "WritableStream",
    "dispose",
    "sleep",
]


async def sleep(seconds: Duration) -> None:
    """Wait ``seconds`` of virtual time.

    Inside worker code this is ``asyncio.sleep`` on the playground's virtual clock. From a
    notebook cell or a script it drives the most recently created playground.
    """
    delay_ns = parse_duration_ns(seconds, "sleep duration")
    loop = events._get_running_loop()
    from .sim.clock import VirtualLoop

    if isinstance(loop, VirtualLoop):
        await asyncio.sleep(delay_ns / 1e9)
        return
    play = _latest()
    if play is None:
        raise RuntimeError("playground.sleep() needs a Playground: create one first.")
    await play.sleep(delay_ns / 1e9)


def load_ipython_extension(ip: object) -> None:
    """``%load_ext playground``: draw each cell's RPC activity under the cell."""
    from .notebook import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: object) -> None:
    """``%unload_ext playground``."""
    from .notebook import unload_ipython_extension as unload

    unload(ip)
