"""Exports that leave Python: Mermaid ``sequenceDiagram`` text and a JSON document.

Mermaid has no time axis, so the order of lines is the order of sending; round trips become
``rect`` blocks, flights a note, and stubs still alive at the end a red note. The JSON holds the
summary, the lanes and every event as a plain object (payloads decoded for display).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from .labels import message_label, short, where_text
from .model import build
from .view import view_of

__all__ = ["to_json", "to_mermaid"]

ARROWS = {"push": "->>", "resolve": "-->>", "reject": "--x", "pull": "-)", "release": "--)"}


def _mermaid_text(text: str) -> str:
    """Mermaid treats ``;`` and ``#`` specially in messages: write them as entity codes."""
    return text.replace("#", "#35;").replace(";", "#59;").replace("\n", " ")


def _ident(name: str, i: int) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f"W{i}"


def to_mermaid(source: Any, *, bookkeeping: bool = False) -> str:
    """A Mermaid ``sequenceDiagram`` of the trace (releases and pulls only if ``bookkeeping``)."""
    d = build(view_of(source))
    ids = {lane: _ident(lane, i) for i, lane in enumerate(d.lanes)}
    lines = ["sequenceDiagram"]
    for lane, ident in ids.items():
        lines.append(f"    participant {ident}" + (f" as {_mermaid_text(lane)}" if ident != lane else ""))
    by_seq = {m.seq: m for m in d.messages}
    opening: dict[tuple[str, float], int] = {}  # (sender, time sent) → the first message sent then
    for m in d.messages:
        opening.setdefault((m.sender, m.sent_at), m.seq)
    starts = {}
    for b in d.brackets:  # a round trip opens with the first message of its flight
        first = by_seq[b.first]
        starts[opening[(first.sender, first.sent_at)]] = b
    ends = {b.last: b for b in d.brackets}
    open_rect = False
    flights_noted: set[int] = set()
    for m in d.messages:
        if m.seq in starts and not open_rect:
            lines.append("    rect rgba(234, 88, 12, 0.08)")
            lines.append(f"    Note left of {ids[starts[m.seq].lane]}: round trip {starts[m.seq].number}")
            open_rect = True
        flight = d.flight_of.get(m.seq)
        if flight and flight not in flights_noted:
            flights_noted.add(flight)
            f = d.flights[flight - 1]
            lines.append(f"    Note over {ids[f.lane]}: one flight: {f.calls} calls pipelined")
        if bookkeeping or (m.counted and m.kind != "pull") or m.seq in starts or m.seq in ends:
            arrow = ARROWS.get(m.kind, "->>")
            label = message_label(d.view, m) + (" (lost)" if m.received_at is None else "")
            lines.append(f"    {ids[m.sender]}{arrow}{ids[m.receiver]}: {_mermaid_text(label)}")
        if m.seq in ends and open_rect:
            lines.append("    end")
            open_rect = False
    if open_rect:
        lines.append("    end")
    for life in d.lifetimes:
        if life.alive and life.owner in ids:
            note = f"stub #{life.stub} still alive (made at {where_text(life.where)})"
            lines.append(f"    Note right of {ids[life.owner]}: {_mermaid_text(note)}")
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def _event(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(e).__name__.removesuffix("Event").lower()}
    fields = e._asdict() if hasattr(e, "_asdict") else asdict(e)
    for key, value in fields.items():
        if key == "payload":
            out["value"] = None if value is None else short(e.value, 400)
        else:
            out[key] = _plain(value)
    return out


def to_json(source: Any, *, indent: int | None = None) -> str:
    """The trace as JSON: ``{"summary", "lanes", "advice", "events"}``."""
    d = build(view_of(source))
    s = d.summary
    doc = {
        "summary": {
            "round_trips": s.round_trips,
            "elapsed_s": s.elapsed,
            "calls": s.calls,
            "pipelined": s.pipelined,
            "messages": s.messages,
            "bytes": s.bytes,
            "leaks": s.leaks,
            "without_pipelining": s.without_pipelining,
            "line": s.line(),
        },
        "lanes": list(d.lanes),
        "start_s": d.view.start,
        "end_s": d.view.end,
        "advice": [str(a) for a in d.advice],
        "events": [_event(e) for e in d.view.events],
    }
    return json.dumps(doc, indent=indent, ensure_ascii=False)
