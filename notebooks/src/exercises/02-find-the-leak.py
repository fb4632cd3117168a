# %% [markdown]
# # Exercise 2: find and fix the leak
#
# The client greets three people, each through a greeter object made by `greeters`. It works,
# but it leaks: the service has to keep every greeter alive until the client's execution context
# ends. Dispose of each greeter when you are done with it.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget
from playground.exercises import check_2

# %%
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
    greeter = await env.GREETERS.greeter(name)
    print(await greeter.greet())

# %%
check_2(play)
