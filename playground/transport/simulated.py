"""A transport over a simulated link: messages are encoded (for their real size), carried with
the link's latency, jitter, bandwidth and loss, and handed to the other end as they were sent
(messages are immutable, so the receiver needs no copy)."""

from __future__ import annotations

from ..codec.frames import pack_frame
from ..sim.network import Channel, Network
from .base import Receiver

__all__ = ["SimulatedTransport"]


class SimulatedTransport(Channel):
    """One direction of a session over the simulated link from ``sender`` to ``receiver``; the
    other end's ``deliver(message, seq, counted)`` gets each message. (A
    :class:`~playground.sim.network.Channel` whose ``send`` sizes a message by its frame.)"""

    __slots__ = ()

    def __init__(self, network: Network, sender: str, receiver: str, deliver: Receiver) -> None:
        super().__init__(network, network.link(sender, receiver), sender, deliver, pack_frame)

    def close(self) -> None:
        pass
