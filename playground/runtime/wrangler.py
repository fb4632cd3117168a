"""``Playground.from_wrangler(...)``: a world from ``wrangler.toml`` / ``wrangler.jsonc`` files.

As with Cloudflare's Python Workers, ``main`` names a Python module (relative to the file); its
class ``Default`` is the default entrypoint, and its other ``WorkerEntrypoint`` and
``DurableObject`` classes are exported by name. Such a module may write
``from workers import WorkerEntrypoint, Response`` — the SDK's module name resolves to the
playground — so the Workers docs' Python snippets run as they are.

Read: ``name``, ``main``, ``compatibility_date``, ``compatibility_flags``, ``services``
(``binding``, ``service``, ``entrypoint``), ``durable_objects.bindings`` (``name``,
``class_name``, ``script_name``) and ``vars``. Keys about deployment (routes, migrations...) are
accepted and ignored; anything else is an error that names the file, the key and the fix.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import ConfigurationError, WranglerConfigError
from .targets import DurableObject, WorkerEntrypoint

P = TypeVar("P")

__all__ = ["WorkerConfig", "load", "parse"]

#: Keys about deploying that mean nothing in the playground: accepted, ignored.
IGNORED_KEYS = frozenset(
    {
        "$schema", "account_id", "workers_dev", "preview_urls", "route", "routes", "migrations",
        "observability", "placement", "minify", "keep_vars", "send_metrics", "logpush", "limits",
        "upload_source_maps", "usage_model", "build", "rules", "no_bundle", "find_additional_modules",
    }
)
READ_KEYS = frozenset(
    {"name", "main", "compatibility_date", "compatibility_flags", "services", "durable_objects", "vars"}
)


@dataclass
class WorkerConfig:
    """One wrangler file, read and checked."""

    file: Path
    name: str
    main: Path
    compatibility_date: str | None = None
    compatibility_flags: list[str] = field(default_factory=list)
    services: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    durable_objects: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)


def _error(file: Path, key: str, problem: str, fix: str) -> WranglerConfigError:
    return WranglerConfigError(f"{file}: {key}: {problem}. {fix}")


def strip_jsonc(text: str) -> str:
    """JSON with comments (// and /* */) and trailing commas, made plain JSON."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise ValueError("unterminated /* comment")
            out.append("\n" * text.count("\n", i, end))  # keep line numbers
            i = end + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def parse(path: str | Path) -> WorkerConfig:
    """Read one wrangler file; :class:`WranglerConfigError` names what is wrong."""
    file = Path(path)
    if not file.is_file():
        raise WranglerConfigError(
            f"{file}: no such file. Pass the path of a wrangler.toml or wrangler.jsonc file."
        )
    text = file.read_text(encoding="utf-8")
    try:
        if file.suffix == ".toml":
            data = tomllib.loads(text)
        elif file.suffix in (".json", ".jsonc"):
            data = json.loads(strip_jsonc(text))
        else:
            raise WranglerConfigError(
                f"{file}: unknown kind of file. Use wrangler.toml, wrangler.json or wrangler.jsonc."
            )
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError) as exc:
        if isinstance(exc, WranglerConfigError):
            raise
        raise WranglerConfigError(f"{file}: cannot be parsed ({exc}). Fix the syntax.") from None
    if not isinstance(data, dict):
        raise WranglerConfigError(f"{file}: the top level must be a table (an object).")
    for key in data:
        if key in READ_KEYS or key in IGNORED_KEYS:
            continue
        raise _error(
            file, key, "is not supported by the playground",
            f"Remove it, or use only: {', '.join(sorted(READ_KEYS))} (deployment keys such as "
            "routes are ignored)",
        )
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _error(file, "name", "is missing or empty", 'Add name = "my-worker"')
    main = data.get("main")
    if not isinstance(main, str) or not main:
        raise _error(file, "main", "is missing", 'Add main = "./src/worker.py" (a Python module)')
    config = WorkerConfig(file, name, (file.parent / main).resolve())
    if config.main.suffix != ".py":
        raise _error(file, "main", f"{main!r} is not a Python module", "Point it to a .py file")
    date = data.get("compatibility_date")
    if date is not None and not isinstance(date, str):
        date = str(date)  # TOML reads a bare 2026-01-20 as a date
    config.compatibility_date = date
    flags = data.get("compatibility_flags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        raise _error(file, "compatibility_flags", "must be a list of strings", 'Write ["flag_a"]')
    config.compatibility_flags = flags
    for i, entry in enumerate(_list(file, data, "services")):
        where = f"services[{i}]"
        _only(file, where, entry, {"binding", "service", "entrypoint", "environment"})
        binding, service = entry.get("binding"), entry.get("service")
        if not isinstance(binding, str) or not isinstance(service, str):
            raise _error(file, where, "needs binding and service", 'Write { binding = "B", service = "worker-b" }')
        config.services[binding] = (service, entry.get("entrypoint"))
    durable = data.get("durable_objects", {})
    if not isinstance(durable, dict):
        raise _error(file, "durable_objects", "must be a table", "Write [[durable_objects.bindings]] entries")
    _only(file, "durable_objects", durable, {"bindings"})
    for i, entry in enumerate(_list(file, durable, "bindings", "durable_objects.bindings")):
        where = f"durable_objects.bindings[{i}]"
        _only(file, where, entry, {"name", "class_name", "script_name", "environment"})
        binding, class_name = entry.get("name"), entry.get("class_name")
        if not isinstance(binding, str) or not isinstance(class_name, str):
            raise _error(file, where, "needs name and class_name", 'Write { name = "COUNTER", class_name = "Counter" }')
        config.durable_objects[binding] = (class_name, entry.get("script_name"))
    variables = data.get("vars", {})
    if not isinstance(variables, dict):
        raise _error(file, "vars", "must be a table", 'Write [vars] then GREETING = "hello"')
    config.vars = dict(variables)
    return config


def _list(file: Path, data: dict[str, Any], key: str, label: str | None = None) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _error(file, label or key, "must be a list of tables", f"Write [[{label or key}]] entries")
    return value


def _only(file: Path, where: str, entry: dict[str, Any], allowed: set[str]) -> None:
    for key in entry:
        if key not in allowed:
            raise _error(file, f"{where}.{key}", "is not supported", f"Use only: {', '.join(sorted(allowed))}")


#: The public names of the playground, which ``import workers`` gives a worker's module. The
#: package's ``__init__`` fills this in (the one seam between this module and the package
#: above it, which imports this module).
SDK: dict[str, Any] = {}


def install_workers_module() -> None:
    """Make ``import workers`` (the Python Workers SDK's name) resolve to the playground."""
    existing = sys.modules.get("workers")
    if existing is not None and getattr(existing, "__playground__", False):
        return
    module = types.ModuleType("workers", "The playground, under the Python Workers SDK's name.")
    module.__playground__ = True  # type: ignore[attr-defined]
    for name, value in SDK.items():
        setattr(module, name, value)
    sys.modules["workers"] = module


def _import(config: WorkerConfig) -> types.ModuleType:
    if not config.main.is_file():
        raise _error(config.file, "main", f"{config.main} does not exist", "Fix the path (it is relative to the file)")
    install_workers_module()
    module_name = f"playground_worker_{re.sub(r'[^0-9A-Za-z_]', '_', config.name)}"
    spec = importlib.util.spec_from_file_location(module_name, config.main)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise _error(
            config.file, "main", f"importing {config.main} failed: {type(exc).__name__}: {exc}",
            "Fix the module"
        ) from exc
    return module


def load(cls: Callable[..., P], paths: tuple[str | Path, ...], options: dict[str, Any]) -> P:
    """A playground made by ``cls(**options)`` with one worker per file (see the module)."""
    if not paths:
        raise ConfigurationError("from_wrangler() needs at least one wrangler.toml or wrangler.jsonc path.")
    configs = [parse(path) for path in paths]
    names = [c.name for c in configs]
    for config in configs:
        if names.count(config.name) > 1:
            raise _error(config.file, "name", f'"{config.name}" is used by two files', "Give each worker its own name")
    if "compatibility_date" not in options and "compatibility_flags" not in options:
        dates = {c.compatibility_date for c in configs}
        flags = {tuple(sorted(c.compatibility_flags)) for c in configs}
        if len(dates) > 1 or len(flags) > 1:
            said = "; ".join(
                f"{c.file} has compatibility_date {c.compatibility_date!r}, flags {c.compatibility_flags}"
                for c in configs
            )
            raise WranglerConfigError(
                f"The files disagree on compatibility_date or compatibility_flags ({said}); the "
                "playground runs every worker in one mode. Make them equal, or pass "
                "compatibility_date=... to from_wrangler()."
            )
        options = {**options, "compatibility_date": configs[0].compatibility_date,
                   "compatibility_flags": configs[0].compatibility_flags}
    play: Any = cls(**options)
    play.config_files = [c.file for c in configs]
    for config in configs:
        for binding, (service, _) in config.services.items():
            if service not in names:
                raise _error(
                    config.file, f'services (binding "{binding}")', f'service "{service}" is not loaded',
                    f"Pass its wrangler file to from_wrangler() too (loaded: {', '.join(names)})",
                )
        for binding, (_, script) in config.durable_objects.items():
            if script is not None and script not in names:
                raise _error(
                    config.file, f'durable_objects.bindings (name "{binding}")',
                    f'script_name "{script}" is not loaded', "Pass its wrangler file to from_wrangler() too",
                )
    for config in configs:
        module = _import(config)
        default = getattr(module, "Default", None)
        if default is None:
            raise _error(
                config.file, "main", f"{config.main.name} defines no class Default",
                "Name the default entrypoint class Default (as Python Workers do)",
            )
        exports = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and issubclass(value, (WorkerEntrypoint, DurableObject))
            and value is not default
        ]
        durable = {b: {"worker": s or config.name, "class_name": c} for b, (c, s) in config.durable_objects.items()}
        services = {b: (s if e is None else (s, e)) for b, (s, e) in config.services.items()}
        try:
            play.worker(config.name, default, exports=exports, services=services,
                        durable_objects=durable)
        except ConfigurationError as exc:
            raise WranglerConfigError(f"{config.file}: {exc}") from None
        play._workers[config.name].vars.update(config.vars)
    for config in configs:
        try:
            play._validate_bindings(config.name)
        except ConfigurationError as exc:
            raise WranglerConfigError(f"{config.file}: {exc}") from None
    return play
