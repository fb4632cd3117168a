"""What the user holds: ``RpcStub``, ``RpcPromise`` (and ``RpcProperty``), and ``dispose``.

* ``stub.name`` sends nothing: it is an :class:`RpcProperty`, which can be called (one push),
  awaited (a property read; every await reads again) or extended (``stub.a.b.c()`` is one push).
* Every call returns an :class:`RpcPromise` at once: awaitable, and a stub for pipelining —
  ``await env.S.get_counter().increment()`` is one round trip.
* Calls never raise: failures (a disposed stub, a value that cannot be serialized) come back
  when the promise is awaited. Only a property path deeper than 65 links, a ``_private`` name
  (an ``AttributeError`` saying so) and calling a binding itself (``env.S()``) raise at once.
* A promise is not its value: used as one — arithmetic, ``<``, ``if p:``, ``for``, ``len``,
  ``str``/``print``/f-strings, ``int()``, ``in`` — it raises a ``TypeError`` in Python's words,
  with the user's line and "Did you forget `await`?"; ``p == value`` answers as Python would
  (identity) with a ``ForgottenAwaitWarning`` at that line. Its ``repr`` says it is not awaited.
* ``with``/``async with``, ``dispose(x)`` and ``stub.dup()`` manage lifetimes; a stub used after
  disposal fails with ``RPC stub used after being disposed.``, followed by how and where it was
  disposed (``It was disposed at cell line 3 (the end of its `with` block).``: the place is kept
  only when disposing). A promise has no ``dup()`` of its own: as in workerd,
  ``promise.dup()`` is pipelined to the result, which refuses it.
"""

from __future__ import annotations

import asyncio
import inspect
from asyncio import events
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, NoReturn

from ..codec import SCALARS, Expression, Kwargs
from ..errors import ForgottenAwaitWarning, Help, ProtocolError, RpcError, Text
from ..protocol import Path
from ..protocol.messages import is_path
from ..trace import FaultEvent, where_text
from .contract import Capability, ErrorHook, Gone, Hook, Origin, Settled
from .context import ExecutionContext, current
from .hooks import PromiseHook, TargetHook, ValueHook, dispose_value, pipeline_on_value
from .targets import describe_target, is_class_target, is_function
from .where import delivered, user_frame, warn_at_user_line

__all__ = ["RpcPromise", "RpcProperty", "RpcStub", "dispose", "map_hook", "private_name"]

#: A chain of pipelined property reads may be at most this many links long (64 + the first).
MAX_PATH = 65


_context = current.get


def _forget(handle: RpcStub | RpcPromise, action: str) -> None:
    """The handle leaves the ledger of live stubs (once): disposed, transferred or settled."""
    rid, handle._rid = handle._rid, 0
    if rid:
        context = handle._ctx
        if context is not None:
            context.runtime.ledger.remove(rid, action)


_REQUEST_CONTEXTS = ("call", "fetch")


def _foreign(owner: ExecutionContext | None, io_type: str) -> ErrorHook | None:
    """Stubs and promises belong to the request that made them: using one from another
    request's code fails, as in Workers (a Durable Object's context is one, long-lived)."""
    running = current.get()
    if (
        running is None
        or owner is None
        or running is owner
        or running.kind not in _REQUEST_CONTEXTS
        or owner.kind not in _REQUEST_CONTEXTS
    ):
        return None
    return ErrorHook(RpcError(Text.cross_request(io_type)))


