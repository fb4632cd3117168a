# %% [markdown]
# # 1. Calls, and `async` everywhere
#
# The first part of Cloudflare's RPC page: worker B defines a method, worker A declares a
# **service binding** to B and calls the method as if it were local. This notebook follows it,
# then looks at what the page says next: *all calls are asynchronous*, and what values can cross.

# %%
%load_ext playground
import asyncio
import playground
from playground import Playground, WorkerEntrypoint, Response, RpcPromise

# %% [markdown]
# ## The example from the documentation
#
# Worker B answers HTTP requests (`fetch`) and offers `add(a, b)`. Worker A's `fetch` calls
# `add` through its binding `WORKER_B`. In wrangler's terms, A's configuration has
# `services = [{ binding = "WORKER_B", service = "worker_b" }]`; here it is `services=`.

# %%
class WorkerB(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("Hello from Worker B")

    def add(self, a, b):
        return a + b

class WorkerA(WorkerEntrypoint):
    async def fetch(self, request):
        result = await self.env.WORKER_B.add(1, 2)
        return Response(f"Result: {result}")

play = Playground(latency="25ms")
play.worker("worker_b", WorkerB)
play.worker("worker_a", WorkerA, services={"WORKER_B": "worker_b"})

# %% [markdown]
# A visitor on the Internet sends an HTTP request to worker A. `play.fetch` plays that visitor:
# a third lane, `internet`, appears in the diagram. The request reaches A (round trip 1), A calls
# B over RPC (round trip 2, inside the first), and the response comes back.

# %%
response = await play.fetch("worker_a", "https://worker-a.example/")
await response.text()

# %% [markdown]
# ## All calls are asynchronous
#
# `add` is a plain method on B's side, yet on A's side the call returns at once with an
# `RpcPromise`: the answer has to travel back over the network. You must `await` it.
#
# (In JavaScript the page says the result is a "custom thenable", not a real `Promise`. In
# Python it is an awaitable that is not a coroutine, for the same reason: it can also be used as
# a stub. Notebook 04 shows why.)

# %%
env = play.env("worker_a")          # act as worker A from this notebook
pending = env.WORKER_B.add(2, 3)
print(type(pending).__name__, isinstance(pending, RpcPromise))
await pending

# %% [markdown]
# ## One after the other, or together
#
# Each `await` waits for its answer before the next call is sent: two calls, two round trips.

# %%
first = await env.WORKER_B.add(1, 2)
second = await env.WORKER_B.add(3, 4)
first, second

# %% [markdown]
# Calls that do not depend on each other can be sent together and awaited together, with
# `asyncio.gather`: both leave in the same flight, one round trip.

# %%
await asyncio.gather(env.WORKER_B.add(1, 2), env.WORKER_B.add(3, 4))

# %% [markdown]
# ## Work takes time too
#
# Inside a worker, `await playground.sleep(seconds)` waits in virtual time, as real work or a
# slow storage read would. The diagram shows the gap on B's lane between the call arriving and
# the answer leaving: 50 ms of network, plus 100 ms of work.

# %%
class SlowB(WorkerEntrypoint):
    async def add(self, a, b):
        await playground.sleep(0.1)      # 100 ms of virtual work
        return a + b

play.worker("slow_b", SlowB)
play.worker("worker_c", WorkerA, services={"SLOW": "slow_b"})
await play.env("worker_c").SLOW.add(40, 2)

# %% [markdown]
# ## What can cross
#
# Arguments and results are *copied*: encoded to bytes on one side, decoded on the other. Lists,
# dicts, strings, numbers, bytes, dates and more cross (the full table is `docs/values.md`).
# The other side gets its own copy: changing it changes nothing here.

# %%
import datetime

class Echo(WorkerEntrypoint):
    def change(self, data):
        data["items"].append("added by B")
        return data

play.worker("echo", Echo)
play.worker("worker_d", WorkerA, services={"ECHO": "echo"})
echo = play.env("worker_d").ECHO

mine = {"items": ["a", "b"], "when": datetime.date(2024, 4, 3), "raw": b"\x00\x01"}
theirs = await echo.change(mine)
print("mine:  ", mine["items"])
print("theirs:", theirs["items"], theirs["when"], theirs["raw"])

# %% [markdown]
# Instances of your own classes do **not** cross, unless the class extends `RpcTarget`
# (notebook 03). The runtime refuses them rather than send their fields as a bare dict:

# %%
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

try:
    await echo.change(Point(1, 2))
except TypeError as error:
    print(type(error).__name__ + ":", error)

# %% [markdown]
# ## Errors cross too
#
# An exception raised on the other side arrives as the same built-in type with the same message,
# marked `remote = True`. Your own exception classes arrive as `RemoteError`, with their name.

# %%
class Strict(WorkerEntrypoint):
    def divide(self, a, b):
        return a / b

play.worker("strict", Strict)
play.worker("worker_e", WorkerA, services={"STRICT": "strict"})

try:
    await play.env("worker_e").STRICT.divide(1, 0)
except ZeroDivisionError as error:
    print(f"{type(error).__name__}: {error} (remote={error.remote})")

# %% [markdown]
# **In short:** a binding is a stub for another worker; calling a method on it sends a message
# and returns a promise; `await` waits one round trip for the answer; independent calls can
# share a round trip. Next: what happens when the value crossing is a *function*.
