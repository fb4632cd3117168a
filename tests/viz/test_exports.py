"""Exports parse: JSON, Mermaid lines, Chrome trace JSON with flow pairs."""

from __future__ import annotations

import json
import re

import scenes

from playground.viz import perfetto_events


def test_to_json_parses_and_holds_every_event():
    play, rec = scenes.pipelined_counter()
    doc = json.loads(rec.to_json())
    assert doc["summary"]["round_trips"] == 1
    assert doc["summary"]["without_pipelining"] == 2
    assert doc["lanes"] == ["client", "counter"]
    assert len(doc["events"]) == len(rec.events)
    pushes = [e for e in doc["events"] if e["type"] == "message" and e["kind"] == "push"]
    assert [p["value"] for p in pushes] == ["[]", "[2]"]


MERMAID_LINE = re.compile(
    r"^(sequenceDiagram|    participant \w+( as .+)?|    \w+(->>|-->>|--x|-\)|--\))\w+: .+|"
    r"    rect rgba\(.+\)|    end|    Note (left of|right of|over) \w+: .+)$"
)


def test_to_mermaid_is_a_sequence_diagram_of_well_formed_lines():
    play, rec = scenes.forwarding()
    text = rec.to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "sequenceDiagram"
    for line in lines:
        assert MERMAID_LINE.match(line), line
    assert lines.count("    end") == lines.count("    rect rgba(234, 88, 12, 0.08)") == rec.round_trips
    assert "    introducer->>counter: get_counter()" in lines


def test_mermaid_names_lanes_that_are_not_identifiers():
    play2 = scenes.Playground(latency="1ms")
    play2.worker("counter-service", scenes.CounterService)
    play2.worker("my client", scenes.Client, services={"S": "counter-service"})

    async def main():
        with play2.env("my client").S.get_counter() as c:
            await c.increment()

    with play2.record() as rec2:
        play2.run(main())
    lines = rec2.to_mermaid().splitlines()
    assert "    participant W0 as my client" in lines
    assert "    participant W1 as counter-service" in lines


def test_to_perfetto_has_named_processes_and_a_flow_pair_per_message(tmp_path):
    play, rec = scenes.callback()
    path = tmp_path / "trace.json"
    rec.to_perfetto(str(path))
    doc = json.loads(path.read_text())
    events = doc["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert names == {"a", "b"}
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    assert len(starts) == len(rec.messages)
    assert set(finishes) == {m.seq for m in rec.messages if m.received_at is not None}
    for seq, f in finishes.items():
        assert f["bp"] == "e" and f["ts"] >= starts[seq]["ts"] and f["pid"] != starts[seq]["pid"]
    slices = [e for e in events if e["ph"] == "X"]
    assert len(slices) == len(starts) + len(finishes)  # flows bind to a slice at each end


def test_perfetto_stub_lifetimes_are_async_pairs_and_a_leak_has_no_end():
    play, rec = scenes.leaked_counter()
    play.leaked.__exit__(None, None, None)
    events = perfetto_events(rec)
    begins = {e["id"] for e in events if e["ph"] == "b"}
    ends = {e["id"] for e in events if e["ph"] == "e"}
    assert begins and len(begins - ends) == 1
