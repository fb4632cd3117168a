"""A transport over a simulated link: messages are encoded (for their real size), carried with
the link's latency, jitter, bandwidth and loss, and handed to the other end as they were sent
(messages are immutable, so the receiver needs no copy)."""

from __future__ import annotations

from ..codec.frames import pack_frame
from ..protocol import Message
from ..sim.network import Channel
from .base import Receiver

__all__ = ["SimulatedTransport"]


class SimulatedTransport:
    """One direction of a session over a simulated link (``channel``), to ``receiver``."""

    __slots__ = ("channel", "receiver", "_carry")

    def __init__(self, channel: Channel, receiver: Receiver) -> None:
        self.channel = channel
        self.receiver = receiver
        self._carry = channel.carry

    def send(self, message: Message, seq: int, counted: bool) -> tuple[int, int | None]:
        size = len(pack_frame(message))
        return size, self._carry(size, self.receiver, (message, seq, counted))

    def close(self) -> None:
        pass
