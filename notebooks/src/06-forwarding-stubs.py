# %% [markdown]
# # 6. Forwarding stubs between three workers
#
# A stub received from one worker can be passed to another. Three workers are involved:
#
# 1. the calling worker, the **introducer**;
# 2. `COUNTER_SERVICE`, where the counter lives;
# 3. `ANOTHER_SERVICE`, which receives the stub and calls it.
#
# `ANOTHER_SERVICE` has no binding to the counter service. Its calls on the stub are proxied
# **through the introducer**: the introducer connects two workers that could not otherwise reach
# each other.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget

class Counter(RpcTarget):
    def __init__(self):
        self._n = 0
    def increment(self, by):
        self._n += by
        return self._n

class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Counter()

class AnotherService(WorkerEntrypoint):
    async def use_counter(self, counter):
        return await counter.increment(5)

class Introducer(WorkerEntrypoint):
    pass

play = Playground(latency="25ms")
play.worker("counter-service", CounterService)
play.worker("another-service", AnotherService)
play.worker("introducer", Introducer, services={
    "COUNTER_SERVICE": "counter-service", "ANOTHER_SERVICE": "another-service"})
env = play.env("introducer")

# %% [markdown]
# ## The documentation's example
#
# The counter is awaited first (a promise cannot be passed as an argument: that is a
# `DataCloneError`), then its stub is forwarded. Follow the arrows: `increment(5)` leaves
# `another-service`, reaches the introducer, and goes on to `counter-service`; the answer takes
# the same path back.

# %%
with await env.COUNTER_SERVICE.get_counter() as counter:
    print(await env.ANOTHER_SERVICE.use_counter(counter))

# %% [markdown]
# ## Every call takes two hops each way
#
# A service that uses the stub three times pays for the detour three times. The counter itself
# stays where it was made: all three increments land on the same `Counter`.

# %%
class BusyService(WorkerEntrypoint):
    async def use_counter(self, counter):
        return [await counter.increment(1) for _ in range(3)]

play.worker("busy-service", BusyService)
play.worker("introducer-2", Introducer, services={
    "COUNTER_SERVICE": "counter-service", "BUSY": "busy-service"})
env2 = play.env("introducer-2")

with await env2.COUNTER_SERVICE.get_counter() as counter:
    with play.record() as rec:
        print(await env2.BUSY.use_counter(counter))
hops = [m for m in rec.messages if m.kind.value == "push"]
print("calls sent:", len(hops), "— through:", sorted({(m.sender, m.receiver) for m in hops}))

# %% [markdown]
# ## Proxying does not outlive the execution context
#
# The documentation: *"this proxying only lasts until the end of the Workers' execution
# contexts. A proxy connection cannot be persisted for later use."* Here a service keeps a copy
# of the stub (`dup()`) in a global, to use it in a later request. When its request ends, the
# runtime releases what its context still held, with a warning, and the later call fails.

# %%
kept = {}

class HoardingService(WorkerEntrypoint):
    async def use_counter(self, counter):
        kept["counter"] = counter.dup()      # try to keep it past this request
        return await counter.increment(1)

    async def use_it_later(self):
        return await kept["counter"].increment(1)

play.worker("hoarding-service", HoardingService)
play.worker("introducer-3", Introducer, services={
    "COUNTER_SERVICE": "counter-service", "HOARDER": "hoarding-service"})
env3 = play.env("introducer-3")

with await env3.COUNTER_SERVICE.get_counter() as counter:
    print("first request:", await env3.HOARDER.use_counter(counter))
await play.idle()     # let everything pending happen: the request's context ends

# %%
try:
    await env3.HOARDER.use_it_later()
except Exception as error:
    print(f"later request: {type(error).__name__}: {error}")

# %% [markdown]
# **In short:** stubs can be handed on; calls on a forwarded stub travel through the introducer,
# for as long as the execution contexts involved last. Notebook 12 uses this to build
# capabilities: a worker can reach only what it was handed.
