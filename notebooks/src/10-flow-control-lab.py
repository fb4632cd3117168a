# %% [markdown]
# # 10. The flow-control lab
#
# Bytes of a stream sent over RPC flow under **flow control**: at most a *window* of bytes may be
# sent and not yet acknowledged, and the receiver acknowledges a chunk once it has read it. So
# a stream can never go faster than one window per round trip, nor faster than the link:
#
# $$\text{throughput} \approx \min\left(\text{bandwidth},\ \frac{\text{window}}{\text{RTT}}\right)$$
#
# The window at which both limits meet is the **bandwidth-delay product**,
# BDP = bandwidth × RTT: a smaller window wastes the link; a bigger one only adds memory in
# flight. This lab measures it. It draws its own diagrams and charts, so that sliders can redraw
# them.

# %%
# In JupyterLite (Pyodide) the sliders' package is installed first; elsewhere this does nothing.
import sys
if sys.platform == "emscripten":
    %pip install ipywidgets
from playground.viz.replay import require_ipywidgets
W = require_ipywidgets("This notebook's sliders")

# %%
from IPython.display import display
from playground.viz import with_static
import playground
from playground import Playground, WorkerEntrypoint, ReadableStream
from playground.viz.chart import Chart, Figure, Marker, Series

KiB, MiB = 1024, 1024 * 1024
CHUNK = 16 * KiB

class Reader(WorkerEntrypoint):
    async def consume(self, readable, pause=0.0):
        total = 0
        async for chunk in readable:          # each chunk is acknowledged once read
            total += len(chunk)
            if pause:
                await playground.sleep(pause)   # a slow reader
        return total

class Writer(WorkerEntrypoint):
    pass

