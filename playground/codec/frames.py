"""Protocol messages <-> bytes. A frame is one msgpack array: ``[kind, fields...]``.

A message already is that array (a tuple whose first item is its kind, see
:mod:`playground.protocol.messages`), so encoding is one call of msgpack's C packer. Payloads
inside messages are already-encoded bytes (see :mod:`.values`), carried as msgpack ``bin``; so
the size of a frame is the real size of what crossed the simulated network.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ..errors import ProtocolError
from ..protocol.messages import MESSAGE_TYPES, Kind, Message

__all__ = ["decode_message", "encode_message", "pack_frame"]

_pack = msgpack.Packer(use_bin_type=True).pack
#: The frame of a message known to be well formed (one made by a session): no checks.
pack_frame = _pack
_new = tuple.__new__
#: kind on the wire -> (the Kind, its class, the number of fields after the kind)
_KINDS = {str(kind): (kind, cls, len(cls.FIELDS)) for kind, cls in MESSAGE_TYPES.items()}
_PATH_AT = {Kind.PUSH: 3, Kind.STREAM: 3}


def encode_message(message: Message) -> bytes:
    """The frame for ``message``."""
    if type(message) not in _CLASSES:
        raise ProtocolError(f"cannot encode {message!r}")
    return _pack(message)


_CLASSES = frozenset(MESSAGE_TYPES.values())


def decode_message(frame: bytes) -> Message:
    """The message in ``frame``; :class:`~playground.errors.ProtocolError` if malformed."""
    try:
        parts: Any = msgpack.unpackb(frame, raw=False, use_list=False, max_bin_len=1 << 31)
    except Exception as exc:
        raise ProtocolError(f"malformed frame ({exc}): {frame[:40]!r}") from None
    if type(parts) is not tuple or not parts:
        raise ProtocolError(f"malformed frame (not a list): {frame[:40]!r}")
    entry = _KINDS.get(parts[0]) if type(parts[0]) is str else None
    if entry is None:
        raise ProtocolError(f"unknown message kind {parts[0]!r}")
    kind, cls, arity = entry
    if len(parts) != arity + 1:
        raise ProtocolError(f"malformed {kind} frame: {arity} field(s) expected, got {len(parts) - 1}")
    path_at = _PATH_AT.get(kind)
    if path_at is not None and type(parts[path_at]) is not tuple:
        raise ProtocolError(f"malformed {kind} frame: the path is not a list")
    return _new(cls, (kind, *parts[1:]))  # type: ignore[no-any-return,return-value]
