"""Protocol messages <-> bytes. A frame is one msgpack array: ``[kind, fields...]``.

Payloads inside messages are already-encoded bytes (see :mod:`.values`), carried as msgpack
``bin``; so the size of a frame is the real size of what crossed the simulated network.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ..errors import ProtocolError
from ..protocol.messages import Abort, Kind, Message, Pipe, Pull, Push, Reject, Release, Resolve, Stream

__all__ = ["decode_message", "encode_message"]

_packer = msgpack.Packer(use_bin_type=True)


def encode_message(message: Message) -> bytes:
    """The frame for ``message``."""
    kind = message.kind
    if kind is Kind.PUSH or kind is Kind.STREAM:
        m: Any = message
        return _packer.pack([kind, m.id, m.target, list(m.path), m.args])
    if kind is Kind.PULL or kind is Kind.PIPE:
        return _packer.pack([kind, message.id])  # type: ignore[union-attr]
    if kind is Kind.RESOLVE:
        return _packer.pack([kind, message.id, message.value])  # type: ignore[union-attr]
    if kind is Kind.REJECT:
        return _packer.pack([kind, message.id, message.error])  # type: ignore[union-attr]
    if kind is Kind.RELEASE:
        r: Any = message
        return _packer.pack([kind, r.id, r.refcount])
    if kind is Kind.ABORT:
        return _packer.pack([kind, message.reason])  # type: ignore[union-attr]
    raise ProtocolError(f"cannot encode {message!r}")


def decode_message(frame: bytes) -> Message:
    """The message in ``frame``; :class:`~playground.errors.ProtocolError` if malformed."""
    try:
        parts = msgpack.unpackb(frame, raw=False, max_bin_len=1 << 31)
        build = _BUILDERS.get(parts[0])
        if build is not None:
            return build(parts)
    except Exception as exc:
        raise ProtocolError(f"malformed frame ({exc}): {frame[:40]!r}") from None
    raise ProtocolError(f"unknown message kind {parts[0]!r}")


_BUILDERS: dict[str, Any] = {
    "push": lambda p: Push(p[1], p[2], tuple(p[3]), p[4]),
    "pull": lambda p: Pull(p[1]),
    "pipe": lambda p: Pipe(p[1]),
    "resolve": lambda p: Resolve(p[1], p[2]),
    "reject": lambda p: Reject(p[1], p[2]),
    "release": lambda p: Release(p[1], p[2]),
    "stream": lambda p: Stream(p[1], p[2], tuple(p[3]), p[4]),
    "abort": lambda p: Abort(p[1]),
}
