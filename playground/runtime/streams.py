"""Byte streams: ``ReadableStream``, ``WritableStream``, ``IdentityTransformStream``.

(Local behaviour only for now; crossing RPC with flow control comes with the streams issue.)
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

__all__ = ["ReadableStream"]


class ReadableStream:
    """A stream of ``bytes`` chunks, read with ``async for`` or ``await read_all()``."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._locked = False

    @classmethod
    def from_iterable(cls, chunks: Iterable[bytes] | AsyncIterable[bytes]) -> ReadableStream:
        if isinstance(chunks, AsyncIterable):
            return cls(chunks.__aiter__())

        async def gen() -> AsyncIterator[bytes]:
            for chunk in chunks:  # type: ignore[union-attr]
                yield chunk

        return cls(gen())

    @property
    def locked(self) -> bool:
        return self._locked

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._source

    async def read_all(self) -> bytes:
        parts: list[bytes] = []
        async for chunk in self._source:
            parts.append(bytes(chunk))
        return b"".join(parts)

    def __repr__(self) -> str:
        return "<ReadableStream>"


def _unused(*_: Any) -> None:
    pass
