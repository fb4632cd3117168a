"""Words for what the diagram draws: message labels, tooltips, colours, short values.

Labels read as the user's code does: ``get_counter()``, ``→ increment(2)`` for a call sent
before the result it is made on had come back, ``resolve 3``, ``release``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..trace.events import CallEvent, MessageEvent, StubEvent, where_text
from .view import View

__all__ = [
    "COLOURS", "NEVER_AWAITED", "call_label", "colour", "message_label", "ms_text", "role", "short", "size_text",
    "tooltip", "where_text",
]

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
#: What a call sent and never awaited is drawn with (its push: no pull followed it).
NEVER_AWAITED = "sent, never awaited: no pull, the result never came back"


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
    """A compact, one-line rendering of a decoded value, cut to ``limit`` characters.

    Only as much of the value is looked at as fits: a value that contains itself (one message
    keeps cycles) or is nested thousands deep is cut like any other."""
    text = " ".join(_short(value, limit + 1).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_BRACKETS = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})")}


def _short(value: Any, budget: int) -> str:
    """``value`` rendered up to about ``budget`` characters (a longer text is cut by the caller)."""
    if budget <= 0:
        return "…"
    if isinstance(value, str):
        return repr(value[:budget])
    if type(value).__name__ == "DisplayRef":  # (viz reads traces, not the codec)
        return str(value.label)
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        pairs = value.items()
        opening, closing = "{", "}"
    else:
        brackets = next((b for kind, b in _BRACKETS.items() if isinstance(value, kind)), None)
        if brackets is None:
            return repr(value)
        pairs = ((None, v) for v in value)
        opening, closing = brackets
    parts: list[str] = []
    used = len(opening)
    for key, item in pairs:
        if used > budget:
            parts.append("…")
            break
        part = _short(item, budget - used) if key is None and not isinstance(value, dict) else (
            f"{_short(key, budget - used)}: {_short(item, budget - used)}"
        )
        parts.append(part)
        used += len(part) + 2
    if len(parts) == 1 and isinstance(value, tuple):
        return f"({parts[0]},)"
    if not parts and isinstance(value, (set, frozenset)):
        return repr(value)
    return opening + ", ".join(parts) + closing


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
    if type(args).__name__ == "Expression" and args[0] == "remap":  # a recorded map(): see docs/design.md
        into = ".".join(str(p) for p in args[1])
        return f"{into + '.' if into else ''}map(…)"
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


def ms_text(ms: float) -> str:
    """Milliseconds for people: ``25``, ``12.5``, ``0.025``, ``10,025`` (to the microsecond,
    never an exponent)."""
    value = round(ms, 3)
    return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


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
        if call is not None and call.pipelined:
            label = "→ " + label
        if m in view.never_awaited:
            label += f" · {NEVER_AWAITED}"
        return label
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
    if m.kind == "push" and m in view.never_awaited:
        lines.append(f"{NEVER_AWAITED} (await the call, or dispose it if you do not need its result)")
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
