"""Worker definitions: a name, a main entrypoint, named exports, and bindings — validated."""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from .targets import DurableObject, WorkerEntrypoint

__all__ = ["Entrypoint", "ModuleMain", "Worker", "define_worker"]


@dataclass(frozen=True)
class Entrypoint:
    """How to serve calls: a ``WorkerEntrypoint`` class (one instance per call) or a plain
    handler object (shared, methods called as ``(arg, env, ctx)``)."""

    name: str
    cls: type | None
    handler: Any = None

    @property
    def is_handler(self) -> bool:
        return self.cls is None


@dataclass
class Worker:
    """A worker of the playground (see :meth:`Playground.worker`)."""

    name: str
    main: Entrypoint
    exports: dict[str, type] = field(default_factory=dict)
    services: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    durable_objects: dict[str, tuple[str, str]] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)  # plain values (wrangler ``vars``)
    _entrypoints: dict[str, Entrypoint] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        parts = [f"main={self.main.name}"]
        if self.exports:
            parts.append(f"exports={sorted(self.exports)}")
        if self.services:
            parts.append(f"services={sorted(self.services)}")
        if self.durable_objects:
            parts.append(f"durable_objects={sorted(self.durable_objects)}")
        return f"<Worker {self.name}: {', '.join(parts)}>"

    def entrypoint_class(self, name: str) -> type:
        """The class of the named entrypoint (nothing is made); a clear error if missing."""
        cls = self.exports.get(name)
        if cls is None or issubclass(cls, DurableObject):
            names = sorted(n for n, c in self.exports.items() if not issubclass(c, DurableObject))
            raise ConfigurationError(
                f'Worker "{self.name}" exports no entrypoint named "{name}" (its entrypoints: '
                f"{', '.join(names) or 'none'}). Add the class to exports=[...] in "
                f'play.worker("{self.name}", ...).'
            )
        return cls

    def entrypoint(self, name: str | None) -> Entrypoint:
        """The default entrypoint (``None``) or a named one, ready to serve a call."""
        if name is None:
            return self.main
        known = self._entrypoints.get(name)
        if known is not None:
            return known
        cls = self.entrypoint_class(name)
        if issubclass(cls, WorkerEntrypoint):
            self._entrypoints[name] = entrypoint = Entrypoint(name, cls)
            return entrypoint
        return Entrypoint(name, None, _handler_object(cls))  # a plain handler: made for each call

    def durable_object_class(self, name: str) -> type:
        cls = self.exports.get(name)
        if cls is None:
            names = sorted(n for n, c in self.exports.items() if _is_do_class(c))
            raise ConfigurationError(
                f'Worker "{self.name}" exports no Durable Object class named "{name}" (its '
                f"classes: {', '.join(names) or 'none'}). Add it to exports=[...] in "
                f'play.worker("{self.name}", ...).'
            )
        return cls


def _is_do_class(cls: type) -> bool:
    return isinstance(cls, type) and not issubclass(cls, WorkerEntrypoint)


def _handler_object(main: Any) -> Any:
    return main() if isinstance(main, type) else main


class ModuleMain:
    """A module given as a worker's ``main``: a plain handler whose methods are the public
    functions the module itself defines. What it imported (``from os import getenv``), its
    other globals and its ``_names`` are not reachable over RPC."""

    __slots__ = ("_module",)

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        module = self._module
        if not name.startswith("_"):
            value = module.__dict__.get(name)
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                return value
        raise AttributeError(f"module {module.__name__!r} defines no public function {name!r}")

    def __repr__(self) -> str:
        return f"<module {self._module.__name__!r}>"


def _main_entrypoint(worker: str, given: Any) -> Entrypoint:
    main = ModuleMain(given) if isinstance(given, types.ModuleType) else given
    if isinstance(main, type):
        if issubclass(main, WorkerEntrypoint):
            return Entrypoint("default", main)
        if issubclass(main, DurableObject):
            raise ConfigurationError(
                f'main for worker "{worker}" is the Durable Object class {main.__name__}; a '
                "Durable Object cannot be a worker's main entrypoint. Put it in exports=[...] "
                "and bind it with durable_objects={...}."
            )
        if callable(getattr(main, "fetch", None)):
            try:
                handler = main()
            except TypeError as exc:
                raise ConfigurationError(
                    f'main for worker "{worker}": {main.__name__} is not a WorkerEntrypoint, so it '
                    f"is used as a plain handler object, made with {main.__name__}(); that failed "
                    f"({exc}). Extend WorkerEntrypoint, or pass an instance."
                ) from None
            return Entrypoint("default", None, handler)
    elif main is not None and callable(getattr(main, "fetch", None)) and not inspect.isroutine(main):
        return Entrypoint("default", None, main)
    raise ConfigurationError(
        f'main for worker "{worker}" must be a WorkerEntrypoint subclass, or a class or object '
        f"with a fetch(request, env, ctx) handler (a module: one it defines); got {given!r} "
        f"({type(given).__name__})."
    )


