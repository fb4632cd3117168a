"""The transport interface (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..protocol import Message

__all__ = ["Receiver", "Transport"]

#: The receiving end: ``receiver(message, seq, counted)`` when a message arrives. ``seq`` is the
#: trace number the sender recorded it under; ``counted``: whether it counts as a round trip.
Receiver = Callable[[Message, int, bool], None]


class Transport(Protocol):
    """Carries messages from one end of a session to the other.

    ``send`` never raises for a network failure: a message that will never arrive (a link that
    is down, a loss) is reported by an arrival time of ``None``, and the sender fails the
    session. ``send`` may raise :class:`~playground.errors.ProtocolError` for a message that
    cannot be encoded.
    """

    def send(self, message: Message, seq: int, counted: bool) -> tuple[int, int | None]:
        """Send ``message``; returns its size in bytes on the wire and its arrival time in
        nanoseconds of the playground's clock (``None``: it is lost)."""

    def close(self) -> None:
        """Nothing more will be sent."""
