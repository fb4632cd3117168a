"""Service bindings and entrypoints: ``env.SVC``, and what serves a call to it.

A service binding is a stub whose every top-level call opens a new session — and a new
execution context in the callee — as ``env.SVC.method()`` does in Workers. ``fetch`` on a
binding is not RPC: it sends an HTTP request to the callee's ``fetch`` handler.

The callee's side is an :class:`EntrypointTarget`: when the first message of a session arrives
it opens the context, makes the entrypoint (``Class(ctx, env)``, or the worker's plain handler
object) and serves it as the session's main object. What the entrypoint sees as ``self.ctx`` is
an :class:`EntrypointContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgpack

from ..codec import Ext, pack_small
from ..protocol import MAIN, Path
from .contract import FETCH_PATH, ErrorHook, Gone, Hook, Origin, Settled
from .connection import Connection
from .context import ExecutionContext, current
from .hooks import TargetHook
from .http import Request
from .lifecycle import Lifecycle
from .stubs import RpcPromise, RpcStub, private_name
from .targets import RESERVED_ON_ENTRYPOINTS

__all__ = ["BindingHook", "EntrypointContext", "EntrypointTarget", "ServiceHook", "ServiceStub"]


class BindingHook(Hook):
    """Calls through a binding: each opens a new session from the calling context."""

    __slots__ = ("lifecycle", "source", "home")

    def __init__(self, lifecycle: Lifecycle, source: str, home: ExecutionContext) -> None:
        self.lifecycle = lifecycle
        self.source = source
        self.home = home

    def session_target(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def wire_form(self) -> Any:  # pragma: no cover - overridden
        """How a stub of this binding crosses RPC: a reference to what it binds."""
        raise NotImplementedError

    def caller_context(self) -> ExecutionContext:
        """The context the call leaves from: the running worker code's, or the binding's own."""
        context = current.get()
        if context is None or context.worker != self.source or context.closed:
            return self.home
        return context

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        try:
            connection = self.lifecycle.open_session(self.caller_context(), self.session_target())
        except Exception as exc:
            return ErrorHook(exc)
        return connection.push(MAIN, path, args, kwargs, origin, None)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        try:
            connection = self.lifecycle.open_session(self.caller_context(), self.session_target())
        except Exception as exc:
            return ErrorHook(exc)
        return connection.push(MAIN, path, None, None, origin, None)

    def dup(self) -> Hook:
        return self

    def dispose(self) -> None:
        pass


class ServiceHook(BindingHook):
    """A service binding: to an entrypoint of a worker (with ``props`` for its ``ctx.props``)."""

    __slots__ = ("service", "entrypoint", "props", "_target")

    def __init__(
        self,
        lifecycle: Lifecycle,
        source: str,
        service: str,
        entrypoint: str | None,
        home: ExecutionContext,
        props: Any = None,
    ) -> None:
        super().__init__(lifecycle, source, home)
        self.service = service
        self.entrypoint = entrypoint
        self.props = props
        self._target = EntrypointTarget(service, entrypoint, props)

    def session_target(self) -> EntrypointTarget:
        return self._target

    def wire_form(self) -> Any:
        """A service binding crosses as a reference to what it binds (worker, entrypoint, props)."""
        return msgpack.ExtType(Ext.SERVICE, pack_small([self.service, self.entrypoint, self.props]))

    def settle(self, callback: Settled) -> None:
        callback(True, ServiceStub(self))

    def describe(self) -> str:
        return f"service {self.service}" + (f" ({self.entrypoint})" if self.entrypoint else "")

    @property
    def worker(self) -> str | None:
        return self.service


class ServiceStub(RpcStub):
    """``env.SERVICE``: call its methods over RPC, or ``await fetch(...)`` its HTTP handler."""

    __slots__ = ()

    def __new__(cls, hook: BindingHook) -> ServiceStub:  # type: ignore[misc]
        stub = object.__new__(cls)
        stub._hook = hook
        stub._ctx = hook.home
        stub._rid = 0
        stub._desc = hook.describe()
        return stub

    @property
    def _binding(self) -> BindingHook:
        hook = self._hook
        assert isinstance(hook, BindingHook)
        return hook

    def __getattr__(self, name: str) -> Any:
        if name[:1] == "_":
            raise private_name(name)
        return RpcStub.__getattr__(self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> RpcPromise:
        """A binding is not a function (in Workers too: calling one is a TypeError at once)."""
        raise TypeError(self._not_callable)

    #: The text of the TypeError raised by calling this stub itself.
    _not_callable = "A service binding is not callable; call one of its methods: env.SERVICE.method(...)"

    def fetch(self, request: str | Request, **init: Any) -> RpcPromise:
        """Send an HTTP request to the service's ``fetch`` handler; await it for a Response."""
        context = current.get() or self._ctx
        try:
            req = request if isinstance(request, Request) and not init else Request(request, **init)
        except Exception as exc:
            return RpcPromise._wrap(ErrorHook(exc), context)
        return RpcPromise._wrap(self._binding.call(FETCH_PATH, [req], None), context)

    def connect(self, *args: Any, **kwargs: Any) -> RpcPromise:
        """Sockets are not simulated: the promise fails with a TypeError saying so."""
        return RpcPromise._wrap(
            ErrorHook(TypeError("connect() sockets are not simulated by the playground.")),
            current.get() or self._ctx,
        )

    def dup(self) -> ServiceStub:
        """Bindings need no disposal; ``dup()`` returns the binding itself."""
        return self

    def _dispose(self, action: str = "disposed", gone: Gone | None = None) -> None:
        pass

    def _wire_form(self) -> Any:
        """A binding crosses as a reference to what it binds (a service, a Durable Object: one
        that arrived over RPC is forwarded the same way)."""
        return self._binding.wire_form()

    def __repr__(self) -> str:
        return f"<ServiceStub {self._desc}>"


