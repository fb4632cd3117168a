"""Sans-I/O protocol core: messages, sessions, import/export tables, refcounts.

No clock, no asyncio, no codec and no printing live here; see :mod:`.session`.
"""

from .messages import (
    COUNTED_KINDS,
    Abort,
    Kind,
    Message,
    Path,
    Pipe,
    Pull,
    Push,
    Reject,
    Release,
    Resolve,
    Stream,
)
from .session import (
    MAIN,
    CallArrived,
    Event,
    ExportReleased,
    PipeArrived,
    PullArrived,
    ResultArrived,
    Session,
    SessionAborted,
)

__all__ = [
    "COUNTED_KINDS",
    "MAIN",
    "Abort",
    "CallArrived",
    "Event",
    "ExportReleased",
    "Kind",
    "Message",
    "Path",
    "Pipe",
    "PipeArrived",
    "Pull",
    "PullArrived",
    "Push",
    "Reject",
    "Release",
    "Resolve",
    "ResultArrived",
    "Session",
    "SessionAborted",
    "Stream",
]
