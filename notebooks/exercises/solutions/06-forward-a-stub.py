# Solution to exercise 06-forward-a-stub (notebooks/exercises/06-forward-a-stub.ipynb): its exercise cell, fixed.
# Pass the stub from `get_counter()`: the auditor's calls go through the introducer to counter-service.

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
    print("audited:", await env.AUDITOR.audit(counter))      # forward the stub itself
    print("counter-service's counter:", await counter.increment(0))
