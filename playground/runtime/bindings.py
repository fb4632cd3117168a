"""A worker's ``env``: service bindings (and, later, Durable Object namespaces).

A service binding is a stub whose every top-level call opens a new session — and a new
execution context in the callee — as ``env.SVC.method()`` does in Workers. ``fetch`` on a
binding is not RPC: it sends an HTTP request to the callee's ``fetch`` handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UnknownBindingError
from ..protocol import MAIN, Path
from .context import ExecutionContext, current
from .hooks import ErrorHook, Hook, Origin, Settled
from .http import Request
from .stubs import RpcPromise, RpcStub

if TYPE_CHECKING:
    from .world import Playground

__all__ = ["BindingHook", "DurableHook", "Env", "ServiceHook", "ServiceStub"]


class BindingHook(Hook):
    """Calls through a binding: each opens a new session from the calling context."""

    __slots__ = ("world", "source", "home")

    def __init__(self, world: Playground, source: str, home: ExecutionContext) -> None:
        self.world = world
        self.source = source
        self.home = home

    def session_target(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def caller_context(self) -> ExecutionContext:
        """The context the call leaves from: the running worker code's, or the binding's own."""
        context = current.get()
        if context is None or context.worker != self.source or context.closed:
            return self.home
        return context

    def _open(self) -> Any:
        return self.world.lifecycle.open_session(self.caller_context(), self.session_target())

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        try:
            connection = self._open()
        except Exception as exc:
            return ErrorHook(exc)
        return connection.push(MAIN, path, args, kwargs, origin, None)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        try:
            connection = self._open()
        except Exception as exc:
            return ErrorHook(exc)
        return connection.push(MAIN, path, None, None, origin, None)

    def dup(self) -> Hook:
        return self

    def dispose(self) -> None:
        pass


class ServiceHook(BindingHook):
    """A service binding: to an entrypoint of a worker (with ``props`` for its ``ctx.props``)."""

    __slots__ = ("service", "entrypoint", "props")

    def __init__(
        self,
        world: Playground,
        source: str,
        service: str,
        entrypoint: str | None,
        home: ExecutionContext,
        props: Any = None,
    ) -> None:
        super().__init__(world, source, home)
        self.service = service
        self.entrypoint = entrypoint
        self.props = props

    def session_target(self) -> Any:
        from .lifecycle import EntrypointTarget

        return EntrypointTarget(self.service, self.entrypoint, self.props)

    def settle(self, callback: Settled) -> None:
        callback(True, ServiceStub(self))

    def describe(self) -> str:
        return f"service {self.service}" + (f" ({self.entrypoint})" if self.entrypoint else "")

    @property
    def worker(self) -> str | None:
        return self.service


class DurableHook(BindingHook):
    """A Durable Object stub: calls reach the instance of the generation it was made for."""

    __slots__ = ("key", "object_id", "generation")

    def __init__(self, world: Playground, home: ExecutionContext, key: tuple[str, str, str], object_id: Any, generation: int) -> None:
        super().__init__(world, home.worker, home)
        self.key = key
        self.object_id = object_id
        self.generation = generation

    def session_target(self) -> Any:
        from .lifecycle import DurableTarget

        return DurableTarget(self.key, self.object_id, self.generation)

    def _broken(self) -> Hook | None:
        failure = self.world.durable.failure(self.key, self.generation)
        return ErrorHook(failure) if failure is not None else None

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return self._broken() or super().call(path, args, kwargs, origin)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return self._broken() or super().get(path, origin)

    def settle(self, callback: Settled) -> None:
        from .durable import DurableObjectStub

        callback(True, DurableObjectStub(self))

    def describe(self) -> str:
        name = self.object_id.name
        return f"{self.key[1]}({name if name is not None else str(self.object_id)[:8]}) in {self.key[0]}"

    @property
    def worker(self) -> str | None:
        return self.key[0]


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

    @property
    def _service(self) -> ServiceHook:
        hook = self._hook
        assert isinstance(hook, ServiceHook)
        return hook

    def __getattr__(self, name: str) -> Any:
        if name[:1] == "_":
            raise AttributeError(name)
        return RpcStub.__getattr__(self, name)

    def fetch(self, request: str | Request, **init: Any) -> RpcPromise:
        """Send an HTTP request to the service's ``fetch`` handler; await it for a Response."""
        from .connection import FETCH_PATH

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

    def _dispose(self, action: str = "disposed") -> None:
        pass

    def __repr__(self) -> str:
        return f"<ServiceStub {self._desc}>"


class Env:
    """The bindings of one worker, as seen from one execution context.

    ``env.NAME`` (or ``env["NAME"]``) gives the binding; ``dir(env)`` lists them.
    """

    __slots__ = ("_world", "_worker", "_context", "_cache")

    def __init__(self, world: Playground, worker: str, context: ExecutionContext) -> None:
        self._world = world
        self._worker = worker
        self._context = context
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name[:1] == "_":
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        binding = self._world.make_binding(self._worker, name, self._context)
        self._cache[name] = binding
        return binding

    def __dir__(self) -> list[str]:
        return self._world.binding_names(self._worker)

    def __contains__(self, name: object) -> bool:
        return name in self._world.binding_names(self._worker)

    def __repr__(self) -> str:
        names = ", ".join(self._world.binding_names(self._worker)) or "no bindings"
        return f"<Env of {self._worker}: {names}>"


def unknown_binding(worker: str, name: str, known: list[str]) -> UnknownBindingError:
    listed = ", ".join(known) if known else "none"
    return UnknownBindingError(
        f'Worker "{worker}" has no binding named "{name}" (its bindings: {listed}). Declare it '
        f'with play.worker("{worker}", ..., services={{"{name}": "<service>"}}) or '
        f'durable_objects={{"{name}": "<ClassName>"}}.'
    )
