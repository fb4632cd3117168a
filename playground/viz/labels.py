"""Words for what the diagram draws: message labels, tooltips, colours, short values.

Labels read as the user's code does: ``get_counter()``, ``→ increment(2)`` for a call sent
before the result it is made on had come back, ``resolve 3``, ``release``.
"""

from __future__ import annotations

from typing import Any

from ..trace.events import CallEvent, MessageEvent, StubEvent, where_text
from .view import View

__all__ = ["COLOURS", "call_label", "colour", "message_label", "role", "short", "size_text", "tooltip", "where_text"]

#: Stroke colour of each message kind (presentation attributes, never CSS classes).
COLOURS: dict[str, str] = {
    "push": "#2563eb",
    "pull": "#7c8db5",
    "resolve": "#16a34a",
    "reject": "#dc2626",
    "release": "#a3a3a3",
    "abort": "#b91c1c",
    "chunk": "#9333ea",
    "ack": "#c084fc",
}
OTHER = "#737373"


def colour(kind: str) -> str:
    """The stroke colour for a message kind (or a :func:`role`)."""
    return COLOURS.get(kind, OTHER)


def role(m: MessageEvent) -> str:
    """What a message does, for drawing: its kind, except that a stream write is a ``chunk``
    and the acknowledgement of one (a resolve that is bookkeeping) an ``ack``."""
    if m.kind == "stream":
        return "chunk"
    if m.kind in ("resolve", "reject") and not m.counted:
        return "ack"
    return str(m.kind)


def short(value: Any, limit: int = 24) -> str:
    """A compact, one-line rendering of a decoded value, cut to ``limit`` characters."""
    if isinstance(value, str):
        text = repr(value)
    elif type(value).__name__ == "DisplayRef":  # (viz reads traces, not the codec)
        text = value.label
    elif isinstance(value, list):
        text = "[" + ", ".join(short(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{short(k, limit)}: {short(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _arguments(value: Any) -> str:
    if not isinstance(value, list):
        return "" if value is None else short(value)
    parts = []
    for v in value:
        if isinstance(v, dict) and type(v).__name__ == "Kwargs":
            parts += [f"{k}={short(x, 12)}" for k, x in v.items()]
        else:
            parts.append(short(v, 16))
    return ", ".join(parts)


def call_label(call: CallEvent | None, path: tuple[Any, ...] = (), args: Any = None) -> str:
    """``name(args)``, or ``.prop`` for a property read; ``(this)`` for calling a function stub."""
    path = call.path if call is not None else path
    name = ".".join(str(p) for p in path)
    if call is not None and call.is_get:
        return "." + name if name else "(value)"
    return f"{name or 'call'}({_arguments(args)})"


def size_text(n: float) -> str:
    """Bytes in the largest binary unit that keeps the number under 1024: ``512 B``,
    ``1.5 KiB``, ``192 KiB``, ``4 MiB`` (three significant figures, never an exponent)."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            break
        n /= 1024
    else:
        unit = "GiB"
    if unit == "B":
        return f"{n:,.0f} B"
    return f"{n:,.0f} {unit}" if n >= 100 else f"{n:.3g} {unit}"


def message_label(view: View, m: MessageEvent) -> str:
    """The text drawn on a message's arrow."""
    call = view.call_of(m)
    if m.kind == "stream":
        op = str(m.path[0]) if m.path else "write"
        return f"write {size_text(max(m.size - 24, 0))}" if op == "write" else op  # less the framing
    if m.kind in ("resolve", "reject") and not m.counted:
        return "ack" if m.kind == "resolve" else "ack (error)"
    if m.kind == "push":
        label = call_label(call, m.path, view.value_of(m))
        return ("→ " + label) if call is not None and call.pipelined else label
    if m.kind in ("resolve", "reject"):
        value = view.value_of(m)
        return m.kind if value is None else f"{m.kind} {short(value)}"
    return m.kind


def _ms(seconds: float | None) -> str:
    return "lost" if seconds is None else f"{seconds * 1000:g} ms"


def tooltip(view: View, m: MessageEvent) -> str:
    """Everything about one message: ids, times, bytes, the decoded payload, the user's line."""
    call = view.call_of(m)
    lines = [
        f"{m.kind} #{m.seq}: {m.sender} → {m.receiver}",
        f"session {m.session}, id {m.id}" + (f", target {m.target}" if m.target is not None else ""),
        f"sent {_ms(m.sent_at)}, received {_ms(m.received_at)}"
        + ("" if m.latency is None else f" ({m.latency * 1000:g} ms in flight)"),
        f"{m.size} bytes" + ("" if m.counted else ", bookkeeping (not a round trip)"),
    ]
    if m.payload is not None:
        lines.append("payload: " + short(view.value_of(m), 200))
    if call is not None:
        lines.append(
            f"call {call_label(call, (), None)} from {call.caller}"
            + (", pipelined" if call.pipelined else "")
            + f" at {where_text(call.where)}"
        )
    return "\n".join(lines)


def stub_tooltip(first: StubEvent, actions: list[StubEvent], alive: bool) -> str:
    """The story of one stub: what it points to, where it was made, what happened to it."""
    lines = [f"stub #{first.stub} owned by {first.owner}: {first.target}", f"made at {where_text(first.where)}"]
    lines += [f"{e.action} at {e.at * 1000:g} ms" for e in actions]
    if alive:
        lines.append("still alive at the end: dispose it (with ...:) or it leaks")
    return "\n".join(lines)
