# Solution to exercise 02-find-the-leak (notebooks/exercises/02-find-the-leak.ipynb): its exercise cell, fixed.
# Dispose of each greeter: `with ... as greeter:` (or `greeter.dispose()` when done).

class Greeter(RpcTarget):
    def __init__(self, name):
        self._name = name
    def greet(self):
        return f"Hello, {self._name}!"

class Greeters(WorkerEntrypoint):
    def greeter(self, name):
        return Greeter(name)

play = Playground(latency="25ms")
play.worker("greeters", Greeters)
play.worker("client", WorkerEntrypoint, services={"GREETERS": "greeters"})
env = play.env("client")

for name in ["Ada", "Grace", "Linus"]:
    with await env.GREETERS.greeter(name) as greeter:   # disposed at the end of the block
        print(await greeter.greet())
