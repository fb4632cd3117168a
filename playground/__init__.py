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

from typing import Any

from .errors import (
    ConnectionLost,
    DataCloneError,
    ForgottenAwaitWarning,
    PlaygroundError,
    ProtocolError,
    RemoteError,
    RpcError,
    StreamCanceled,
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
    sleep,
)
from .runtime.wrangler import SDK as _SDK
from .trace.recorder import set_renderers as _set_renderers

__version__ = "0.1.0"

__all__ = [
    "ConnectionLost",
    "DataCloneError",
    "DurableObject",
    "ForgottenAwaitWarning",
    "Headers",
    "IdentityTransformStream",
    "Playground",
    "PlaygroundError",
    "ProtocolError",
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
    "compare",
    "dispose",
    "sleep",
]


def _renderers() -> Any:
    """The visualiser, loaded the first time a trace is drawn (the seam in ``trace.recorder``)."""
    from . import viz

    return viz


def compare(a: Any, b: Any, *, labels: tuple[str, str] = ("awaited", "pipelined")) -> Any:
    """Two runs side by side on one time scale (the longer one taller), with what changed from
    ``a`` to ``b`` in round trips, time, messages and bytes: ``round trips 2 → 1 (−1)``.

    ``a`` and ``b`` are recordings or traces. The result shows itself in Jupyter, prints in a
    terminal, and has ``to_svg(path=None)`` and ``to_png(path=None, *, scale=2)``."""
    return _renderers().compare(a, b, labels=labels)


_set_renderers(_renderers)
_SDK.update({name: globals()[name] for name in __all__ if name != "compare"})  # ``import workers`` in wrangler modules


def load_ipython_extension(ip: object) -> None:
    """``%load_ext playground``: draw each cell's RPC activity under the cell."""
    from .notebook import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: object) -> None:
    """``%unload_ext playground``."""
    from .notebook import unload_ipython_extension as unload

    unload(ip)
