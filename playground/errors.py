"""Every error the playground raises, in one tree.

::

    Exception
    └── PlaygroundError                 root of everything we raise ourselves
        ├── ConfigurationError          (also a ValueError) bad input to Playground, play.worker...
        │   ├── UnknownWorkerError      (also a KeyError) no worker by that name
        │   ├── UnknownBindingError     (also an AttributeError) env.X for a binding not declared
        │   └── WranglerConfigError     a wrangler.toml / wrangler.jsonc that cannot be loaded
        ├── ProtocolError               a peer broke the wire protocol (unknown id, bad message,
        │                               any payload or frame that cannot be decoded)
        ├── DataCloneError              (also a TypeError) a value that cannot cross RPC
        ├── SimulationError             the simulated world itself cannot go on
        │   └── DeadlockError           everything waits and nothing is scheduled
        └── RpcError                    failures of RPC itself, with the runtime's texts
            ├── ConnectionLost          "Network connection lost." (retryable = True)
            ├── StreamCanceled          the reading end of a stream went away
            └── RemoteError             a custom exception class thrown on the other side

Exceptions thrown by user code on the other side of a call keep their built-in type
(``ValueError`` stays ``ValueError``) and gain ``remote = True``; only exception classes that
are not built in arrive as :class:`RemoteError`, which is then also an instance of the nearest
built-in base class (so ``except ValueError`` still catches a remote ``class MyError(ValueError)``).
Only ``Exception`` subclasses keep their type: a remote ``SystemExit``, ``KeyboardInterrupt``,
``GeneratorExit`` or ``BaseExceptionGroup`` arrives as a :class:`RemoteError` named after it.
Custom attributes travel all or none (one that cannot be serialized drops them all; type,
message and ``remote`` stay). The explicit cause (``raise ... from cause``) travels too, rebuilt
by the same rules and marked ``remote`` (32 causes at most; a cycle is cut where it closes); the
implicit ``__context__`` does not (a JavaScript error has only ``cause``). In legacy error
serialization neither attributes nor the cause travel.

Warnings: :class:`StubLeakWarning` (a ``UserWarning``) when an execution context ends holding
stubs nobody disposed; :class:`ForgottenAwaitWarning` (a ``RuntimeWarning``) when an
``RpcPromise`` is compared with ``==`` or ``!=`` to a value (the promise is compared, not its
result: a forgotten ``await``).

Messages that the real Workers runtime produces are spelled exactly as it spells them; they are
collected in :class:`Text` so that the codebase has one copy of each. Where the playground can
say what happened and what to do (a stub broken by a crash, the call that hung, what a deadlock
waits for), its advice follows the runtime's words on a line of its own: code matching the
runtime's message still matches.
"""

from __future__ import annotations

import builtins
import difflib
import reprlib
from typing import Any

__all__ = [
    "ConfigurationError",
    "ConnectionLost",
    "DataCloneError",
    "DeadlockError",
    "ForgottenAwaitWarning",
    "CapnWebText",
    "Help",
    "PlaygroundError",
    "ProtocolError",
    "RemoteError",
    "RpcError",
    "SimulationError",
    "StreamCanceled",
    "StubLeakWarning",
    "Text",
    "UnknownBindingError",
    "UnknownWorkerError",
    "WranglerConfigError",
    "remote_error_class",
]


