"""Chrome trace JSON (opens in ui.perfetto.dev): one process per worker, flow arrows between.

Format notes (Trace Event Format, JSON object form; ``ts`` and ``dur`` in microseconds):
``M`` events name each process and fix its order; every message is a 1 µs ``X`` slice on the
sender and another on the receiver, joined by a flow pair (``s`` on the sender, ``f`` with
``"bp": "e"`` on the receiver) sharing the message's ``seq`` as id, because flows bind to
enclosing slices. Stubs are async ``b``/``e`` pairs (a stub with no ``e`` shows as leaked);
stream flow control becomes ``C`` counters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .labels import message_label, short, where_text
from .model import build
from .view import view_of

__all__ = ["perfetto_events", "to_perfetto"]

US = 1_000_000


def perfetto_events(source: Any) -> list[dict[str, Any]]:
    """The trace as a list of Chrome trace events."""
    d = build(view_of(source))
    pid = {lane: i + 1 for i, lane in enumerate(d.lanes)}
    out: list[dict[str, Any]] = []
    for lane, p in pid.items():
        out.append({"ph": "M", "name": "process_name", "pid": p, "tid": 0, "args": {"name": lane}})
        out.append({"ph": "M", "name": "process_sort_index", "pid": p, "tid": 0, "args": {"sort_index": p}})
    for m in d.messages:
        name = message_label(d.view, m)
        args = {"kind": m.kind, "bytes": m.size, "session": m.session, "id": m.id, "seq": m.seq}
        if m.payload is not None:
            args["value"] = short(d.view.value_of(m), 200)
        sent = round(m.sent_at * US, 3)
        out.append({"ph": "X", "name": name, "cat": m.kind, "pid": pid[m.sender], "tid": 0, "ts": sent, "dur": 1, "args": args})
        out.append({"ph": "s", "name": m.kind, "cat": "message", "id": m.seq, "pid": pid[m.sender], "tid": 0, "ts": sent})
        if m.received_at is not None:
            got = round(m.received_at * US, 3)
            out.append({"ph": "X", "name": name, "cat": m.kind, "pid": pid[m.receiver], "tid": 0, "ts": got, "dur": 1, "args": args})
            out.append({"ph": "f", "bp": "e", "name": m.kind, "cat": "message", "id": m.seq, "pid": pid[m.receiver], "tid": 0, "ts": got})
    for life in d.lifetimes:
        if life.owner not in pid:
            continue
        common = {"name": f"stub #{life.stub}", "cat": "stub", "id": life.stub, "pid": pid[life.owner], "tid": 0}
        args = {"target": life.target, "made at": where_text(life.where)}
        out.append({"ph": "b", "ts": round(life.start * US, 3), "args": args, **common})
        if life.end is not None:
            out.append({"ph": "e", "ts": round(life.end * US, 3), "args": {"ended by": life.ended_by}, **common})
    for s in d.view.stream_events:
        if s.sender in pid:
            out.append({
                "ph": "C", "name": f"stream {s.stream}", "pid": pid[s.sender], "tid": 0,
                "ts": round(s.at * US, 3), "args": {"in flight": s.in_flight, "window": s.window},
            })
    return out


def to_perfetto(source: Any, path: str | Path | None = None) -> str:
    """Chrome trace JSON text; written to ``path`` too when one is given."""
    text = json.dumps({"traceEvents": perfetto_events(source), "displayTimeUnit": "ms"})
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