def _exports(worker: str, exports: Any) -> dict[str, type]:
    if exports is None:
        return {}
    if isinstance(exports, Mapping):
        items = list(exports.items())
    elif isinstance(exports, Iterable) and not isinstance(exports, (str, bytes)):
        items = [(getattr(cls, "__name__", None), cls) for cls in exports]
    else:
        raise ConfigurationError(
            f'exports for worker "{worker}" must be a list of classes (or a dict of name → class); '
            f"got {exports!r}."
        )
    out: dict[str, type] = {}
    for name, cls in items:
        if not isinstance(cls, type):
            raise ConfigurationError(
                f'exports for worker "{worker}" must be classes (entrypoints or Durable Objects); '
                f"got {cls!r}."
            )
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f'exports for worker "{worker}": {cls!r} has no usable name.')
        if name in out:
            raise ConfigurationError(f'Worker "{worker}" exports two classes named "{name}".')
        out[name] = cls
    return out


def _services(worker: str, services: Any) -> dict[str, tuple[str, str | None]]:
    if services is None:
        return {}
    if not isinstance(services, Mapping):
        raise ConfigurationError(
            f'services for worker "{worker}" must be a dict of binding name → "service" or '
            f'("service", "EntrypointName"); got {services!r}.'
        )
    out: dict[str, tuple[str, str | None]] = {}
    for binding, spec in services.items():
        _check_binding_name(worker, binding)
        if isinstance(spec, str) and spec:
            out[binding] = (spec, None)
        elif (
            isinstance(spec, tuple)
            and len(spec) == 2
            and all(isinstance(s, str) and s for s in spec)
        ):
            out[binding] = (spec[0], spec[1])
        else:
            raise ConfigurationError(
                f'services["{binding}"] for worker "{worker}" must be "service" or '
                f'("service", "EntrypointName"); got {spec!r}.'
            )
    return out


def _durable_objects(worker: str, bindings: Any) -> dict[str, tuple[str, str]]:
    if bindings is None:
        return {}
    if not isinstance(bindings, Mapping):
        raise ConfigurationError(
            f'durable_objects for worker "{worker}" must be a dict of binding name → "ClassName" '
            f'or ("ClassName", "worker"); got {bindings!r}.'
        )
    out: dict[str, tuple[str, str]] = {}
    for binding, spec in bindings.items():
        _check_binding_name(worker, binding)
        if isinstance(spec, type):
            spec = spec.__name__
        if isinstance(spec, str) and spec:
            out[binding] = (spec, worker)
        elif isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(s, str) and s for s in spec):
            out[binding] = (spec[0], spec[1])
        else:
            raise ConfigurationError(
                f'durable_objects["{binding}"] for worker "{worker}" must be "ClassName" or '
                f'("ClassName", "worker"); got {spec!r}.'
            )
    return out


def _check_binding_name(worker: str, binding: object) -> None:
    if not isinstance(binding, str) or not binding.isidentifier() or binding.startswith("_"):
        raise ConfigurationError(
            f'Binding name {binding!r} for worker "{worker}" must be a Python identifier not '
            "starting with '_' (for example WORKER_B)."
        )


def define_worker(
    name: Any,
    main: Any,
    *,
    exports: Any = (),
    services: Any = None,
    durable_objects: Any = None,
    vars: Any = None,
) -> Worker:
    """Validate a worker definition; raises :class:`ConfigurationError` naming what to fix."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"A worker name must be a non-empty string; got {name!r}.")
    worker = Worker(
        name,
        _main_entrypoint(name, main),
        _exports(name, exports),
        _services(name, services),
        _durable_objects(name, durable_objects),
        dict(vars or {}),
    )
    overlap = (set(worker.services) & set(worker.durable_objects)) | (
        (set(worker.services) | set(worker.durable_objects)) & set(worker.vars)
    )
    if overlap:
        raise ConfigurationError(
            f'Worker "{name}" declares {", ".join(sorted(overlap))} as both a service and a '
            "Durable Object binding; give them different names."
        )
    return worker
