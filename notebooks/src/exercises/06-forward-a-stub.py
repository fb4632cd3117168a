# %% [markdown]
# # Exercise 6: forward a stub through three workers
#
# The introducer holds a counter that lives in `counter-service`, and asks `auditor` (which has
# no binding to `counter-service`) to increment it three times. As written, the counter that
# `counter-service` holds never changes: the auditor increments something else. Make the
# auditor's calls reach the counter in `counter-service`.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget
from playground.exercises import check_6

# %%
class Counter(RpcTarget):
    def __init__(self):
        self._n = 0
    def increment(self, by):
        self._n += by
        return self._n

class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Counter()

class Auditor(WorkerEntrypoint):
    async def audit(self, counter):
        return [await counter.increment(1) for _ in range(3)]

play = Playground(latency="25ms")
play.worker("counter-service", CounterService)
play.worker("auditor", Auditor)
play.worker("introducer", WorkerEntrypoint, services={
    "COUNTER_SERVICE": "counter-service", "AUDITOR": "auditor"})
env = play.env("introducer")

with await env.COUNTER_SERVICE.get_counter() as counter:
    print("audited:", await env.AUDITOR.audit(Counter()))
    print("counter-service's counter:", await counter.increment(0))

# %%
check_6(play)