class RpcStub(Capability):
    """A reference to an object that lives in another worker (or, made with ``RpcStub(x)``,
    a local one called the same way). Attributes are remote properties; calls are RPCs."""

    __slots__ = ("_hook", "_ctx", "_rid", "_desc", "_gone", "__weakref__")

    _hook: Hook | None
    _ctx: ExecutionContext | None
    _rid: int
    _desc: str
    _gone: Gone  # how and where it was disposed (set only then: read it with getattr)

    def __new__(cls, target: Any) -> RpcStub:
        """A local ("loopback") stub to ``target``: an ``RpcTarget``, a function or a dict."""
        context = _context()
        if is_class_target(target) or is_function(target):
            hook: Hook = TargetHook(target, context)
        elif isinstance(target, dict):
            hook = ValueHook(target, context)
        else:
            raise TypeError("RpcStubs can only wrap plain objects, functions, and RpcTarget derivatives.")
        return cls._wrap(hook, context, describe=describe_target(target), where=user_frame())

    @classmethod
    def _wrap(
        cls,
        hook: Hook,
        context: ExecutionContext | None,
        *,
        describe: str | None = None,
        where: tuple[str, int] | None = None,
        origin_call: int | None = None,
        managed: bool = False,
    ) -> RpcStub:
        stub = object.__new__(cls)
        stub._hook = hook
        stub._ctx = context
        stub._desc = describe or hook.describe()
        stub._rid = (
            context.runtime.ledger.add(stub, "stub", context, stub._desc, where, origin_call, managed)
            if context is not None
            else 0
        )
        return stub

    # -- the remote object's members -----------------------------------------------------------

    def __getattr__(self, name: str) -> RpcProperty:
        if name[:1] == "_":
            raise private_name(name)
        return RpcProperty(self, _path_of(name))

    def __getitem__(self, key: str | int) -> RpcProperty:
        return RpcProperty(self, (_path_key(key),))

    def __call__(self, *args: Any, **kwargs: Any) -> RpcPromise:
        return self._call((), args, kwargs)

    def _unusable(self) -> Hook | None:
        """Why a call or read cannot be made on this stub now (disposed, another request's)."""
        if self._hook is None:
            return ErrorHook(self._disposed_error())
        return _foreign(self._ctx, "Client")

    def _call(self, path: Path, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RpcPromise:
        if _recording is not None:  # inside a map() callback: recorded, not sent
            return _recording.record(self, path, args, kwargs)
        context = _context() or self._ctx
        hook = self._hook
        if hook is None or (context is not None and context.kind in _REQUEST_CONTEXTS):
            refused = self._unusable()
            if refused is not None:
                return RpcPromise._wrap(refused, context)
        where = user_frame()
        result = hook.call(path, list(args), kwargs or None, (self._rid, where))  # type: ignore[union-attr]
        return RpcPromise._wrap(result, context, where)

    def _get(self, path: Path) -> RpcPromise:
        if _recording is not None:
            return _recording.record(self, path, None, None)
        context = _context() or self._ctx
        refused = self._unusable()
        if refused is not None:
            return RpcPromise._wrap(refused, context)
        where = user_frame()
        return RpcPromise._wrap(self._hook.get(path, (self._rid, where)), context, where)  # type: ignore[union-attr]

    def _wire_form(self) -> Any:
        """How this stub crosses RPC if not as an export of its hook (a binding does: see
        :mod:`.bindings`); ``NotImplemented`` for an ordinary stub."""
        return NotImplemented

    # -- lifetime --------------------------------------------------------------------------

    def dup(self) -> RpcStub:
        """A new, independent stub to the same target; each must be disposed on its own."""
        if self._hook is None:
            raise self._disposed_error()
        if self._ctx is not None:
            self._ctx.runtime.ledger.note(self._rid, "dup")
        return type(self)._wrap(self._hook.dup(), _context() or self._ctx, describe=self._desc, where=user_frame())

    def _dispose(self, action: str = "disposed", gone: Gone | None = None) -> None:
        hook = self._hook
        if hook is None:
            return
        self._hook = None
        self._gone = gone or (action, None)
        _forget(self, action)
        hook.dispose()

    def _disposed_error(self) -> RpcError:
        """``RPC stub used after being disposed.``, then how and where that happened."""
        return _disposed_error(Text.STUB_DISPOSED, self)

    def _capability_hook(self) -> Hook:
        return self._hook if self._hook is not None else ErrorHook(self._disposed_error())

    def _transfer_hook(self) -> Hook:
        """Take the hook away (ownership moves elsewhere); this stub is then disposed."""
        hook = self._hook
        if hook is None:
            return ErrorHook(self._disposed_error())
        self._hook = None
        self._gone = ("transferred", None)
        _forget(self, "transferred")
        return hook

    def __enter__(self) -> RpcStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self._dispose("disposed", ("with", user_frame()))

    async def __aenter__(self) -> RpcStub:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._dispose("disposed", ("async with", user_frame()))

    def __iter__(self) -> Any:
        """Refused: a stub is a reference to a remote object, not a collection (without this,
        ``for x in stub`` would pipeline ``stub[0]``, ``stub[1]``... for ever)."""
        raise TypeError(
            f"'{type(self).__name__}' object is not iterable: a stub is a reference to an object in "
            "another worker. Call a method that returns a list, and `await` it."
        )

    def __await__(self) -> Generator[Any, None, RpcStub]:
        """A stub is not a promise: awaiting it gives the stub itself."""
        return self
        yield  # pragma: no cover  (makes this a generator)

    def __repr__(self) -> str:
        state = " (disposed)" if self._hook is None else ""
        return f"<RpcStub {self._desc}{state}>"


def _refused(what: str) -> Any:
    """A special method of a promise that raises: ``what`` (``{t}``: the class) was done to it."""

    def refuse(self: RpcPromise, *args: object) -> NoReturn:
        raise self._forgot(what.format(t=type(self).__name__))

    return refuse


def _operator(symbol: str, reflected: bool = False) -> Any:
    """``promise + 1`` (or, ``reflected``, ``1 + promise``): Python's words, then the advice."""

    def refuse(self: RpcPromise, other: object, *modulo: object) -> NoReturn:
        left, right = type(self).__name__, type(other).__name__
        if reflected:
            left, right = right, left
        raise self._forgot(f"unsupported operand type(s) for {symbol}: '{left}' and '{right}'")

    return refuse


def _ordering(symbol: str) -> Any:
    def refuse(self: RpcPromise, other: object) -> NoReturn:
        raise self._forgot(
            f"'{symbol}' not supported between instances of '{type(self).__name__}' and '{type(other).__name__}'"
        )

    return refuse


class RpcPromise(Capability):
    """The result of a call: awaitable, and a stub for pipelining calls on the result.

    Await it for the value; call methods or read properties on it to pipeline (they are sent
    at once, without waiting for this result). Disposing it releases the result on the other
    side and disposes the stubs inside it. Used as a value (``p + 1``, ``if p:``, ``str(p)``...)
    it raises a ``TypeError`` asking whether ``await`` was forgotten; ``==`` and ``!=`` warn
    (:class:`~playground.ForgottenAwaitWarning`) instead, and hashing is the object's own.
    A failure is raised with the traceback of where it was first raised, without the
    playground's frames (see :mod:`playground.runtime.where`).
    """

    __slots__ = (
        "_hook", "_ctx", "_rid", "_up", "_settled", "_future", "_disposed", "_pulling", "_released", "_where",
        "_gone",
        "__weakref__",
    )

    _hook: Hook
    _ctx: ExecutionContext | None
    _rid: int
    _up: int  # the ledger record of the promise this one was pipelined on (0: none)
    _settled: tuple[bool, Any] | None
    _future: asyncio.Future[None] | None
    _disposed: bool
    _pulling: bool
    _released: bool  # disposed before anyone awaited it: its result was let go unread
    _where: tuple[str, int] | None
    _gone: Gone  # how and where it was disposed (set only then: read it with getattr)

    _IS_PROMISE = True

    @classmethod
    def _wrap(
        cls, hook: Hook, context: ExecutionContext | None, where: tuple[str, int] | None = None, up: int = 0
    ) -> RpcPromise:
        promise = _new_object(cls)
        promise._hook = hook
        promise._ctx = context
        promise._settled = None
        promise._future = None
        promise._disposed = False
        promise._pulling = False
        promise._released = False
        promise._where = where
        call_seq = hook.call_seq
        if call_seq is not None and context is not None:  # a remote result: a live "promise"
            promise._rid = context.runtime.ledger.add_promise(promise, context, where, call_seq, up)
            promise._up = up
        else:
            promise._rid = promise._up = 0
        return promise

    # -- pipelining ----------------------------------------------------------------------------

    def __getattr__(self, name: str) -> RpcProperty:
        if name[:1] == "_":
            raise private_name(name)
        return RpcProperty(self, _path_of(name))

    def __getitem__(self, key: str | int) -> RpcProperty:
        return RpcProperty(self, (_path_key(key),))

    def __call__(self, *args: Any, **kwargs: Any) -> RpcPromise:
        return self._call((), args, kwargs)

    def _unusable(self) -> Hook | None:
        """Why a call or read cannot be pipelined on this promise now."""
        if self._disposed:
            return ErrorHook(self._disposed_error())
        return _foreign(self._ctx, "JsRpcPromise")

    def _call(self, path: Path, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RpcPromise:
        if _recording is not None:  # inside a map() callback: recorded, not sent
            return _recording.record(self, path, args, kwargs)
        context = _context() or self._ctx
        refused = self._unusable()
        if refused is not None:
            return RpcPromise._wrap(refused, context)
        where = user_frame()
        if self._settled is not None:
            ok, value = self._settled
            hook = pipeline_on_value(ok, value, path, list(args), kwargs or None, False, context)
            return RpcPromise._wrap(hook, context, where)
        hook = self._hook.call(path, list(args), kwargs or None, (None, where))
        return RpcPromise._wrap(hook, context, where, self._rid)

    def _get(self, path: Path) -> RpcPromise:
        if _recording is not None:
            return _recording.record(self, path, None, None)
        context = _context() or self._ctx
        refused = self._unusable()
        if refused is not None:
            return RpcPromise._wrap(refused, context)
        where = user_frame()
        if self._settled is not None:
            ok, value = self._settled
            hook = pipeline_on_value(ok, value, path, [], None, True, context)
            return RpcPromise._wrap(hook, context, where)
        hook = self._hook.get(path, (None, where))
        return RpcPromise._wrap(hook, context, where, self._rid)

    def map(self, fn: Callable[[RpcPromise], Any]) -> RpcPromise:
        """Apply ``fn`` to each element of the result where the result is, in one message and
        one round trip: ``await api.list_ids().map(lambda id: api.lookup(id))``.

        ``fn`` runs once, now, on a placeholder for the element: the calls and property reads it
        makes on the placeholder, on stubs and on their results are recorded (stubs it uses are
        captured), and the record is sent with the promise's call (Cap'n Web's ``remap``). The
        receiver replays it for each element of an array (a list or tuple; the result is a list),
        once for any other value, and not at all for ``None`` (the result is ``None``). The
        result comes back in one resolve; a failure in any element rejects the whole.

        ``fn`` must not await, nor use a placeholder as a value (``id + 1``, ``if id:``,
        ``str(id)``...), nor make an ``RpcTarget`` or function to send: each raises a
        ``TypeError`` at once saying what a callback may do. ``map`` is reserved on promises,
        as in Cap'n Web (``promise["map"]`` still reads a remote property named ``map``).
        """
        return _map(self, (), fn)

    # -- awaiting ------------------------------------------------------------------------------

    def _on_settled(self, ok: bool, value: Any) -> None:
        if self._settled is not None:
            return
        self._settled = (ok, value)
        _forget(self, "settled")
        if self._up:  # a pipelined chain was awaited: its intermediate promises go with it
            self._ctx.runtime.ledger.release_chain(self._up)  # type: ignore[union-attr]
        if self._disposed:  # disposed while pending: the awaiter still gets the result, whose
            self._hook.dispose()  # stubs are disposed as it arrives (as in workerd)
            if ok:
                dispose_value(value, gone=getattr(self, "_gone", None))
        future = self._future
        if future is not None and not future.done():
            if ok:
                future.set_result(value)
            elif isinstance(value, StopIteration):  # a future cannot hold one (PEP 479, as a coroutine)
                error = RuntimeError(f"the awaited call raised {value!r}")
                error.__cause__ = value
                future.set_exception(error)
                future._log_traceback = False
            else:
                future.set_exception(delivered(value))  # (its traceback: see .where)
                future._log_traceback = False  # (the awaiter raises it; nobody else must be told)

    def __await__(self) -> Generator[Any, None, Any]:
        """Send the pull (the first time) and wait for the result. On the playground's own loop
        the wait is its future's (``_on_settled`` puts the value or the error in it), so that
        awaiting costs no generator of ours; from another loop the host drives the playground."""
        if self._settled is None:
            if self._released:
                raise self._disposed_error()
            context = self._ctx
            if not self._pulling:
                self._pulling = True
                hook = self._hook
                if context is not None:  # the line that made the promise is (nearly always) the await's
                    runtime = context.runtime
                    call_seq = hook.call_seq
                    runtime.recorder.await_(runtime.loop._now_ns, context.worker, call_seq, self._where or user_frame())
                    if call_seq is None and type(hook) is ErrorHook:  # failed at once, sending nothing
                        _failed(runtime, context.worker, hook.error)
                hook.settle(self._on_settled)
            if self._settled is None:
                rt = context.runtime if context is not None else None
                running = _running_loop()
                future = self._future
                if future is not None and future.cancelled():
                    future = None  # an earlier awaiter was cancelled (a Ctrl-C), not this promise
                if rt is None or running is rt.loop:
                    if future is None:
                        loop = rt.loop if rt is not None else (running or asyncio.get_event_loop())
                        future = self._future = loop.create_future()
                    return future.__await__()  # (it yields the future, then gives the result or raises)
                if future is None:
                    future = self._future = rt.loop.create_future()
                return _from_host(self, rt, future)
        return _result(self)

    # -- lifetime --------------------------------------------------------------------------

    # (No ``dup()``: as in workerd, ``promise.dup`` is a pipelined property like any other, so
    # ``promise.dup()`` is a call on the result, which refuses it: ``dup`` is reserved.)

    def _dispose(self, action: str = "disposed", gone: Gone | None = None) -> None:
        """Pipelining on it fails from now on. Awaiting it still gives the result, as in workerd
        (its stubs disposed): if it is pending, the result is let go only when it arrives, or —
        if nobody has awaited it — at the end of this step of the loop, unless an ``await``
        comes first (``dispose(p); await p``)."""
        if self._disposed:
            return
        self._disposed = True
        self._gone = gone = gone or (action, None)
        context = self._ctx
        if self._settled is None and not self._pulling and context is not None and not context.runtime.loop._driving:
            # its release leaves at the end of the loop's next step, maybe after the cell: say now
            # that it was let go (the trace's views would count its result as held)
            _forget(self, "let go")
        else:
            _forget(self, action)
        if self._up and self._ctx is not None:
            self._ctx.runtime.ledger.release_chain(self._up)
        if self._settled is not None:
            self._hook.dispose()
            if self._settled[0]:
                dispose_value(self._settled[1], gone=gone)
        elif not self._pulling:  # (if it is being awaited, _on_settled lets the result go)
            if context is None:
                self._release()
            else:
                context.runtime.at_end_of_step(self._release)

    def _release(self) -> None:
        """A disposed promise nobody awaited: let its result go unread."""
        if not self._pulling and not self._released:
            self._released = True
            self._hook.dispose()

    def _disposed_error(self) -> RpcError:
        """``RPC promise used after being disposed.``, then how and where that happened."""
        return _disposed_error(Text.PROMISE_DISPOSED, self)

    def _capability_hook(self) -> Hook:
        if self._disposed:
            return ErrorHook(self._disposed_error())
        if self._settled is not None:
            ok, value = self._settled
            return ValueHook(value, self._ctx) if ok else ErrorHook(value)
        return self._hook

    def _transfer_hook(self) -> Hook:
        """Hand the result over (a method returned this promise); this object is then spent."""
        if self._disposed:
            return ErrorHook(self._disposed_error())
        hook = self._capability_hook()
        self._disposed = True
        self._gone = ("transferred", None)
        _forget(self, "transferred")
        return hook

    def __enter__(self) -> RpcPromise:
        return self

    def __exit__(self, *exc: object) -> None:
        self._dispose("disposed", ("with", user_frame()))

    async def __aenter__(self) -> Any:
        return await self

    async def __aexit__(self, *exc: object) -> None:
        self._dispose("disposed", ("async with", user_frame()))

    def __repr__(self) -> str:
        """``<RpcPromise pending: result 1 from s — await it for the value>``: the state, what
        it stands for and, until it is disposed, what to do with it (repr never raises: the
        debugger and a notebook's echo of the last line use it; str() does, see below)."""
        if self._disposed:
            return f"<RpcPromise disposed: {self._hook.describe()}>"
        if self._settled is None or self._settled[0]:
            state = "pending" if self._settled is None else "resolved"
            return f"<RpcPromise {state}: {self._hook.describe()} — await it for the value>"
        return f"<RpcPromise rejected: {self._hook.describe()} — await it to raise the error>"

    # -- used where its value was meant: a forgotten ``await`` ---------------------------------
    # (Python looks special methods up on the class, so each is defined here. Attribute access,
    # ``[...]`` and calls stay pipelined; hashing stays the object's, so promises can be set
    # members and dict keys, as asyncio.gather needs. See docs/design.md, "Help for common
    # mistakes".)

    def _forgot(self, what: str) -> TypeError:
        """The ``TypeError`` for ``what`` (Python's kind of words): the user's line, and the
        advice to ``await``."""
        where = user_frame()
        if _placeholder(self):
            return TypeError(Help.map_misuse(what, where_text(where) if where else None))
        return TypeError(Help.forgot_await(what, type(self).__name__, where_text(where) if where else None))

    def _compared(self, symbol: str, other: object) -> None:
        """``promise == value``: a :class:`ForgottenAwaitWarning` at the user's line. (Not when
        ``other`` is a stub or promise too: list.remove, ``in`` and the like compare handles
        with each other, and that is no mistake.)"""
        if not isinstance(other, Capability):
            where = user_frame()
            warn_at_user_line(
                Help.forgot_await(
                    f"'{symbol}' between instances of '{type(self).__name__}' and '{type(other).__name__}' "
                    "compares the promise itself, not its value",
                    type(self).__name__,
                    where_text(where) if where else None,
                ),
                ForgottenAwaitWarning,
                where,
            )

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        self._compared("==", other)
        return NotImplemented  # (the other side may answer; else Python compares identities)

    def __ne__(self, other: object) -> bool:
        if other is self:
            return False
        self._compared("!=", other)
        return NotImplemented

    __hash__ = Capability.__hash__

    __lt__, __le__, __gt__, __ge__ = _ordering("<"), _ordering("<="), _ordering(">"), _ordering(">=")

    __add__, __radd__ = _operator("+"), _operator("+", True)
    __sub__, __rsub__ = _operator("-"), _operator("-", True)
    __mul__, __rmul__ = _operator("*"), _operator("*", True)
    __matmul__, __rmatmul__ = _operator("@"), _operator("@", True)
    __truediv__, __rtruediv__ = _operator("/"), _operator("/", True)
    __floordiv__, __rfloordiv__ = _operator("//"), _operator("//", True)
    __mod__, __rmod__ = _operator("%"), _operator("%", True)
    __divmod__, __rdivmod__ = _operator("divmod()"), _operator("divmod()", True)
    __pow__, __rpow__ = _operator("** or pow()"), _operator("** or pow()", True)
    __lshift__, __rlshift__ = _operator("<<"), _operator("<<", True)
    __rshift__, __rrshift__ = _operator(">>"), _operator(">>", True)
    __and__, __rand__ = _operator("&"), _operator("&", True)
    __xor__, __rxor__ = _operator("^"), _operator("^", True)
    __or__, __ror__ = _operator("|"), _operator("|", True)

    __neg__ = _refused("bad operand type for unary -: '{t}'")
    __pos__ = _refused("bad operand type for unary +: '{t}'")
    __invert__ = _refused("bad operand type for unary ~: '{t}'")
    __abs__ = _refused("bad operand type for abs(): '{t}'")
    __bool__ = _refused("an {t} has no truth value (if, while, bool(), and, or, not)")
    __iter__ = _refused("'{t}' object is not iterable (for, list(), unpacking)")
    __len__ = _refused("object of type '{t}' has no len()")
    __contains__ = _refused("argument of type '{t}' is not iterable (in)")
    __str__ = __format__ = _refused("an {t} was turned into text (str(), print(), an f-string, format() or %s)")
    __int__ = _refused("int() argument must be a string, a bytes-like object or a real number, not '{t}'")
    __float__ = _refused("float() argument must be a string or a real number, not '{t}'")
    __complex__ = _refused("complex() first argument must be a string or a number, not '{t}'")
    __index__ = _refused("'{t}' object cannot be interpreted as an integer")
    __bytes__ = _refused("cannot convert '{t}' object to bytes")
    __round__ = _refused("type {t} doesn't define __round__ method")
    __trunc__ = _refused("type {t} doesn't define __trunc__ method")
    __floor__ = __ceil__ = _refused("must be real number, not {t}")


class RpcProperty(RpcPromise):
    """``stub.name``: nothing is sent until it is called, awaited, or pipelined further."""

    __slots__ = ("_base", "_path")

    def __init__(self, base: RpcStub | RpcPromise, path: Path) -> None:
        if len(path) > MAX_PATH:
            raise TypeError(Text.PATH_TOO_DEEP)
        self._base = base
        self._path = path
        self._disposed = False
        self._settled = None
        self._rid = self._up = 0

    def __getattr__(self, name: str) -> RpcProperty:
        if name[:1] == "_":
            raise private_name(name)
        return RpcProperty(self._base, self._path + _path_of(name))

    def __getitem__(self, key: str | int) -> RpcProperty:
        return RpcProperty(self._base, self._path + (_path_key(key),))

    def __call__(self, *args: Any, **kwargs: Any) -> RpcPromise:
        return self._base._call(self._path, args, kwargs)

    def _call(self, path: Path, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RpcPromise:
        return self._base._call(self._path + path, args, kwargs)

    def _get(self, path: Path) -> RpcPromise:
        return self._base._get(self._path + path)

    def __await__(self) -> Generator[Any, None, Any]:
        return self._base._get(self._path).__await__()

    def map(self, fn: Callable[[RpcPromise], Any]) -> RpcPromise:
        """``stub.items.map(fn)``: as :meth:`RpcPromise.map`, on the property's value."""
        return _map(self._base, self._path, fn)

    def _dispose(self, action: str = "disposed", gone: Gone | None = None) -> None:
        pass

    def _capability_hook(self) -> Hook:
        return self._base._get(self._path)._transfer_hook()

    def _transfer_hook(self) -> Hook:
        return self._capability_hook()

    def __enter__(self) -> RpcProperty:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __repr__(self) -> str:
        """``<RpcProperty name of <RpcStub ...> — call it, or await it to read it>``."""
        return f"<RpcProperty {'.'.join(map(str, self._path))} of {self._base!r} — call it, or await it to read it>"


def _disposed_error(text: str, handle: RpcStub | RpcPromise) -> RpcError:
    how, where = getattr(handle, "_gone", None) or ("", None)
    return RpcError(Help.disposed(text, how, where_text(where) if where else None))


def private_name(name: str) -> AttributeError:
    """``stub._name``: names starting with ``_`` are private to the worker (Python's ``#private``),
    so no RPC property is made for them. Dunders (Python's own protocol probes) stay bare."""
    if name[:2] == "__" and name[-2:] == "__":
        return AttributeError(name)
    return AttributeError(
        f"{name!r} is private to the worker: names starting with '_' are not reachable over RPC. "
        f"To expose the value, give the class a public method or property that returns it "
        f"(e.g. `def {name.lstrip('_') or 'value'}(self): return self.{name}`).",
        name=name,
    )


_new_object = object.__new__
_running_loop = events._get_running_loop
#: One path tuple per attribute name (a trace keeps a reference to the path of every call).
_PATHS: dict[str, tuple[str]] = {}


def _path_of(name: str) -> tuple[str]:
    path = _PATHS.get(name)
    if path is None:
        path = _PATHS[name] = (name,)
    return path


def _failed(runtime: Any, worker: str, error: BaseException) -> None:
    """Trace a call that failed before anything was sent (its stub broken or disposed, its
    arguments refused): a ``failed`` fault on the caller's lane, with the error's first line (the
    runtime's words; the advice after them stays with the error)."""
    recorder = runtime.recorder
    words = str(error).partition("\n")[0]
    recorder.add(FaultEvent(recorder.next_seq, runtime.now, "failed", worker, None, f"{type(error).__name__}: {words}"))


def _from_host(promise: RpcPromise, rt: Any, future: asyncio.Future[Any]) -> Generator[Any, None, Any]:
    try:
        yield from rt.wait(future).__await__()
    except Exception as exc:
        settled = promise._settled
        if settled is None or settled[1] is not exc:
            raise  # (not the promise's failure: a deadlock, a closed playground)
    return (yield from _result(promise))


def _result(promise: RpcPromise) -> Generator[Any, None, Any]:
    """What awaiting a settled promise gives: its value, or its error raised by a done future
    (no frame of ours, so that the user's traceback ends in their ``await``: see .where)."""
    ok, value = promise._settled  # type: ignore[misc]
    context = promise._ctx
    if ok or context is None or isinstance(value, StopIteration):
        return _settled(promise)
    future = context.runtime.loop.create_future()
    future.set_exception(delivered(value))
    future._log_traceback = False
    return future.__await__()


def _settled(promise: RpcPromise) -> Generator[Any, None, Any]:
    ok, value = promise._settled  # type: ignore[misc]
    if ok:
        return value
    raise delivered(value)
    yield  # pragma: no cover  (makes this a generator)


def _path_key(key: object) -> str | int:
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise TypeError(f"stub[...] takes a property name (str) or an index (int), not {type(key).__name__}")
    return key


def dispose(value: Any) -> None:
    """Dispose a stub, a promise (and the result it holds), or every stub inside a value.

    Disposing is immediate on this side and sends a release to the other side; the target's
    ``__dispose__`` then runs there, asynchronously. Disposing twice is harmless; plain values
    without stubs are left alone.
    """
    gone = ("dispose", user_frame())
    if isinstance(value, Capability):
        value._dispose("disposed", gone)
    else:
        dispose_value(value, gone=gone)



# -- map(): record the callback once, replay it where the value is ----------------------------
# (Cap'n Web's record-replay ``remap``; see docs/design.md, "`.map()`".)

#: The recorder of the map() callback running now (callbacks cannot await, so there is one).
_recording: _Recorder | None = None


class _Variable(Hook):
    """A placeholder in a map() callback: the element (``index`` 0) or the result of recorded
    instruction ``index``. Outside its callback every use fails."""

    __slots__ = ("recorder", "index")

    def __init__(self, recorder: _Recorder, index: int) -> None:
        self.recorder = recorder
        self.index = index

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return ErrorHook(TypeError(Text.MAP_PLACEHOLDER))

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return ErrorHook(TypeError(Text.MAP_PLACEHOLDER))

    def settle(self, callback: Settled) -> None:
        callback(False, TypeError(Text.MAP_PLACEHOLDER))

    def dup(self) -> Hook:
        return self

    def dispose(self) -> None:
        pass

    def describe(self) -> str:
        return "the element" if self.index == 0 else f"map() instruction {self.index}"


def _placeholder(handle: Any) -> bool:
    """Whether ``handle`` is (a property of) a map() placeholder."""
    if type(handle) is RpcProperty:
        handle = handle._base
    return type(getattr(handle, "_hook", None)) is _Variable


def _misused(what: str) -> TypeError:
    where = user_frame()
    return TypeError(Help.map_misuse(what, where_text(where) if where else None))


class _Recorder:
    """What a map() callback did: the stubs it used (captures, each a dup of its hook) and its
    instructions, as Cap'n Web's expressions (:class:`~playground.codec.Expression`)."""

    __slots__ = ("context", "captures", "keys", "handles", "instructions")

    def __init__(self, context: ExecutionContext | None) -> None:
        self.context = context
        self.captures: list[Hook] = []
        self.keys: dict[int, int] = {}  # id(handle) -> its capture's (negative) index
        self.handles: list[Any] = []  # (kept alive while their ids are keys)
        self.instructions: list[Any] = []

    def subject(self, handle: RpcStub | RpcPromise) -> int:
        """The variable a call on ``handle`` is recorded on."""
        hook = handle._hook
        if type(hook) is _Variable:
            if hook.recorder is not self:
                raise TypeError(Text.MAP_PLACEHOLDER)
            return hook.index
        return self.capture(handle)

    def capture(self, handle: RpcStub | RpcPromise) -> int:
        index = self.keys.get(id(handle))
        if index is None:
            hook = handle._capability_hook()
            if type(hook) is ErrorHook:  # a disposed stub or promise: as a call on it would
                raise hook.error
            self.captures.append(hook.dup())
            self.handles.append(handle)
            index = self.keys[id(handle)] = -len(self.captures)
        return index

    def record(
        self, handle: RpcStub | RpcPromise, path: Path, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None
    ) -> RpcPromise:
        """A call (or, ``args`` None, a read) in the callback: an instruction, and a placeholder
        for its result."""
        subject = self.subject(handle)
        if args is None:
            instruction = Expression(("pipeline", subject, path))
        else:
            values = [self.value(arg) for arg in args]
            if kwargs:
                values.append(Kwargs({name: self.value(v) for name, v in kwargs.items()}))
            instruction = Expression(("pipeline", subject, path, values))
        self.instructions.append(instruction)
        return RpcPromise._wrap(_Variable(self, len(self.instructions)), self.context)

    def value(self, value: Any) -> Any:
        """``value`` (an argument, or what the callback returned) with placeholders and stubs
        replaced by references to variables and captures."""
        kind = type(value)
        if kind in SCALARS:
            return value
        if isinstance(value, Capability):
            if kind is RpcProperty:  # a property not read yet: read it now (an instruction)
                value = value._base._get(value._path)  # type: ignore[attr-defined]
            if value._IS_PROMISE:
                return Expression(("pipeline", self.subject(value)))  # type: ignore[arg-type]
            return Expression(("import", self.capture(value)))  # type: ignore[arg-type]
        if kind is list or kind is tuple or kind is set or kind is frozenset:
            return kind(self.value(item) for item in value)
        if kind is dict or kind is Kwargs:
            return kind((key, self.value(item)) for key, item in value.items())
        if is_class_target(value) or is_function(value):
            raise TypeError(f"{Text.MAP_TARGET}\n{Help.MAP_RULES}")
        if inspect.isawaitable(value):
            _close(value)
            raise TypeError(f"{Text.MAP_ASYNC}\n{Help.MAP_RULES}")
        return value  # (a value the codec refuses is refused when the map is sent)

    def discard(self) -> None:
        captures, self.captures = self.captures, []
        for hook in captures:
            hook.dispose()


def _close(awaitable: Any) -> None:
    """A coroutine the callback made: closed, so that Python does not warn it was never awaited."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def _map(handle: RpcStub | RpcPromise, path: Path, fn: Callable[[RpcPromise], Any]) -> RpcPromise:
    """``handle.<path>.map(fn)``: record ``fn``, then send (or apply) the record."""
    global _recording
    if not callable(fn) or isinstance(fn, Capability):
        raise TypeError(f"map() takes a function (a lambda or a def), not {type(fn).__name__}. {Help.MAP_RULES}")
    if _recording is not None:
        raise TypeError(
            "map() inside a map() callback is not supported by the playground (Cap'n Web allows "
            "it): map the inner values after awaiting the outer map()."
        )
    context = _context() or handle._ctx
    refused = handle._unusable()
    if refused is not None:
        return RpcPromise._wrap(refused, context)
    recorder = _Recorder(context)
    _recording = recorder
    try:
        result = fn(RpcPromise._wrap(_Variable(recorder, 0), context))
        if inspect.isawaitable(result) and not isinstance(result, Capability):
            _close(result)
            raise TypeError(f"{Text.MAP_ASYNC}\n{Help.MAP_RULES}")
        recorder.instructions.append(recorder.value(result))
    except BaseException:
        recorder.discard()
        raise
    finally:
        _recording = None
    where = user_frame()
    hook = handle._capability_hook()
    rid = handle._rid
    up = rid if handle._IS_PROMISE else 0
    mapped = map_hook(hook, path, recorder.captures, recorder.instructions, context, (None if up else rid, where))
    return RpcPromise._wrap(mapped, context, where, up)


def map_hook(
    hook: Hook, path: Path, captures: list[Hook], instructions: list[Any], context: ExecutionContext | None,
    origin: Origin = None,
) -> Hook:
    """A map of what ``hook`` stands for (at ``path``), as a hook for the result: sent along if
    the value is on the other side of a session (a hook with ``remap``), else replayed here when
    the value is known. Takes ``captures`` (each is disposed once used)."""
    remap = getattr(hook, "remap", None)
    if remap is not None:
        sent = remap(path, captures, instructions, origin)
        if sent is not None:
            return sent  # type: ignore[no-any-return]
    if path:
        subject = hook.get(path, origin)
        if getattr(subject, "remap", None) is not None:  # (a binding: the read was sent)
            mapped = map_hook(subject, (), captures, instructions, context, origin)
            subject.dispose()
            return mapped
    else:
        subject = hook
    result = PromiseHook()
    result.context = context

    def apply(ok: bool, value: Any) -> None:
        if ok:
            result.resolve(_replay(value, captures, instructions, context))
        else:
            _dispose_all(captures)
            result.resolve(ErrorHook(value))

    subject.settle(apply)
    return result


def _dispose_all(hooks: list[Hook]) -> None:
    for hook in hooks:
        hook.dispose()


class _Borrowed(ValueHook):
    """The element a map() is replayed on: it belongs to the value mapped over."""

    __slots__ = ()

    def dispose(self) -> None:
        pass


class _Hole:
    """Where a variable's value goes in an argument or the result, once it is known."""

    __slots__ = ("hook",)

    def __init__(self, hook: Hook) -> None:
        self.hook = hook


def _replay(
    value: Any, captures: list[Hook], instructions: list[Any], context: ExecutionContext | None
) -> Hook:
    """The recorded instructions, replayed on each element of ``value`` (a list or tuple), on
    ``value`` itself (anything else), or not at all (``None``)."""
    try:
        if value is None:
            return ValueHook(None, context)
        if type(instructions) is not list or not instructions:
            raise ProtocolError("a map() with no instructions")
        unused: list[Hook] = []
        used: set[int] = set()
        if type(value) is list or type(value) is tuple:
            template: Any = [_replay_one(item, captures, instructions, unused, used) for item in value]
        else:
            template = _replay_one(value, captures, instructions, unused, used)
    except Exception as exc:
        return ErrorHook(exc)
    finally:
        _dispose_all(captures)
    for hook in unused:  # results nobody reads (their calls were made)
        if id(hook) not in used:
            hook.dispose()
    return _gather(template, lambda filled: ValueHook(filled, context, True))


def _replay_one(
    element: Any, captures: list[Hook], instructions: list[Any], made: list[Hook], used: set[int]
) -> Any:
    variables: list[Hook] = [_Borrowed(element, None)]

    def variable(index: Any) -> Hook:
        if type(index) is int:
            if 0 <= index < len(variables):
                return variables[index]
            if -len(captures) <= index < 0:
                return captures[-index - 1]
        raise ProtocolError(f"a map() instruction refers to variable {index!r}, which does not exist")

    def evaluate(value: Any) -> Any:
        kind = type(value)
        if kind in SCALARS:
            return value
        if kind is Expression:
            op = value[0]
            if op == "pipeline" and len(value) == 2:
                hook = variable(value[1])
                used.add(id(hook))
                return _Hole(hook)
            if op == "import":
                return RpcStub._wrap(variable(value[1]).dup(), None)
            raise ProtocolError(f"a map() expression {value!r} where a value was expected")
        if kind is list or kind is tuple or kind is set or kind is frozenset:
            return kind(evaluate(item) for item in value)
        if kind is dict or kind is Kwargs:
            return kind((key, evaluate(item)) for key, item in value.items())
        return value

    for instruction in instructions[:-1]:
        if type(instruction) is not Expression or instruction[0] != "pipeline" or len(instruction) < 3:
            raise ProtocolError(f"a map() instruction must be a call or a read, not {instruction!r}")
        subject, path = variable(instruction[1]), instruction[2]
        if not is_path(path):
            raise ProtocolError(f"a map() instruction with a bad path {path!r}")
        if len(instruction) == 3:
            hook = subject.get(path)
        else:
            args = evaluate(instruction[3])
            hook = _gather(args, partial(_call_with, subject, path))
        variables.append(hook)
        made.append(hook)
    return evaluate(instructions[-1])


def _call_with(subject: Hook, path: Path, args: list[Any]) -> Hook:
    kwargs = args.pop() if args and type(args[-1]) is Kwargs else None
    return subject.call(path, args, kwargs)


def _gather(template: Any, then: Callable[[Any], Hook]) -> Hook:
    """``then(template)`` with each :class:`_Hole` replaced by its variable's value, once all
    are known; the first failure instead, if one fails."""
    holes: list[_Hole] = []
    _holes(template, holes)
    if not holes:
        return then(template)
    values: dict[int, Any] = {}
    waiting = [len(holes)]
    out = PromiseHook()
    failed: list[BaseException] = []

    def settled(hole: _Hole, ok: bool, value: Any) -> None:
        if failed or out.finished:
            return
        if not ok:
            failed.append(value)
            for other in holes:
                if id(other) not in values:
                    other.hook.dispose()  # (its value, when it comes, is let go)
            out.resolve(ErrorHook(value))
            return
        values[id(hole)] = value
        waiting[0] -= 1
        if waiting[0] == 0:
            try:
                filled = _filled(template, values)
            except Exception as exc:
                out.resolve(ErrorHook(exc))
                return
            out.resolve(then(filled))

    for hole in holes:
        hole.hook.settle(partial(settled, hole))
    return out


def _holes(value: Any, found: list[_Hole]) -> None:
    kind = type(value)
    if kind is _Hole:
        found.append(value)
    elif kind is list or kind is tuple or kind is set or kind is frozenset:
        for item in value:
            _holes(item, found)
    elif kind is dict or kind is Kwargs:
        for item in value.values():
            _holes(item, found)


def _filled(value: Any, values: dict[int, Any]) -> Any:
    kind = type(value)
    if kind is _Hole:
        return values[id(value)]
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return kind(_filled(item, values) for item in value)
    if kind is dict or kind is Kwargs:
        return kind((key, _filled(item, values)) for key, item in value.items())
    return value
