"""Worker definitions: a name, a main entrypoint, named exports, and bindings — validated."""

from __future__ import annotations

import inspect
import types
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from .targets import DurableObject, WorkerEntrypoint

__all__ = ["Entrypoint", "ModuleMain", "Worker", "define_worker", "settle_durable_bindings"]


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
    #: binding name → (worker, Durable Object class name): the worker first, as in services
    durable_objects: dict[str, tuple[str, str]] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)  # plain values (wrangler ``vars``)
    _entrypoints: dict[str, Entrypoint] = field(default_factory=dict, repr=False, compare=False)
    #: durable_objects given as a pair of strings whose order is not yet checked (see
    #: :func:`settle_durable_bindings`)
    _unsettled: set[str] = field(default_factory=set, repr=False, compare=False)

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


def _is_do_class(cls: object) -> bool:
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
        value = module.__dict__.get(name)
        if self._reachable(name, value):
            return value
        raise AttributeError(f"module {module.__name__!r} defines no public function {name!r}")

    def __dir__(self) -> list[str]:
        """The names RPC can reach (for the "did you mean" of a misspelled call)."""
        return [name for name, value in self._module.__dict__.items() if self._reachable(name, value)]

    def _reachable(self, name: str, value: Any) -> bool:
        return not name.startswith("_") and inspect.isfunction(value) and value.__module__ == self._module.__name__

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


_DO_SPELLING = (
    '"ClassName" (a class this worker exports), ("worker", "ClassName") (like services: the '
    'worker first), or {"worker": "worker", "class_name": "ClassName"}'
)


def _durable_objects(worker: str, bindings: Any) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """The bindings as ``(owner worker, class name)``, and the names of those given as a pair
    of strings: read as ``("worker", "ClassName")`` until :func:`settle_durable_bindings` has
    checked them against the workers (the old ``("ClassName", "worker")`` is still read, with
    a ``DeprecationWarning``)."""
    if bindings is None:
        return {}, set()
    if not isinstance(bindings, Mapping):
        raise ConfigurationError(
            f'durable_objects for worker "{worker}" must be a dict of binding name → '
            f"{_DO_SPELLING}; got {bindings!r}."
        )
    out: dict[str, tuple[str, str]] = {}
    unsettled: set[str] = set()
    for binding, spec in bindings.items():
        _check_binding_name(worker, binding)
        if isinstance(spec, type):
            spec = spec.__name__
        if isinstance(spec, str) and spec:
            out[binding] = (worker, spec)
            continue
        if isinstance(spec, Mapping):
            out[binding] = _durable_dict(worker, binding, spec)
            continue
        if isinstance(spec, tuple) and len(spec) == 2:
            first, second = spec
            if isinstance(first, str) and first and isinstance(second, type):
                out[binding] = (first, second.__name__)  # ("worker", Class): the new order
                continue
            if isinstance(first, type) and isinstance(second, str) and second:
                out[binding] = (second, first.__name__)  # (Class, "worker"): the old order
                _warn_old_order(worker, binding, second, first.__name__, stacklevel=5)
                continue
            if all(isinstance(s, str) and s for s in spec):
                out[binding] = (first, second)
                unsettled.add(binding)
                continue
        raise ConfigurationError(
            f'durable_objects["{binding}"] for worker "{worker}" must be {_DO_SPELLING}; '
            f"got {spec!r}."
        )
    return out, unsettled


def _durable_dict(worker: str, binding: str, spec: Mapping[Any, Any]) -> tuple[str, str]:
    keys = set(spec)
    class_name = spec.get("class_name")
    if isinstance(class_name, type):
        class_name = class_name.__name__
    owner = spec.get("worker", spec.get("script_name", worker))
    if (
        not keys <= {"worker", "script_name", "class_name"}
        or {"worker", "script_name"} <= keys
        or not isinstance(class_name, str)
        or not class_name
        or not isinstance(owner, str)
        or not owner
    ):
        raise ConfigurationError(
            f'durable_objects["{binding}"] for worker "{worker}" must be {_DO_SPELLING} '
            '("worker" may be spelled "script_name", as in wrangler, and left out for this '
            f"worker); got {dict(spec)!r}."
        )
    return owner, class_name


def _warn_old_order(worker: str, binding: str, owner: str, class_name: str, *, stacklevel: int) -> None:
    warnings.warn(
        f'durable_objects["{binding}"] for worker "{worker}" is spelled ("{class_name}", '
        f'"{owner}"), the old order (class first). Write ("{owner}", "{class_name}"): the worker '
        "first, as in services=. The old order will stop working in a later version.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def _exports_do_class(worker: Worker | None, class_name: str) -> bool:
    return worker is not None and _is_do_class(worker.exports.get(class_name))


def settle_durable_bindings(workers: Mapping[str, Worker], *, stacklevel: int = 1) -> None:
    """Decide how each binding given as a pair of strings reads, once the workers it names
    exist: ``("worker", "ClassName")`` if that worker exports that Durable Object class (this
    wins when both readings would do), else the old ``("ClassName", "worker")`` if that one
    does, with a ``DeprecationWarning``. A pair neither reading fits stays as it is, for
    :meth:`BindingTable.validate` to report (its worker may be added later). ``stacklevel``
    is the frame the warning names, as for ``warnings.warn`` (1: the caller of this)."""
    for worker in workers.values():
        for binding in sorted(worker._unsettled):
            first, second = worker.durable_objects[binding]
            if _exports_do_class(workers.get(first), second):
                worker._unsettled.discard(binding)
            elif _exports_do_class(workers.get(second), first):
                worker.durable_objects[binding] = (second, first)
                worker._unsettled.discard(binding)
                _warn_old_order(worker.name, binding, second, first, stacklevel=stacklevel + 2)


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
    durable, unsettled = _durable_objects(name, durable_objects)
    worker = Worker(
        name,
        _main_entrypoint(name, main),
        _exports(name, exports),
        _services(name, services),
        durable,
        dict(vars or {}),
        _unsettled=unsettled,
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