def upload(*, window, bandwidth, latency_ms, total, pause=0.0):
    """Stream ``total`` bytes in 16 KiB chunks; returns the trace segment of the call."""
    play = Playground(latency=f"{latency_ms}ms", bandwidth=bandwidth, stream_window=window)
    play.worker("reader", Reader)
    play.worker("writer", Writer, services={"READER": "reader"})
    chunks = (bytes(CHUNK) for _ in range(total // CHUNK))
    with play.record() as rec:
        assert play.run(play.env("writer").READER.consume(ReadableStream.from_iterable(chunks), pause)) == total
    play.close()
    return rec

def law(window, bandwidth, latency_ms):
    """min(bandwidth, window / RTT), with RTT one chunk there and an acknowledgement back."""
    rtt = 2 * latency_ms / 1000 + CHUNK / bandwidth
    return min(bandwidth, max(window, CHUNK) / rtt)

def measured(window, bandwidth, latency_ms):
    """Throughput of a long upload (many windows, so the start weighs little), bytes/s."""
    total = max(4 * MiB, 32 * window) // CHUNK * CHUNK
    return total / upload(window=window, bandwidth=bandwidth, latency_ms=latency_ms, total=total).elapsed

# %% [markdown]
# ## One upload, drawn
#
# 512 KiB through a 64 KiB window, 20 ms one way, 10 MB/s. Under the arrows, the diagram draws the
# bytes in flight against the window: the writer fills it, stalls, and goes on as the
# acknowledgements come back.

# %%
rec = upload(window=64 * KiB, bandwidth=10e6, latency_ms=20, total=512 * KiB)
stalls = sum(1 for e in rec.stream_events if e.action == "stall")
print(f"{512 * KiB / rec.elapsed / 1e6:.2f} MB/s; the writer stalled {stalls} times")
rec

# %% [markdown]
# ## Throughput against the window
#
# Bandwidth 20 MB/s, 25 ms one way: the BDP is about 1 MB. Below it, throughput grows with the
# window (window-limited); above it, the link is full (bandwidth-limited). The dots are measured
# in the simulation; the dashed line is the law above.

# %%
def window_figure(bandwidth, latency_ms, window=None):
    windows = [16 * KiB * 2 ** k for k in range(0, 9)]       # 16 KiB ... 4 MiB
    windows = sorted(set(windows + ([window] if window else [])))
    rtt = 2 * latency_ms / 1000 + CHUNK / bandwidth
    bdp = bandwidth * rtt
    markers = [Marker(bdp / KiB, f"BDP {bdp / KiB:,.0f} KiB")]
    if window:
        markers.append(Marker(window / KiB, f"window {window // KiB} KiB", color="#2563eb"))
    chart = Chart(
        f"Throughput: {bandwidth / 1e6:g} MB/s link, {latency_ms} ms one way",
        [Series("measured", [(w / KiB, measured(w, bandwidth, latency_ms) / 1e6) for w in windows]),
         Series("min(bandwidth, window / RTT)", [(w / KiB, law(w, bandwidth, latency_ms) / 1e6) for w in windows],
                dashed=True, color="#6b7280")],
        x_label="window (KiB)", y_label="throughput (MB/s)", markers=markers, width=520)
    return Figure([chart])

window_figure(20e6, 25)

# %% [markdown]
# ## Explore
#
# Move the sliders: the chart is redrawn and the current window is marked. Try a long link
# (100 ms) with a small window, then widen the window until the line flattens at the
# bandwidth; or keep the window and lower the latency.

# %%
style = {"description_width": "initial"}
window_kib = W.SelectionSlider(options=[16, 32, 64, 128, 256, 512, 1024, 2048, 4096], value=256,
                               description="window (KiB)", continuous_update=False, style=style)
bandwidth_mb = W.IntSlider(value=20, min=1, max=100, description="bandwidth (MB/s)",
                           continuous_update=False, style=style)
latency_ms = W.IntSlider(value=25, min=1, max=100, description="latency (ms, one way)",
                         continuous_update=False, style=style)

def explore(window_kib, bandwidth_mb, latency_ms):
    window, bandwidth = window_kib * KiB, bandwidth_mb * 1e6
    got, limit = measured(window, bandwidth, latency_ms), law(window, bandwidth, latency_ms)
    bdp = bandwidth * (2 * latency_ms / 1000 + CHUNK / bandwidth)
    kind = "window-limited: a bigger window helps" if window < bdp else "bandwidth-limited: the link is full"
    print(f"measured {got / 1e6:.2f} MB/s, law {limit / 1e6:.2f} MB/s; BDP {bdp / KiB:,.0f} KiB; {kind}")
    display(window_figure(bandwidth, latency_ms, window))

# with_static: a saved copy of this notebook (GitHub, nbconvert) shows the chart as it was
with_static(W.interactive(explore, window_kib=window_kib, bandwidth_mb=bandwidth_mb, latency_ms=latency_ms),
            lambda: window_figure(bandwidth_mb.value * 1e6, latency_ms.value, window_kib.value * KiB))

# %% [markdown]
# ## A slow reader holds the writer back
#
# Acknowledgements are sent when the receiver *reads* a chunk, not when it arrives. A reader that
# needs 10 ms per 16 KiB chunk can take at most 1.6 MB/s, whatever the link: the window fills and
# the writer waits. Memory stays bounded by the window; nothing piles up.

# %%
slow = upload(window=64 * KiB, bandwidth=50e6, latency_ms=10, total=256 * KiB, pause=0.01)
fast = upload(window=64 * KiB, bandwidth=50e6, latency_ms=10, total=256 * KiB)
for name, r in (("fast reader", fast), ("slow reader", slow)):
    stalled = sum(e.at - e.since for e in r.stream_events if e.action == "stall")
    peak = max(e.in_flight for e in r.stream_events)
    print(f"{name}: {256 * KiB / r.elapsed / 1e6:4.2f} MB/s; the writer waited {stalled * 1000:3.0f} ms "
          f"of {r.elapsed * 1000:3.0f}; at most {peak // KiB} KiB in flight")
slow

# %% [markdown]
# ## The adaptive window
#
# Without `stream_window=`, the window adapts, as Cap'n Web's does: it starts at 256 KiB and
# grows while the bandwidth-delay product is not reached. On a long, fat link (100 MB/s, 50 ms
# one way: a BDP of 10 MB) it grows during the transfer; the trace records each change.

# %%
play = Playground(latency="50ms", bandwidth="100MB/s")
play.worker("reader", Reader)
play.worker("writer", Writer, services={"READER": "reader"})
with play.record() as adaptive:
    play.run(play.env("writer").READER.consume(
        ReadableStream.from_iterable(bytes(256 * KiB) for _ in range(256))))    # 64 MiB
play.close()
sizes = [(0.0, 256.0)] + [(e.at * 1000, e.size / KiB) for e in adaptive.stream_events if e.action == "window"]
print(f"64 MiB in {adaptive.elapsed * 1000:.0f} ms; the window grew from 256 KiB to "
      f"{max(size for _, size in sizes):,.0f} KiB")
Chart("The adaptive window during a 64 MiB upload", [Series("window", sizes)],
      x_label="virtual time (ms)", y_label="window (KiB)", width=520)

# %% [markdown]
# **In short:** a stream moves at most a window per round trip, and at most at the link's
# bandwidth; a slow reader slows the writer instead of filling memory. A window near the
# bandwidth-delay product gets the best of both.
