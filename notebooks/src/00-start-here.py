# %% [markdown]
# # Start here: Workers RPC, in a playground
#
# Cloudflare Workers can call each other's methods as if they were local functions: **RPC**,
# built into the runtime. This course runs that RPC system in one Python process, on a simulated
# network, in **virtual time**: a call that would take 50 ms over the network returns at once,
# and reports exactly 50 ms.
#
# Load the playground's notebook extension first. From now on, every cell that makes RPC calls
# draws them under itself.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget, dispose

# %% [markdown]
# ## Two workers
#
# Worker B offers a method, `add`. Worker A declares a **service binding** to B named
# `WORKER_B`: that binding is all A knows about B. The network between them has a one-way latency
# of 25 ms.

# %%
class WorkerB(WorkerEntrypoint):
    def add(self, a, b):
        return a + b

class WorkerA(WorkerEntrypoint):
    pass

play = Playground(latency="25ms")
play.worker("worker_b", WorkerB)
play.worker("worker_a", WorkerA, services={"WORKER_B": "worker_b"})

env = play.env("worker_a")     # we act as worker A
env.WORKER_B

# %% [markdown]
# ## What a stub is
#
# `env.WORKER_B` is a **stub**: a local stand-in for worker B. It has no code of B's. Calling a
# method on it sends a message across the network to B, which runs the method and sends the
# result back. The call returns a promise at once; `await` waits for the answer. Under the cell
# appears the diagram of what happened on the network.

# %%
promise = env.WORKER_B.add(1, 2)   # sent now
print(repr(promise))               # a promise: nothing has come back yet
await promise                      # wait for the answer

# %% [markdown]
# ## Reading the diagram
#
# * **One lane per worker**, named at the top; here `worker_a` (the caller) and `worker_b`.
# * **Time flows down** on one linear scale, in milliseconds of virtual time on the left: equal
#   distances are equal times, so you can read latencies off it.
# * **Each arrow is one message**, sloped by the latency it took: `add(1, 2)` goes from A to B;
#   `pull` asks for the result; `resolve 3` brings it back; `release` tells B it may forget it.
#   The release arrives after the end (the line at 50 ms): bookkeeping, `(not counted)`.
# * **Round trips** are numbered on the caller's lane. Here: one, 50 ms.
# * The **summary line** at the top counts round trips, virtual time, calls and messages.
#
# Every call is asynchronous, even though `add` is a plain method on B's side.

# %% [markdown]
# ## A stub to an object
#
# A method can return an object that stays where it was made: a class extending `RpcTarget`.
# The caller gets a stub to it, and each method call on that stub travels back to it. Stubs hold
# the remote object alive, so dispose of them: `with` does it at the end of the block.

# %%
class Counter(RpcTarget):
    def __init__(self):
        self._value = 0            # private: unreachable over RPC
    def increment(self, by=1):
        self._value += by
        return self._value

class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Counter()

play.worker("counter-service", CounterService)
play.worker("app", WorkerA, services={"COUNTER": "counter-service"})
app = play.env("app")

with await app.COUNTER.get_counter() as counter:
    print(await counter.increment(5))

# %% [markdown]
# Two calls, two round trips: `get_counter()` had to come back before `increment` could be
# sent, because it was awaited. The purple bar on `app`'s lane is the stub's lifetime, from the
# moment it arrived to its disposal at the end of the `with` block. The tip under the summary
# points at the `await` that could go: that is promise pipelining, notebook 04.

# %% [markdown]
# ## Measuring a piece of code
#
# `play.record()` captures the events of a block. The segment knows what it cost, and it draws
# itself when it is a cell's value.

# %%
with play.record() as rec:
    await env.WORKER_B.add(20, 22)
print(rec.round_trips, "round trip,", rec.elapsed * 1000, "ms of virtual time,", len(rec.messages), "messages")

# %% [markdown]
# ## Watching it live
#
# Virtual time normally jumps. `pace=` ties it to the wall clock, here 20 wall seconds per
# virtual second, so one 50 ms round trip takes a second to watch: the arrows grow while the
# cell runs.

# %%
slow = Playground(latency="25ms", pace=20)
slow.worker("worker_b", WorkerB)
slow.worker("worker_a", WorkerA, services={"WORKER_B": "worker_b"})
slow_b = slow.env("worker_a").WORKER_B

total = 0
for n in range(1, 4):
    total = await slow_b.add(total, n)
total

# %% [markdown]
# ## Where next
#
# One notebook per part of Cloudflare's RPC documentation, then four labs:
#
# 1. `01-calls-and-async`: every call is asynchronous; what can cross.
# 2. `02-functions-by-reference`: functions become stubs; calling back.
# 3. `03-rpctarget-classes`: objects by reference, methods and properties.
# 4. `04-promise-pipelining`: fewer round trips by not awaiting.
# 5. `05-streams-request-response`: bytes with flow control.
# 6. `06-forwarding-stubs`: three workers, one stub passed along.
# 7. `07-lifecycle-and-disposal`: who owns a stub, and leaks made visible.
# 8. `08-size-limit`: 32 MiB, and the way around it.
# 9. `09-pipelining-explorer`, `10-flow-control-lab`, `11-faults-lab`,
#    `12-capability-patterns`.