class Text:
    """The Workers runtime's exact error texts (docs/semantics.md says where each is met)."""

    STUB_DISPOSED = "RPC stub used after being disposed."
    PROMISE_DISPOSED = "RPC promise used after being disposed."
    CONNECTION_LOST = "Network connection lost."
    NOT_OBJECT = "Can't pipeline on RPC that did not return an object."
    PATH_TOO_DEEP = "RPC pipelined property path is too deep (max 64)."
    HUNG = (
        "The Workers runtime canceled this request because it detected that your Worker's code "
        "had hung and would never generate a response. Refer to: "
        "https://developers.cloudflare.com/workers/observability/errors/"
    )
    CONTEXT_GONE = "The execution context which hosts this callback is no longer running."
    # ``promise.map(fn)``: Cap'n Web's words (workerd's RPC has no map(); see docs/design.md)
    MAP_ASYNC = "RPC map() callbacks cannot be async."
    MAP_PLACEHOLDER = (
        "Attempted to use an abstract placeholder from a mapper function. Please make sure your "
        "map function has no side effects."
    )
    MAP_TARGET = (
        "Can't construct an RpcTarget or RPC callback inside a mapper function. Try creating a "
        "new RpcStub outside the callback first, then using it inside the callback."
    )
    CPU_EXCEEDED = "Worker exceeded CPU time limit."
    STUB_LEAK = (
        "An RPC stub was not disposed properly. You must call dispose() on all stubs in order to "
        "let the other side know that you are no longer using them. You cannot rely on the "
        "garbage collector for this because it may take arbitrarily long before actually "
        "collecting unreachable objects. As a shortcut, calling dispose() on the result of an "
        "RPC call disposes all stubs within it."
    )

    PEERS_MISSING = (
        "Real peers need optional libraries ({missing}). Install them with: "
        "pip install 'workers-rpc-playground[peers]'"
    )

    PNG_MISSING = (
        "PNG export needs the optional library resvg-py (a renderer with no system library to "
        "install). Install it with: pip install 'workers-rpc-playground[png]'"
    )
    PNG_SCALE = "scale must be a number above 0 (2 draws every SVG pixel as 2 × 2 PNG pixels); got {scale!r}"

    STATIC_FIGURE = (
        "with_static() needs a figure that displays itself (a trace, a comparison, a chart, "
        "IPython.display.HTML) or HTML or SVG text; got {kind}"
    )
    COMPARE_RUN = (
        "compare() takes two recordings or traces (with play.record() as rec: ...); "
        "its {which} run is {kind}"
    )
    COMPARE_LABELS = "labels must be two strings, one per run, like ('awaited', 'pipelined'); got {labels!r}"

    @staticmethod
    def real_silent(timeout: float) -> str:
        """Added to a hang or deadlock while a real session was open and nothing came."""
        return (
            f"A real session is open, but nothing arrived from any real peer for {timeout:g} s "
            "of wall time (play.real_timeout): the peer may never answer, or may be waiting for "
            "this playground."
        )

    @staticmethod
    def real_refused(url: str, error: BaseException) -> str:
        return f"Could not open a session to {url}: {type(error).__name__}: {error}"

    @staticmethod
    def real_bind(host: str, port: int, error: BaseException) -> str:
        return (
            f"Could not listen on {host}:{port}: {error}. Is another server using that port? "
            "Pass another port, or port=0 for any free one."
        )

    @staticmethod
    def real_lost(peer: str, why: str) -> str:
        """A real session ended under calls still waiting."""
        return f"Network connection lost. The real session with {peer} ended: {why}."

    @staticmethod
    def cross_request(io_type: str) -> str:
        return (
            "Cannot perform I/O on behalf of a different request. I/O objects (such as streams, "
            "request/response bodies, and others) created in the context of one request handler "
            "cannot be accessed from a different request's handler. This is a limitation of "
            "Cloudflare Workers which allows us to improve overall performance. "
            f"(I/O type: {io_type})"
        )

    @staticmethod
    def not_implemented(name: object) -> str:
        return f'The RPC receiver does not implement the method "{name}".'

    @staticmethod
    def not_a_function(path: str) -> str:
        return f'"{path}" is not a function.'

    @staticmethod
    def reserved(name: object) -> str:
        return f"'{name}' is a reserved method and cannot be called over RPC."

    @staticmethod
    def cannot_serialize(type_name: str) -> str:
        return (
            f'Could not serialize object of type "{type_name}". '
            "This type does not support serialization."
        )

    @staticmethod
    def cannot_serialize_ext(type_name: str) -> str:
        """A value holding a msgpack ext verbatim (playground's own text, in the runtime's style)."""
        return (
            f'Could not serialize object of type "{type_name}". msgpack ext values '
            "(msgpack.ExtType, msgpack.Timestamp, the codec's markers) cannot cross RPC: on the "
            "wire they stand for capabilities and special values. Send the value itself instead "
            "(bytes, a tuple, a datetime, a Decimal...), or an RpcTarget or function to pass a "
            "capability."
        )

    @staticmethod
    def too_large(size: int) -> str:
        return (
            "Serialized RPC arguments or return values are limited to 32MiB, "
            f"but the size of this value was: {size} bytes."
        )

    @staticmethod
    def handler_arity(name: str) -> str:
        return (
            f'Cannot call handler function "{name}" over RPC because it has the wrong number of '
            "arguments. A simple function handler can only be called over RPC if it has exactly "
            "the arguments (arg, env, ctx), where only the first argument comes from the client. "
            "To support multi-argument RPC functions, use class-based syntax (extending "
            "WorkerEntrypoint) instead."
        )

    @staticmethod
    def handler_args(name: str) -> str:
        return (
            f'Attempted to call RPC function "{name}" with the wrong number of arguments. When '
            "calling a top-level handler function that is not declared as part of a class, you "
            "must always send exactly one argument. In order to support variable numbers of "
            "arguments, the server must use class-based syntax (extending WorkerEntrypoint) "
            "instead."
        )

    # -- the playground's advice: on a line of its own after the runtime's words, so that code
    # -- matching the runtime's message (``startswith``, ``in``) still matches

    @staticmethod
    def dead_stub(even: str) -> str:
        """What a stub that came over a lost connection is (``even``: when it still is)."""
        return (
            f"A stub that came over the lost connection is dead for good: it will not reconnect, "
            f"{even}. Get a new one by calling again the method that gave it to you."
        )

    @staticmethod
    def retry_on(via: str) -> str:
        """How a call is retried: on ``via`` (``env.S``, a binding, which connects anew)."""
        return f"a call on {via} can be retried as it is: each one opens a new connection"

    @staticmethod
    def lost_to_crash(worker: str, via: str) -> str:
        """``ConnectionLost`` because ``worker`` crashed (``play.crash``)."""
        retry = Text.retry_on(via)
        return (
            f'{Text.CONNECTION_LOST}\nThe worker "{worker}" crashed (play.crash). '
            f"{Text.dead_stub('even after the worker restarts')} {retry[0].upper()}{retry[1:]}."
        )

    @staticmethod
    def lost_to_cut(a: str, b: str, via: str) -> str:
        """``ConnectionLost`` because the link between ``a`` and ``b`` is down (``play.disconnect``)."""
        return (
            f'{Text.CONNECTION_LOST}\nThe link between "{a}" and "{b}" is cut (play.disconnect). '
            f"Once it is back (play.reconnect), {Text.retry_on(via)}. "
            f"{Text.dead_stub('even once the link is back')}"
        )

    @staticmethod
    def lost_message(a: str, b: str, loss: float, via: str) -> str:
        """``ConnectionLost`` because a message from ``a`` to ``b`` was dropped (``loss=``)."""
        return (
            f'{Text.CONNECTION_LOST}\nA message from "{a}" to "{b}" was lost (their link drops '
            f"messages: loss={loss:g}), and the connection with it; {Text.retry_on(via)}. "
            f"{Text.dead_stub('even though the link works')}"
        )

    @staticmethod
    def lost_durable_object(label: str, worker: str, namespaces: list[str]) -> str:
        """``ConnectionLost`` because the Durable Object ``label`` of ``worker`` crashed."""
        get = " or ".join(f"env.{name}.get(id)" for name in namespaces) or "its namespace's get(id)"
        return (
            f'{Text.CONNECTION_LOST}\nThe Durable Object {label} of worker "{worker}" crashed '
            "(play.crash): its memory is lost, its storage kept. A stub to it is dead for good: it "
            f"will not reconnect, even when the object starts again. Get a new one with {get} and "
            "call that."
        )


