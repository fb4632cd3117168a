"""Protocol messages <-> bytes. A frame is one msgpack array: ``[kind, fields...]``.

Payloads inside messages are already-encoded bytes (see :mod:`.values`), carried as msgpack
``bin``; so the size of a frame is the real size of what crossed the simulated network.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ..errors import ProtocolError
from ..protocol.messages import Abort, Kind, Message, Pull, Push, Reject, Release, Resolve, Stream

__all__ = ["decode_message", "encode_message"]

_packer = msgpack.Packer(use_bin_type=True)


def encode_message(message: Message) -> bytes:
    """The frame for ``message``."""
    kind = message.kind
    if kind is Kind.PUSH or kind is Kind.STREAM:
        m: Any = message
        return _packer.pack([kind.value, m.id, m.target, list(m.path), m.args])
    if kind is Kind.PULL:
        return _packer.pack([kind.value, message.id])  # type: ignore[union-attr]
    if kind is Kind.RESOLVE:
        return _packer.pack([kind.value, message.id, message.value])  # type: ignore[union-attr]
    if kind is Kind.REJECT:
        return _packer.pack([kind.value, message.id, message.error])  # type: ignore[union-attr]
    if kind is Kind.RELEASE:
        r: Any = message
        return _packer.pack([kind.value, r.id, r.refcount])
    if kind is Kind.ABORT:
        return _packer.pack([kind.value, message.reason])  # type: ignore[union-attr]
    raise ProtocolError(f"cannot encode {message!r}")


def decode_message(frame: bytes) -> Message:
    """The message in ``frame``; :class:`~playground.errors.ProtocolError` if malformed."""
    try:
        parts = msgpack.unpackb(frame, raw=False, max_bin_len=1 << 31)
        kind = parts[0]
        if kind == "push":
            return Push(parts[1], parts[2], tuple(parts[3]), parts[4])
        if kind == "pull":
            return Pull(parts[1])
        if kind == "resolve":
            return Resolve(parts[1], parts[2])
        if kind == "reject":
            return Reject(parts[1], parts[2])
        if kind == "release":
            return Release(parts[1], parts[2])
        if kind == "stream":
            return Stream(parts[1], parts[2], tuple(parts[3]), parts[4])
        if kind == "abort":
            return Abort(parts[1])
    except ProtocolError:
        raise
    except Exception as exc:
        raise ProtocolError(f"malformed frame ({exc}): {frame[:40]!r}") from None
    raise ProtocolError(f"unknown message kind {kind!r}")
