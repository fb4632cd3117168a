# %% [markdown]
# # 9. The pipelining savings explorer
#
# The same calls, written two ways:
#
# * **awaited**: every call is awaited before the next is made, the way code is often first
#   written;
# * **pipelined**: no `await` until the end; each call is made on the promise of the one before,
#   and the last calls are sent together.
#
# The code walks a chain of objects (`root().child().child()...`, **chain length** calls) and then
# asks the last object for several values (**fan-out** calls). Move the sliders to see what each
# form costs in round trips and in virtual time, at any **latency**.
#
# This notebook draws its diagrams itself (it does not load the extension), so that the sliders
# can redraw them.

# %%
# In JupyterLite (Pyodide) the sliders' package is installed first; elsewhere this does nothing.
import sys
if sys.platform == "emscripten":
    %pip install ipywidgets
from playground.viz.replay import require_ipywidgets
W = require_ipywidgets("This notebook's sliders")

# %%
import asyncio
from IPython.display import HTML, display
from playground import Playground, WorkerEntrypoint, RpcTarget, dispose
from playground.viz import with_static
from playground.viz.chart import Chart, Figure, Marker, Series

# %%
class Node(RpcTarget):
    def __init__(self, depth):
        self._depth = depth
    def child(self):
        return Node(self._depth + 1)
    def value(self, i):
        return f"node {self._depth}, value {i}"

class Tree(WorkerEntrypoint):
    def root(self):
        return Node(0)

class App(WorkerEntrypoint):
    pass

async def awaited(tree, chain, fanout):
    """Every call awaited before the next is made."""
    node = await tree.root()
    held = [node]
    for _ in range(chain - 1):
        node = await node.child()
        held.append(node)
    values = [await node.value(i) for i in range(fanout)]
    dispose(held)
    return values

async def pipelined(tree, chain, fanout):
    """The same calls, made on promises, awaited together at the end."""
    node = tree.root()
    held = [node]
    for _ in range(chain - 1):
        node = node.child()
        held.append(node)
    values = await asyncio.gather(*(node.value(i) for i in range(fanout)))
    dispose(held)
    return values

def measure(form, latency_ms, chain, fanout):
    """Run one form in a fresh playground; return its trace segment."""
    play = Playground(latency=f"{latency_ms}ms")
    play.worker("tree", Tree)
    play.worker("app", App, services={"TREE": "tree"})
    with play.record() as rec:
        values = play.run(form(play.env("app").TREE, chain, fanout))
    assert len(values) == fanout
    play.close()
    return rec

# %% [markdown]
# ## The two forms side by side
#
# Chain length 3, fan-out 2, 25 ms one way. Awaited: one round trip per call. Pipelined: one
# round trip in all. The summary line of the pipelined diagram says what it would have cost
# without pipelining.

# %%
def side_by_side(latency_ms, chain, fanout):
    a = measure(awaited, latency_ms, chain, fanout)
    p = measure(pipelined, latency_ms, chain, fanout)
    return a, p, HTML(
        '<div style="display:flex;flex-wrap:wrap;gap:12px">'
        f'<div><b>awaited</b><br>{a.to_html()}</div><div><b>pipelined</b><br>{p.to_html()}</div></div>')

a, p, both = side_by_side(25, 3, 2)
print(f"awaited:   {a.round_trips} round trips, {a.elapsed * 1000:g} ms, {len(a.messages)} messages")
print(f"pipelined: {p.round_trips} round trip,  {p.elapsed * 1000:g} ms, {len(p.messages)} messages")
both

# %% [markdown]
# ## Against latency: the figure for a slide
#
# Round trips are a property of the *code*: they do not change with latency. Virtual time is
# round trips × 2 × latency, so the awaited form's line is steeper, by as many times as it has
# round trips more.

# %%
LATENCIES = list(range(0, 101, 10))

def figure(chain, fanout, latency_ms=None):
    rows = [(ms, measure(awaited, ms, chain, fanout), measure(pipelined, ms, chain, fanout))
            for ms in LATENCIES]
    markers = [Marker(latency_ms, f"{latency_ms} ms")] if latency_ms is not None else []
    time_chart = Chart(
        f"Virtual time (chain {chain}, fan-out {fanout})",
        [Series("awaited", [(ms, a.elapsed * 1000) for ms, a, _ in rows]),
         Series("pipelined", [(ms, p.elapsed * 1000) for ms, _, p in rows], dashed=True)],
        x_label="one-way latency (ms)", y_label="virtual time (ms)", markers=markers)
    trips_chart = Chart(
        "Round trips",
        [Series("awaited", [(ms, a.round_trips) for ms, a, _ in rows]),
         Series("pipelined", [(ms, p.round_trips) for ms, _, p in rows], dashed=True)],
        x_label="one-way latency (ms)", y_label="round trips", markers=markers)
    return Figure([time_chart, trips_chart])

figure(chain=3, fanout=2, latency_ms=25)

# %% [markdown]
# ## Explore
#
# Move a slider: the numbers, the chart and both diagrams are redrawn. Things to try:
#
# * Chain length 1 and fan-out 1: a single call. Nothing to pipeline; both forms cost the same.
# * Raise the chain length: each link costs the awaited form one more round trip, the pipelined
#   form nothing.
# * Raise the fan-out: the awaited form pays a round trip per value. The pipelined form sends
#   them together: strictly, that part of the saving comes from *not waiting* between independent
#   calls (`asyncio.gather`), the chain part from pipelining proper.
# * Latency 0: both take no time at all, yet the round trips stay. On a real network, latency is
#   never 0.

# %%
latency = W.IntSlider(value=25, min=0, max=100, step=5, description="latency (ms)",
                      continuous_update=False, style={"description_width": "initial"})
chain = W.IntSlider(value=3, min=1, max=8, description="chain length", continuous_update=False,
                    style={"description_width": "initial"})
fanout = W.IntSlider(value=2, min=1, max=8, description="fan-out", continuous_update=False,
                     style={"description_width": "initial"})

def explore(latency, chain, fanout):
    a, p, both = side_by_side(latency, chain, fanout)
    saved = a.round_trips - p.round_trips
    print(f"awaited:   {a.round_trips:2d} round trips  {a.elapsed * 1000:7.1f} ms  {len(a.messages):3d} messages")
    print(f"pipelined: {p.round_trips:2d} round trips  {p.elapsed * 1000:7.1f} ms  {len(p.messages):3d} messages")
    print(f"saved:     {saved:2d} round trips  {(a.elapsed - p.elapsed) * 1000:7.1f} ms")
    display(figure(chain, fanout, latency))
    display(both)

# with_static: a saved copy of this notebook (GitHub, nbconvert) shows the figures as they were
def now():
    a, p, both = side_by_side(latency.value, chain.value, fanout.value)
    return [figure(chain.value, fanout.value, latency.value), both]

explorer = with_static(W.interactive(explore, latency=latency, chain=chain, fanout=fanout), now)
explorer

# %% [markdown]
# **In short:** every call you await before making the next costs a round trip; pipelining and
# sending independent calls together remove them. The saving grows with the length of the chain
# and with the latency: far away (another continent, a Durable Object on the other side of the
# world) is where it matters most.
