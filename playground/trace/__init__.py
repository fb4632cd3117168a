"""Immutable events, the recorder, and statistics (round trips, bytes, savings)."""

from .events import (
    AwaitEvent,
    CallEvent,
    ContextEvent,
    Event,
    FaultEvent,
    MessageEvent,
    NoteEvent,
    StreamEvent,
    StubEvent,
    Where,
    where_text,
)
from .recorder import Recorder, Recording, Trace
from .store import Dropped, EventLog
from .stats import depths, longest_chain, pipelined_calls, round_trips, round_trips_of, unawaited, unpulled

__all__ = [
    "AwaitEvent",
    "CallEvent",
    "ContextEvent",
    "Dropped",
    "Event",
    "EventLog",
    "FaultEvent",
    "MessageEvent",
    "NoteEvent",
    "Recorder",
    "Recording",
    "StreamEvent",
    "StubEvent",
    "Trace",
    "Where",
    "depths",
    "longest_chain",
    "pipelined_calls",
    "round_trips",
    "round_trips_of",
    "unawaited",
    "unpulled",
    "where_text",
]
