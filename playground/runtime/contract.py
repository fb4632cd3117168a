"""The contracts at the bottom of the runtime: hooks, the user's handles, and their vocabulary.

Every stub and promise the user holds wraps a *hook*; every export in a session table is a
hook. Pipelining is uniform: ``hook.call(path, args)`` returns a new hook for the result *at
once*, whatever the kind of hook — a remote one sends a push and returns a hook for the
question, a pending local one queues the call until it resolves, a failed one returns itself.
The kinds of hook live above this module (:mod:`.hooks`, :mod:`.remote`, :mod:`.flow`,
:mod:`.bindings`, :mod:`.durable`); here are the contract they share, the one hook every layer
needs (:class:`ErrorHook`), and :class:`Capability`, the base of the user's handles, through
which lower layers ask a stub or a promise what they need without importing them.

Ownership: each holder owns the hook it holds and must ``dispose`` it once; ``dup`` gives a new
holder its own. ``settle(callback)`` asks for the final value (for a remote result, that sends
the pull) and calls ``callback(ok, value_or_exception)`` once, possibly at once. Hook methods
never raise for an RPC failure: the failure comes back as an :class:`ErrorHook`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol import Path

__all__ = ["FETCH_PATH", "Capability", "ErrorHook", "Gone", "Hook", "Origin", "Settled"]

#: ``callback(ok, value_or_exception)``, called once when a hook's value is known.
Settled = Callable[[bool, Any], None]
#: Who is calling, for the trace: (stub record id or None, where in user code or None).
Origin = tuple[int | None, tuple[str, int] | None] | None
#: How a handle was disposed, for the error when it is used after (see ``errors.DISPOSED_HOW``):
#: (how, where in user code or None).
Gone = tuple[str, tuple[str, int] | None]
#: The path of an HTTP request into a ``fetch`` handler (not an RPC method: ``#`` cannot start
#: a Python name, so no RPC call can collide with it).
FETCH_PATH: Path = ("#fetch",)


class Hook:
    """Abstract capability. See the module docstring for the ownership rules."""

    __slots__ = ()

    #: The trace ``seq`` of the call whose remote result this hook stands for (None if it does
    #: not stand for one: only a remote result records a promise in the ledger of live stubs).
    call_seq: int | None = None

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        raise NotImplementedError

    def get(self, path: Path, origin: Origin = None) -> Hook:
        raise NotImplementedError

    def settle(self, callback: Settled) -> None:
        raise NotImplementedError

    def fetch(self, request: Any) -> Hook:
        """An HTTP request for this main object's ``fetch`` handler, as a hook for the response.
        A hook that is not a local object (a failure, say) answers with itself."""
        return self

    def mark_sent(self) -> None:
        """The value this hook settled to was serialized to the peer (it owns it now)."""

    def dup(self) -> Hook:
        raise NotImplementedError

    def dispose(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__

    @property
    def worker(self) -> str | None:
        """The worker where calls on this hook are executed, if known."""
        return None


class ErrorHook(Hook):
    """A failed capability: every call and read on it fails with the same error."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return self

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return self

    def settle(self, callback: Settled) -> None:
        callback(False, self.error)

    def dup(self) -> Hook:
        return self

    def dispose(self) -> None:
        pass

    def describe(self) -> str:
        return f"error {self.error!r}"


class Capability:
    """Base of the user's handles (``RpcStub``, ``RpcPromise``, in :mod:`.stubs`).

    Lower layers ask a handle through these members instead of importing its class.
    """

    __slots__ = ()

    #: A promise (the result of a call) rather than a stub.
    _IS_PROMISE = False

    def _capability_hook(self) -> Hook:  # pragma: no cover - overridden
        """The hook calls on this handle go to (an :class:`ErrorHook` if it is disposed)."""
        raise NotImplementedError

    def _transfer_hook(self) -> Hook:  # pragma: no cover - overridden
        """Take the hook away (ownership moves elsewhere); the handle is then spent."""
        raise NotImplementedError

    def _dispose(self, action: str = "disposed", gone: Gone | None = None) -> None:  # pragma: no cover - overridden
        """Dispose this handle (``action`` names why, for the trace; ``gone`` says how and
        where, for the error if it is used after)."""
        raise NotImplementedError