class CapnWebText:
    """Cap'n Web's own texts (npm ``capnweb``, whose words come first), each followed by the
    playground's advice; used by :mod:`playground.codec.capnweb`."""

    @staticmethod
    def too_large(size: int, limit: int) -> str:
        return (
            f"Incoming message exceeds maximum size of {limit} bytes (it has {size} bytes). "
            "If the peer may send more, raise the limit: CapnWebCodec(max_message_bytes=...)."
        )

    @staticmethod
    def too_deep(limit: int) -> str:
        return (
            f"Deserialization exceeded maximum allowed message depth of {limit}. "
            "If the peer may send deeper values, raise the limit: CapnWebCodec(max_depth=...)."
        )

    @staticmethod
    def too_deep_pipeline(limit: int) -> str:
        return (
            f"The peer pipelined more than {limit} calls deep on results not answered yet. If it "
            "may chain more, raise the limit: CapnWebCodec(max_pipeline_depth=...)."
        )

    @staticmethod
    def too_many_imports(limit: int) -> str:
        return (
            f"The peer introduced more than {limit} stubs to this side (its exports, not yet "
            "released). If it may hold more at once, raise the limit: CapnWebCodec(max_imports=...)."
        )

    @staticmethod
    def cannot_carry(what: str, instead: str) -> str:
        """A value our side can send over Workers RPC but not to a Cap'n Web peer."""
        return (
            f"Cannot serialize value: {what}. It cannot cross to a Cap'n Web peer (Cap'n Web's "
            f"JSON has no such type): {instead}"
        )


