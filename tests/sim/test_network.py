"""Links: latency, seeded jitter, order, bandwidth, loss, cuts."""

from __future__ import annotations

from playground.sim.clock import VirtualLoop
from playground.sim.network import LinkProperties, Network


def network(**props) -> tuple[VirtualLoop, Network]:
    loop = VirtualLoop()
    return loop, Network(loop, LinkProperties(**props), seed=1)


def test_latency_sets_the_arrival_time():
    loop, net = network(latency_ns=25_000_000)
    arrivals = []
    net.send("a", "b", 10, lambda: arrivals.append(loop.now_ns))
    loop.run_until(lambda: bool(arrivals))
    assert arrivals == [25_000_000]


def test_jitter_is_seeded_and_never_reorders_one_direction():
    def arrivals(seed):
        loop = VirtualLoop()
        net = Network(loop, LinkProperties(latency_ns=10_000_000, jitter_ns=8_000_000), seed=seed)
        got = []
        for i in range(200):
            loop.call_at_ns(i * 100_000, net.send, "a", "b", 1, lambda i=i: got.append((i, loop.now_ns)))
        loop.run_until(lambda: len(got) == 200)
        return got

    first, again, other = arrivals(1), arrivals(1), arrivals(2)
    assert first == again
    assert first != other
    assert [i for i, _ in first] == list(range(200))  # order kept
    times = [t for _, t in first]
    assert times == sorted(times)
    assert len(set(t - i * 100_000 for i, t in first)) > 50  # jitter really varies


def test_bandwidth_occupies_the_link_in_order():
    loop, net = network(latency_ns=0, bandwidth=1000.0)  # 1000 bytes per second
    got = []
    net.send("a", "b", 500, lambda: got.append(("big", loop.now_ns)))
    net.send("a", "b", 100, lambda: got.append(("small", loop.now_ns)))
    net.send("b", "a", 100, lambda: got.append(("other way", loop.now_ns)))
    loop.run_until(lambda: len(got) == 3)
    assert got == [("other way", 100_000_000), ("big", 500_000_000), ("small", 600_000_000)]


def test_per_link_overrides_are_symmetric_and_keep_other_defaults():
    _, net = network(latency_ns=5, jitter_ns=1)
    net.configure("b", "a", latency_ns=99)
    assert net.link("a", "b").props.latency_ns == 99
    assert net.link("a", "b").props.jitter_ns == 1
    assert net.link("a", "c").props.latency_ns == 5


def test_cut_drops_messages_in_flight_and_later_ones():
    loop, net = network(latency_ns=10)
    got = []
    net.send("a", "b", 1, got.append, 1)
    dropped = net.cut("a", "b")
    _, arrival, _ = net.send("a", "b", 1, got.append, 2)
    assert arrival is None
    loop.run_until(lambda: False)
    assert got == [] and dropped == [(1,)]
    net.restore("a", "b")
    net.send("a", "b", 1, got.append, 3)
    loop.run_until(lambda: False)
    assert got == [3]


def test_loss_is_seeded():
    def lost(seed):
        loop = VirtualLoop()
        net = Network(loop, LinkProperties(loss=0.3), seed=seed)
        return [net.send("a", "b", 1, lambda: None)[1] is None for _ in range(100)]

    assert lost(5) == lost(5)
    assert 10 < sum(lost(5)) < 50
