"""Starting a coroutine *eagerly*: its first step runs now, as a JavaScript async function does.

In JavaScript an ``async`` function runs synchronously up to its first ``await``; in asyncio a
new task waits for the next turn of the loop. For calls delivered together (a batch of messages)
that changes their order: a synchronous method delivered after an ``async`` one would run
first. Starting eagerly keeps the order the messages arrived in (E-order).

Python 3.12 has ``Task(..., eager_start=True)``; on 3.11 the first step is run by hand and the
rest handed to an ordinary task.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["as_coroutine", "eager_task"]


def eager_task(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: contextvars.Context
) -> asyncio.Future[Any]:
    """A task (or a finished future) for ``coro``, whose first step has already run."""
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, context=context, eager_start=True)  # type: ignore[call-arg]
    try:
        first = context.run(coro.send, None)
    except StopIteration as stop:
        future = loop.create_future()
        future.set_result(stop.value)
        return future
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        future = loop.create_future()
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
        return future
    return loop.create_task(_rest(coro, first), context=context)


async def _rest(coro: Coroutine[Any, Any, Any], first: Any) -> Any:
    return await _Resume(coro, first)


class _Resume:
    """Drives an already-started coroutine from where its first step stopped."""

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self._coro = coro
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro = self._coro
        value = self._first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def as_coroutine(awaitable: Awaitable[T]) -> T:
    """Any awaitable (a future, an RPC promise) as a coroutine, which a task can run."""
    return await awaitable
