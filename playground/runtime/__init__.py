"""The simulated Workers runtime: workers, contexts, stubs and promises, bindings, HTTP.

The modules form one-way layers (see ``docs/design.md``): each imports only modules listed
below it in the layer table, and :mod:`.world` builds the ``Playground`` from all of them.
"""

from .bindings import ServiceStub
from .shared import CLIENT
from .env import Env
from .http import Headers, Request, Response
from .ledger import StubInfo
from .streams import IdentityTransformStream, ReadableStream, WritableStream
from .stubs import RpcPromise, RpcProperty, RpcStub, dispose
from .targets import DurableObject, RpcTarget, WorkerEntrypoint
from .world import Playground, sleep

__all__ = [
    "CLIENT",
    "DurableObject",
    "Env",
    "Headers",
    "IdentityTransformStream",
    "Playground",
    "ReadableStream",
    "Request",
    "Response",
    "RpcPromise",
    "RpcProperty",
    "RpcStub",
    "RpcTarget",
    "ServiceStub",
    "StubInfo",
    "WorkerEntrypoint",
    "WritableStream",
    "dispose",
    "sleep",
]
