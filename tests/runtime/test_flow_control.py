"""Flow control: the window bounds what is in flight, a slow reader stalls the writer, and
throughput follows min(bandwidth, window / round trip)."""

from __future__ import annotations

import pytest

from playground import Playground, ReadableStream, WorkerEntrypoint
from playground.runtime.flow import MAX, MIN, START, FlowController
from playground.trace import StreamEvent

KiB, MiB = 1024, 1024 * 1024


class Reader(WorkerEntrypoint):
    async def consume(self, readable):
        total = 0
        async for chunk in readable:
            total += len(chunk)
        return total

    async def consume_slowly(self, readable, pause):
        from playground import sleep

        total = 0
        async for chunk in readable:
            total += len(chunk)
            await sleep(pause)
        return total


class Client(WorkerEntrypoint):
    pass


def stream_once(*, window, latency, bandwidth, total=4 * MiB, chunk=16 * KiB, slow=None):
    play = Playground(latency=latency, bandwidth=bandwidth, stream_window=window)
    play.worker("reader", Reader)
    play.worker("writer", Client, services={"R": "reader"})
    env = play.env("writer")
    chunks = (bytes(chunk) for _ in range(total // chunk))
    readable = ReadableStream.from_iterable(chunks)
    with play.record() as rec:
        if slow is None:
            got = play.run(env.R.consume(readable))
        else:
            got = play.run(env.R.consume_slowly(readable, slow))
    assert got == total
    play.run(play.idle())
    return goodput(rec), rec.stream_events, rec


def goodput(rec) -> float:
    """Bytes per second arriving at the reader, from the first chunk's arrival to the last's."""
    chunks = [e for e in rec.stream_events if e.action == "chunk"]
    arrivals = [m.received_at for m in rec.messages if m.kind == "stream" and m.path == ("write",)]
    return sum(e.size for e in chunks[1:]) / (arrivals[-1] - arrivals[0])


def law(window: int, latency: str, bandwidth: float, chunk: int = 16 * KiB) -> float:
    """min(bandwidth, window / RTT), the RTT of one chunk: there and back, plus sending it."""
    rtt = 2 * float(latency[:-2]) / 1000 + chunk / bandwidth
    return min(bandwidth, window / rtt)


@pytest.mark.parametrize(
    "window, latency, bandwidth",
    [
        (64 * KiB, "10ms", 100e6),  # window-limited: 64 KiB / 20 ms
        (256 * KiB, "25ms", 100e6),  # window-limited: 256 KiB / 50 ms
        (64 * KiB, "1ms", 50e6),  # window-limited, where sending a chunk is part of the RTT
        (4 * MiB, "2ms", 10e6),  # bandwidth-limited: 10 MB/s
        (1 * MiB, "10ms", 50e6),  # at the knee: the window is just above the BDP
    ],
)
def test_throughput_follows_the_law(window, latency, bandwidth):
    measured, _, _ = stream_once(window=window, latency=latency, bandwidth=bandwidth, total=8 * MiB)
    assert measured == pytest.approx(law(window, latency, bandwidth), rel=0.05)


def test_the_window_bounds_the_bytes_in_flight():
    _, events, _ = stream_once(window=64 * KiB, latency="10ms", bandwidth=None, total=1 * MiB)
    assert max(e.in_flight for e in events) <= 64 * KiB
    assert any(e.action == "stall" for e in events)


def test_a_slow_reader_holds_the_writer_back():
    _, events, rec = stream_once(window=32 * KiB, latency="1ms", bandwidth=None, total=256 * KiB, slow=0.1)
    stalls = [e for e in events if e.action == "stall"]
    assert stalls and all(e.since is not None and e.at > e.since for e in stalls)
    # 16 chunks read with 0.1 s between them: the writer could not run ahead of the reader
    assert rec.elapsed > 1.5


def test_stream_events_name_the_stream_and_its_ends():
    _, events, _ = stream_once(window=None, latency="5ms", bandwidth=None, total=512 * KiB)
    actions = {e.action for e in events}
    assert {"chunk", "ack", "close"} <= actions
    assert {e.stream for e in events} and {(e.sender, e.receiver) for e in events} == {("writer", "reader")}
    assert all(isinstance(e, StreamEvent) for e in events)


def test_adaptive_window_starts_at_256_kib_grows_towards_the_bandwidth_delay_product():
    _, events, _ = stream_once(window=None, latency="50ms", bandwidth=200e6, total=64 * MiB, chunk=64 * KiB)
    windows = [e.window for e in events]
    assert windows[0] == START
    assert max(windows) > 4 * START  # the BDP here is 20 MB: the window grows well past 256 KiB
    assert all(MIN <= w <= MAX for w in windows)


def test_flow_controller_arithmetic():
    fixed = FlowController(1000)
    assert fixed.can_send(1000) and fixed.can_send(5000)  # a big chunk may go alone
    fixed.sent(600, 0)
    assert not fixed.can_send(500) and fixed.can_send(400)
    assert fixed.acked(600, 0, 10) is False and fixed.in_flight == 0
    adaptive = FlowController(None)
    assert adaptive.window == START
    adaptive.sent(START, 0)
    adaptive.held_back()
    assert adaptive.acked(START, 0, 100) is True  # a round trip held back by the window: grow
    assert adaptive.window == 2 * START
    idle = FlowController(None)
    idle.sent(1000, 0)
    idle.acked(1000, 0, 100)  # not held back: decay, but never below the minimum
    assert idle.window == int(START * 0.9)
