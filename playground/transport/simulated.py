"""A transport over a simulated link: messages are encoded (for their real size), carried with
the link's latency, jitter, bandwidth and loss, and handed to the other end as they were sent
(messages are immutable, so the receiver needs no copy)."""

from __future__ import annotations

from ..codec.frames import pack_frame
from ..protocol import Message
from ..sim.network import Link, Network
from .base import Receiver

__all__ = ["SimulatedTransport"]


class SimulatedTransport:
    """One direction of a session over ``link``, from worker ``sender`` to ``receiver``."""

    __slots__ = ("network", "link", "sender", "receiver")

    def __init__(self, network: Network, link: Link, sender: str, receiver: Receiver) -> None:
        self.network = network
        self.link = link
        self.sender = sender
        self.receiver = receiver

    def send(self, message: Message, seq: int, counted: bool) -> tuple[int, int | None]:
        size = len(pack_frame(message))
        return size, self.network.carry(self.link, self.sender, size, self.receiver, (message, seq, counted))

    def close(self) -> None:
        pass
