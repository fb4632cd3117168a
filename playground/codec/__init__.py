"""Messages and values to bytes and back (msgpack), and the 32 MiB limit."""

from .frames import decode_message, encode_message
from .values import (
    MAX_MESSAGE_BYTES,
    SCALARS,
    DisplayRef,
    Exporter,
    Expression,
    Ext,
    Importer,
    Kwargs,
    decode_value,
    describe,
    encode_value,
    is_plain,
    marker,
    pack_small,
    unpack_plain,
    unserializable,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "SCALARS",
    "DisplayRef",
    "Exporter",
    "Expression",
    "Ext",
    "Importer",
    "Kwargs",
    "decode_message",
    "decode_value",
    "describe",
    "encode_message",
    "encode_value",
    "is_plain",
    "marker",
    "pack_small",
    "unpack_plain",
    "unserializable",
]