class Help:
    """The playground's own advice for common mistakes (not the runtime's words).

    It always follows the runtime's (or Python's) text, after a space, so that code matching
    the real message still matches; it is computed only when the error is raised.
    """

    @staticmethod
    def forgot_await(what: str, handle: str, where: str | None) -> str:
        """``what`` (Python's kind of words) was done to an unawaited ``RpcPromise`` or
        ``RpcProperty`` (``handle``) where its value was meant, at ``where`` (``file.py:12``)."""
        at = f", at {where}" if where else ""
        if handle == "RpcProperty":
            tail = (
                "`stub.name` is an RpcProperty, a remote property not read yet: `await` it for "
                "its value (for a method, call it and `await` the call)."
            )
        else:
            tail = "An RPC call returns an RpcPromise at once, not its result: `await` it for the value."
        return f"{what}{at}. Did you forget `await`? {tail}"

    #: What a ``map()`` callback may do (after the words of what it did).
    MAP_RULES = (
        "A map() callback runs once, at once, on a placeholder for the element, to record what "
        "to do with each element where the value is: it may only call methods and read "
        "properties of the placeholder and of stubs (and of their results), and return them, "
        "plain values, or lists, tuples and dicts of them. It cannot await, and cannot use a "
        "placeholder as a value (arithmetic, if, str(), len()...): do that after awaiting the "
        "map()."
    )

    @staticmethod
    def map_misuse(what: str, where: str | None) -> str:
        """``what`` (Python's kind of words) was done to a placeholder inside a ``map()``
        callback, at ``where``."""
        at = f", at {where}" if where else ""
        return f"{what}{at}. This is a placeholder inside a map() callback, not a value. {Help.MAP_RULES}"

    #: After "ReadableStream received over RPC disconnected prematurely." (on a line of its own).
    PREMATURE = (
        "The side that wrote the stream let it go before closing it: its request ended, or its "
        "writer was dropped, without `await writer.close()`. Close the writer when done writing, "
        "and keep the request alive until then (return the stream and write in code passed to "
        "`ctx.wait_until(...)`, which then must close it)."
    )

    @staticmethod
    def disposed(text: str, how: str, where: str | None) -> str:
        """``text`` (``RPC stub used after being disposed.``), then how the handle was
        disposed (``how``, one of :data:`DISPOSED_HOW`'s keys) and where, if known."""
        said = DISPOSED_HOW.get(how)
        if said is None:
            return text
        at = f" at {where}" if where else ""
        return f"{text} {said.format(at=at)}"

    @staticmethod
    def did_you_mean(name: str, owner: str, groups: list[tuple[str, list[str]]]) -> str:
        """After ``does not implement the method "name"``: the closest of the names ``owner``
        has, and those names, by kind (``groups``: ``[("methods", [...]), ("properties", [...])]``;
        the first kind is named even when there is none)."""
        everything = [n for _, names in groups for n in names]
        close = difflib.get_close_matches(name, everything, n=1)
        has = _has(owner, groups)
        return f"Did you mean `{close[0]}`? {has}" if close else has

    @staticmethod
    def instance_attribute(name: str, owner: str, groups: list[tuple[str, list[str]]]) -> str:
        """After ``does not implement the method "name"``, when ``name`` is set on the instance
        (``self.name = ...``): only class members are reachable over RPC."""
        return (
            f"`{name}` is an instance attribute (set on self), and only class members (methods, "
            f"properties) are reachable over RPC. {_has(owner, groups)}"
        )

    @staticmethod
    def cannot_serialize(type_name: str, kind: str, base: str = "") -> str:
        """After ``Could not serialize object of type "X"...``: what to send instead of a value
        of that ``kind`` (see :data:`CANNOT_SERIALIZE`; ``base``: the built-in type a subclass
        extends), then what can cross RPC at all."""
        hint = CANNOT_SERIALIZE.get(kind, "").format(name=type_name, base=base)
        return f"{hint} {CAN_CROSS}" if hint else CAN_CROSS


