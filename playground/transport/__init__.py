"""Transports: what carries one end's messages to the other end of a session.

The runtime's connection knows only the :class:`Transport` interface: ``send`` a message (with
its trace number and whether it counts towards round trips), learn its size and when it will
arrive, ``close``. The other end receives through the callback given to the transport when it
was made. :class:`SimulatedTransport` carries messages over a simulated link (latency, jitter,
bandwidth, loss, cuts); a real socket would be one more implementation of the same three
members, with no change to stubs, hooks or sessions.
"""

from .base import Receiver, Transport
from .simulated import SimulatedTransport

__all__ = ["Receiver", "SimulatedTransport", "Transport"]
