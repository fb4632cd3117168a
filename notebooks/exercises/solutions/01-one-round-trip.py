# Solution to exercise 01-one-round-trip (notebooks/exercises/01-one-round-trip.ipynb): its exercise cell, fixed.
# Call `increment()` on the promise: both calls leave together (pipelining).

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

with env.COUNTER_SERVICE.get_counter() as counter:   # no await: a promise
    print(await counter.increment())                # sent with get_counter(), addressed to its result