def _has(owner: str, groups: list[tuple[str, list[str]]]) -> str:
    """``Counter has the methods: a, b; and the properties: c.``"""
    listed = [f"the {kind}: {_listed(names)}" for kind, names in groups if names]
    return f"{owner} has {'; and '.join(listed)}." if listed else f"{owner} has no public {groups[0][0]}."


def _listed(names: list[str]) -> str:
    return ", ".join(names[:_MAX_NAMES]) + (", ..." if len(names) > _MAX_NAMES else "")


_MAX_NAMES = 30


#: How a stub or promise was disposed (the ``how`` of :meth:`Help.disposed`; ``{at}``: where).
DISPOSED_HOW = {
    "dispose": "It was disposed{at} by `dispose()`.",
    "with": "It was disposed{at} (the end of its `with` block).",
    "async with": "It was disposed{at} (the end of its `async with` block).",
    "transferred": (
        "It was sent in an RPC message (returned from a call, or passed as an argument when "
        "stubs are transferred), which gave it to the receiver; send a `dup()` of a stub to keep "
        "using it here."
    ),
    "returned": (
        "It was an argument of a call, and the runtime disposed of it when that call returned; "
        "keep a `stub.dup()` to use it longer (and dispose the copy when done)."
    ),
    "context": (
        "The runtime released it when the execution context that held it ended (the request or "
        "call it belonged to finished without disposing it)."
    ),
    "closed": "The runtime released it when the playground was closed.",
}


#: What every refused value's message ends with: what can cross RPC.
CAN_CROSS = (
    "What can cross RPC: plain data (None, bool, int, float, str, bytes, list, tuple, dict, set, "
    "datetime, Decimal, UUID...), an instance of an RpcTarget subclass (passed by reference: the "
    "receiver gets a stub) and a function (passed by reference)."
)

#: What to send instead, by kind of refused value (``{name}``: its type; ``{base}``: a built-in base).
CANNOT_SERIALIZE = {
    "class": "To pass a {name} by reference, make {name} extend RpcTarget; to send its data, send a dict.",
    "dataclass": (
        "{name} is a dataclass: send `dataclasses.asdict(x)` (a dict), or make {name} extend "
        "RpcTarget to pass it by reference."
    ),
    "enum": "{name} is an Enum: send its `.value`.",
    "subclass": "{name} is a subclass of {base}: send `{base}(x)`.",
    "file": "A file stays where it was opened: send its contents (`f.read()`).",
    "socket": "A socket stays where it was opened: send the data read from it.",
    "coroutine": "A coroutine is the call of an `async def` function, not its result: did you forget `await`?",
    "awaitable": "A {name} is awaitable: `await` it and send its result.",
    "iterable": "A {name} gives its items one by one: send `list(x)`.",
    "entrypoint": (
        "A WorkerEntrypoint or DurableObject is not an RpcTarget and cannot be sent "
        "(`return self`): return an RpcTarget that does the work, or call it through its binding."
    ),
}


