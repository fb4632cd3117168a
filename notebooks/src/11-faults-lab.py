# %% [markdown]
# # 11. The faults lab
#
# Networks fail and processes crash. In Workers, a call across a broken connection fails with
# `Network connection lost.`, marked `retryable`; it never hangs. This lab breaks things on
# purpose: a link cut in the middle of a call, a crash, a Durable Object that loses its memory but
# keeps its storage, and a lossy link. The diagrams mark cuts and crashes across the lanes.

# %%
%load_ext playground
import asyncio
import playground
from playground import (Playground, WorkerEntrypoint, RpcTarget, DurableObject, ConnectionLost,
                        RpcError, dispose)

class Session(RpcTarget):
    def __init__(self, name):
        self._name = name
    def ping(self):
        return f"pong from {self._name}"
    def __dispose__(self):
        print(f"    [service] session {self._name} released")

class Service(WorkerEntrypoint):
    def open(self, name):
        return Session(name)
    async def slow(self, seconds):
        await playground.sleep(seconds)       # a long piece of work
        return "slow done"
    def add(self, a, b):
        return a + b

class Client(WorkerEntrypoint):
    pass

play = Playground(latency="10ms")
play.worker("service", Service)
play.worker("client", Client, services={"S": "service"})
env = play.env("client")

# %% [markdown]
# ## Cutting a link in the middle of a call
#
# The client holds a session stub and starts a call that takes 200 ms of work. After 50 ms, the
# link between the two workers is cut. The call in flight fails; so does a new call, and so does
# the session stub: everything that depended on the connection.

# %%
session = await env.S.open("one")
in_flight = asyncio.ensure_future(env.S.slow(0.2))
await playground.sleep(0.05)
play.disconnect("client", "service")

for name, attempt in (("call in flight", in_flight), ("new call", env.S.add(1, 2)),
                      ("session stub", session.ping())):
    try:
        await attempt
    except ConnectionLost as error:
        print(f"{name}: {type(error).__name__}: {error} (retryable={error.retryable})")
await play.idle()

# %% [markdown]
# **What was released:** the service's side of the connection is gone too, so it released what
# it had exported to the client: the session's `__dispose__` ran there (above). Here, the broken
# stub still has to be disposed, like any stub:

# %%
dispose(session)
play.leaks()

# %% [markdown]
# ## Reconnecting
#
# `play.reconnect` restores the link. New calls go through; stubs broken by the cut stay broken:
# a `retryable` error means *retry from the binding*, getting fresh stubs.

# %%
play.reconnect("client", "service")

async def ping_with_retry(name, attempts=3):
    for attempt in range(1, attempts + 1):
        try:
            with await env.S.open(name) as fresh:
                return await fresh.ping(), attempt
        except ConnectionLost as error:
            if not error.retryable or attempt == attempts:
                raise

await ping_with_retry("two")

# %% [markdown]
# ## A crash
#
# `play.crash(name)` crashes a worker: its execution contexts end, calls into it fail, stubs to
# its objects break. It starts again on the next call.

# %%
pending = asyncio.ensure_future(env.S.slow(0.2))
await playground.sleep(0.05)
play.crash("service")
try:
    await pending
except ConnectionLost as error:
    print("pending call:", error)
print("after the crash:", await env.S.add(20, 22))

# %% [markdown]
# ## A Durable Object crashes: memory lost, storage kept
#
# A Durable Object keeps fields in memory and can persist values in `ctx.storage`. A crash
# loses the first, never the second. The stub to the object breaks; get a new one from the
# namespace, and the object is rebuilt from its storage.

# %%
class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.visits_in_memory = 0
    async def visit(self):
        self.visits_in_memory += 1
        total = (await self.ctx.storage.get("visits") or 0) + 1
        await self.ctx.storage.put("visits", total)
        return {"in memory": self.visits_in_memory, "in storage": total}

class Lobby(WorkerEntrypoint):
    pass

rooms = Playground(latency="10ms")
rooms.worker("rooms", Lobby, exports=[Room], durable_objects={"ROOM": "Room"})
rooms.worker("app", Lobby, durable_objects={"ROOM": ("rooms", "Room")})  # worker first, as in services=
ns = rooms.env("app").ROOM
room = ns.get(ns.id_from_name("lobby"))
for _ in range(3):
    print(await room.visit())

# %%
rooms.crash("rooms")
try:
    await room.visit()
except ConnectionLost as error:
    print("the old stub:", error)
dispose(room)

room = ns.get(ns.id_from_name("lobby"))
print("a new stub:  ", await room.visit())
dispose(room)

# %% [markdown]
# ## A lossy link
#
# With `loss=`, messages are dropped at random (seeded, so the run repeats exactly). The runtime
# answers each affected call with a clear error instead of waiting forever.

# %%
lossy = Playground(latency="10ms", seed=7)
lossy.worker("service", Service)
lossy.worker("client", Client, services={"S": "service"})
lossy.link("client", "service", loss=0.2)
calls = lossy.env("client").S

outcomes = []
for i in range(10):
    try:
        outcomes.append(await calls.add(i, i))
    except ConnectionLost:
        outcomes.append("lost")
outcomes

# %% [markdown]
# **In short:** what depends on a broken connection fails at once and says so, with
# `retryable = True`; what the other side had exported is released; nothing hangs. Durable
# Objects keep what they stored. Retry from the binding, with fresh stubs.