class EntrypointTarget:
    """A session to a new instance of an entrypoint (``props`` become its ``ctx.props``)."""

    __slots__ = ("worker", "entrypoint", "props")

    durable_id = None

    def __init__(self, worker: str, entrypoint: str | None, props: Any = None) -> None:
        self.worker = worker
        self.entrypoint = entrypoint
        self.props = props

    def __repr__(self) -> str:
        return f"EntrypointTarget({self.worker!r}, {self.entrypoint!r})"

    def prepare(self, lifecycle: Lifecycle) -> Callable[[Connection, Path], None]:
        worker = lifecycle.runtime.workers[self.worker]
        ep = worker.entrypoint(self.entrypoint)  # raises if it does not exist
        props = self.props

        def open_entrypoint(connection: Connection, path: Path) -> None:
            is_fetch = path == FETCH_PATH
            label = _label(ep.name, path)
            context = lifecycle.new_context(self.worker, "fetch" if is_fetch else "call", label)
            context.api = EntrypointContext(context, props, lifecycle)
            lifecycle.attach(connection, context)
            main: Hook
            if ep.is_handler:
                main = TargetHook(ep.handler, context, reserved=RESERVED_ON_ENTRYPOINTS, handler=True, disposer=False)
            else:
                try:
                    instance = context.construct(ep.cls)
                except Exception as exc:
                    main = ErrorHook(exc)
                else:
                    main = TargetHook(instance, context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False)
            connection.session.serve(main)

        return open_entrypoint


#: (entrypoint name, path) -> the label of its contexts (one string each, shared by the trace).
_LABELS: dict[tuple[str, Path], str] = {}


def _label(entrypoint: str, path: Path) -> str:
    label = _LABELS.get((entrypoint, path))
    if label is None:
        method = "fetch" if path == FETCH_PATH else (".".join(map(str, path)) or "(this)")
        label = method if entrypoint == "default" else f"{entrypoint}.{method}"
        if len(_LABELS) < 10_000:
            _LABELS[(entrypoint, path)] = label
    return label


class EntrypointContext:
    """What an entrypoint sees as ``self.ctx``: ``wait_until``, ``props``, ``exports``, ``abort``."""

    __slots__ = ("_context", "_lifecycle", "props")

    def __init__(self, context: ExecutionContext, props: Any = None, lifecycle: Lifecycle | None = None) -> None:
        self._context = context
        self._lifecycle = lifecycle
        #: What the binding that called this entrypoint attached (``ctx.exports.X(props=...)``).
        self.props = props

    def wait_until(self, awaitable: Any) -> None:
        """Keep the execution context alive until ``awaitable`` finishes (after the return)."""
        self._context.wait_until(awaitable)

    @property
    def exports(self) -> _Exports:
        """This worker's own entrypoints, as bindings: ``ctx.exports.Greeter(props={...})``."""
        assert self._lifecycle is not None
        return _Exports(self._context, self._lifecycle)

    def abort(self, reason: object = None) -> None:
        """End this execution context now: calls in flight fail with ``reason``."""
        self._context.abort(reason, RuntimeError)

    def __repr__(self) -> str:
        return f"<ctx of {self._context.label}>"


class _Exports:
    """``ctx.exports``: each entrypoint of the worker, callable with ``props``."""

    __slots__ = ("_context", "_lifecycle")

    def __init__(self, context: ExecutionContext, lifecycle: Lifecycle) -> None:
        self._context = context
        self._lifecycle = lifecycle

    def __getattr__(self, name: str) -> Callable[..., ServiceStub]:
        if name.startswith("_"):
            raise AttributeError(name)
        context = self._context
        lifecycle = self._lifecycle
        if name != "default":
            context.runtime.workers[context.worker].entrypoint_class(name)

        def binding(*, props: Any = None) -> ServiceStub:
            entrypoint = None if name == "default" else name
            return ServiceStub(ServiceHook(lifecycle, context.worker, context.worker, entrypoint, context, props))

        return binding
