"""Protocol messages <-> bytes. A frame is one msgpack array: ``[kind, fields...]``.

A message already is that array (a tuple whose first item is its kind, see
:mod:`playground.protocol.messages`), so encoding is one call of msgpack's C packer. Payloads
inside messages are already-encoded bytes (see :mod:`.values`), carried as msgpack ``bin``; so
the size of a frame is the real size of what crossed the simulated network.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ..errors import ProtocolError, brief
from ..protocol.messages import MESSAGE_TYPES, Kind, Message, is_path
from .values import _head

__all__ = ["decode_message", "encode_message", "pack_frame"]

_pack = msgpack.Packer(use_bin_type=True).pack
#: The frame of a message known to be well formed (one made by a session): no checks.
pack_frame = _pack
_new = tuple.__new__
#: kind on the wire -> (the Kind, its class, the number of fields after the kind)
_KINDS = {str(kind): (kind, cls, len(cls.FIELDS)) for kind, cls in MESSAGE_TYPES.items()}
_PATH_AT = {Kind.PUSH: 3, Kind.STREAM: 3}
#: field name -> the types its value may have on the wire (a path is checked item by item)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (int,),
    "target": (int,),
    "refcount": (int,),
    "path": (tuple,),
    "args": (bytes, type(None)),
    "value": (bytes,),
    "error": (bytes,),
    "reason": (bytes,),
}
#: kind -> the (name, allowed types) of its fields, for the fields whose types are known
_CHECKS = {
    kind: tuple((index, name, _FIELD_TYPES[name]) for index, name in enumerate(cls.FIELDS, 1) if name in _FIELD_TYPES)
    for kind, cls in MESSAGE_TYPES.items()
}


def encode_message(message: Message) -> bytes:
    """The frame for ``message``."""
    if type(message) not in _CLASSES:
        raise ProtocolError(f"cannot encode {message!r}")
    return _pack(message)


_CLASSES = frozenset(MESSAGE_TYPES.values())


def _kind_of(value: object) -> str:
    return "a list" if type(value) is tuple else f"a {type(value).__name__}"


def decode_message(frame: bytes) -> Message:
    """The message in ``frame``; :class:`~playground.errors.ProtocolError` if malformed (bytes
    that are not msgpack, an unknown kind, the wrong number of fields or a field of the wrong
    type: ids and counts are ints, payloads bytes, a path a list of names and indexes)."""
    try:
        parts: Any = msgpack.unpackb(frame, raw=False, use_list=False, max_bin_len=1 << 31)
    except Exception as exc:
        raise ProtocolError(f"malformed frame ({type(exc).__name__}: {exc}): {_head(frame)}") from None
    if type(parts) is not tuple or not parts:
        raise ProtocolError(f"malformed frame (not a list): {_head(frame)}")
    entry = _KINDS.get(parts[0]) if type(parts[0]) is str else None
    if entry is None:
        raise ProtocolError(f"unknown message kind {brief(parts[0])}")
    kind, cls, arity = entry
    if len(parts) != arity + 1:
        raise ProtocolError(f"malformed {kind} frame: {arity} field(s) expected, got {len(parts) - 1}")
    for index, name, types in _CHECKS[kind]:
        if type(parts[index]) not in types:
            raise ProtocolError(f"malformed {kind} frame: {name} is {_kind_of(parts[index])}")
    path_at = _PATH_AT.get(kind)
    if path_at is not None and not is_path(parts[path_at]):
        raise ProtocolError(f"malformed {kind} frame: the path holds something not a name or an index")
    return _new(cls, (kind, *parts[1:]))  # type: ignore[no-any-return,return-value]
