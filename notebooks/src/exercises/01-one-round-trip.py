# %% [markdown]
# # Exercise 1: make this chain one round trip
#
# The client asks `counter-service` for a counter, then increments it. As written, that takes
# **two** round trips (100 ms). Change the code so that it takes **one**, and still prints `1`.
# Run the cell after each change (it makes a fresh playground), then run the check.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget
from playground.exercises import check_1

# %%
class Counter(RpcTarget):
    def __init__(self):
        self._n = 0
    def increment(self):
        self._n += 1
        return self._n

class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Counter()

play = Playground(latency="25ms")
play.worker("counter-service", CounterService)
play.worker("client", WorkerEntrypoint, services={"COUNTER_SERVICE": "counter-service"})
env = play.env("client")

with await env.COUNTER_SERVICE.get_counter() as counter:
    print(await counter.increment())

# %%
check_1(play)
