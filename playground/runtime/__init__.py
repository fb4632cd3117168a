"""The simulated Workers runtime: workers, contexts, stubs and promises, bindings, HTTP."""

from .bindings import Env, ServiceStub
from .http import Headers, Request, Response
from .ledger import StubInfo
from .streams import IdentityTransformStream, ReadableStream, WritableStream
from .stubs import RpcPromise, RpcProperty, RpcStub, dispose
from .targets import DurableObject, RpcTarget, WorkerEntrypoint
from .world import CLIENT, Playground

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
]