class PlaygroundError(Exception):
    """Root of every error raised by the playground itself."""


class ConfigurationError(PlaygroundError, ValueError):
    """The playground was given something it cannot use; the message says how to fix it."""


class UnknownWorkerError(ConfigurationError, KeyError):
    """A worker name that no ``play.worker(...)`` call registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownBindingError(ConfigurationError, AttributeError):
    """``env.NAME`` for a binding the worker does not declare."""


class WranglerConfigError(ConfigurationError):
    """A wrangler configuration file that cannot be loaded (names file, key and fix)."""


class ProtocolError(PlaygroundError):
    """A message that breaks the protocol: an unknown id, a release of more than was sent...

    Also every failure to decode what a peer sent (a frame, a payload, an ext, an error, a
    reference the importer cannot take): the codec raises nothing else on any bytes.
    """


class SimulationError(PlaygroundError):
    """The simulated world cannot continue (for example, it was closed)."""


class DeadlockError(SimulationError):
    """Everything in the playground is waiting and nothing is scheduled to happen.

    The message then lists what waits: the user's line each waiting task is at and, where it
    can say, what for (a stream whose writer was never closed)."""


class RpcError(PlaygroundError):
    """A failure of RPC itself: disposed stubs, lost connections, hung requests.

    ``remote`` is True when the error was reported by the other side of a call.
    """

    remote: bool = False
    retryable: bool = False


class ConnectionLost(RpcError):
    """The network between two workers failed; safe to retry an idempotent call."""

    retryable = True

    def __init__(self, message: str = Text.CONNECTION_LOST) -> None:
        super().__init__(message)


class StreamCanceled(RpcError):
    """The reading end of a stream went away (canceled, or its context ended)."""


class DataCloneError(PlaygroundError, TypeError):
    """A value that cannot be serialized for RPC (the runtime's ``DataCloneError``)."""

    name = "DataCloneError"
    code = 25


class RemoteError(RpcError):
    """An exception of a class that is not built in, thrown on the other side of a call.

    ``name`` is the original class name, ``remote`` is True, and the original instance
    attributes are copied onto this object (in enhanced error serialization).
    """

    remote = True

    def __init__(self, message: str = "", name: str = "Error") -> None:
        super().__init__(message)
        self.name = name

    def __repr__(self) -> str:
        return f"RemoteError({self.name}: {self.args[0] if self.args else ''!s})"


class StubLeakWarning(UserWarning):
    """An execution context ended while holding stubs nobody disposed (the runtime's warning).

    It is issued at the user's line that made the first leaked stub, which its message names too
    (``the first made at script.py:6``)."""


class ForgottenAwaitWarning(RuntimeWarning):
    """``promise == value`` (or ``!=``): Python compares the promise itself, not its result (a
    forgotten ``await``). A warning, not an error, because Python compares objects in many
    places (``in`` on a list, ``list.remove``, mocks); it points at the user's line."""


_remote_classes: dict[type[BaseException], type[RemoteError]] = {}


def remote_error_class(base_name: str | None) -> type[RemoteError]:
    """The :class:`RemoteError` class to use for a custom class whose nearest built-in base
    is ``base_name`` (``"ValueError"`` → a class that is both ``RemoteError`` and
    ``ValueError``)."""
    base: Any = getattr(builtins, base_name, None) if base_name else None
    if (
        not isinstance(base, type)
        or not issubclass(base, Exception)
        or base is Exception
        or issubclass(RemoteError, base)
    ):
        return RemoteError
    cls = _remote_classes.get(base)
    if cls is None:
        try:
            cls = type(f"Remote{base.__name__}", (RemoteError, base), {"__module__": __name__})
        except TypeError:  # a built-in whose memory layout cannot be mixed in
            cls = RemoteError
        _remote_classes[base] = cls
    return cls


def brief(value: object) -> str:
    """A short description of ``value`` for an error message: whatever a peer sent, it never
    raises and is never longer than a line."""
    try:
        return reprlib.repr(value)
    except Exception as exc:
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
