# %% [markdown]
# # 2. Functions, by reference
#
# You can send a function over RPC. It is not serialized: the receiver gets a **stub**, and
# calling the stub makes an RPC *back* to where the function was made. Its code, and the
# variables it closes over, never leave home.

# %%
%load_ext playground
import asyncio
from playground import Playground, WorkerEntrypoint

# %% [markdown]
# ## Returning a function
#
# The documentation's counter service: `new_counter()` returns a closure over `value`.

# %%
class CounterService(WorkerEntrypoint):
    async def new_counter(self):
        value = 0
        def counter(increment=0):
            nonlocal value
            value += increment
            return value
        return counter

class ClientWorker(WorkerEntrypoint):
    pass

play = Playground(latency="25ms")
play.worker("counter-service", CounterService)
play.worker("client_worker", ClientWorker, services={"COUNTER_SERVICE": "counter-service"})
env = play.env("client_worker")

# %% [markdown]
# `f` is a stub (`using f = ...` in JavaScript, `with ... as f` here: it is disposed at the end
# of the block). Each `await f(...)` is a call back into `counter-service`, where `value` lives:
# four round trips in all, and the purple bar is `f`'s lifetime on the client's lane.

# %%
with await env.COUNTER_SERVICE.new_counter() as f:
    print(f)
    print(await f(2))     # 2
    print(await f(1))     # 3
    print(await f(-5))    # -2

# %% [markdown]
# Every call to `new_counter()` makes a new closure, with its own `value`, in `counter-service`:

# %%
with await env.COUNTER_SERVICE.new_counter() as f, await env.COUNTER_SERVICE.new_counter() as g:
    print(await f(10), await g(1), await f(10))

# %% [markdown]
# ## Sending a function as a parameter
#
# The other way round: the client sends a function, and the service calls it. The call to the
# callback flows from the service back to the client, so "client" and "server" stop meaning
# much. The documentation prefers **caller** and **callee**, for each call.

# %%
class Greeter(WorkerEntrypoint):
    async def greet(self, get_name):
        name = await get_name()          # a call back to whoever sent get_name
        return f"Hello, {name}!"

play.worker("greeter", Greeter)
play.worker("visitor", ClientWorker, services={"GREETER": "greeter"})

def my_name():
    return "Ada"                         # runs here, in the visitor

await play.env("visitor").GREETER.greet(my_name)

# %% [markdown]
# Read the diagram from the top: `greet(...)` goes to the greeter (round trip 1 starts); the
# greeter's call `my_name()` comes back to the visitor and its answer returns (round trip 2,
# nested inside the first); then the greeting comes home.
#
# ## A callback called many times
#
# A service that applies your function to a list. Called one at a time, each call back costs a
# round trip; gathered, they share one.

# %%
class Mapper(WorkerEntrypoint):
    async def map_in_turn(self, values, fn):
        return [await fn(v) for v in values]

    async def map_together(self, values, fn):
        return list(await asyncio.gather(*(fn(v) for v in values)))

play.worker("mapper", Mapper)
play.worker("app", ClientWorker, services={"MAPPER": "mapper"})
mapper = play.env("app").MAPPER

def square(x):
    return x * x

with play.record() as in_turn:
    print(await mapper.map_in_turn([1, 2, 3, 4], square))
print(in_turn.round_trips, "round trips,", in_turn.elapsed * 1000, "ms")

# %%
with play.record() as together:
    print(await mapper.map_together([1, 2, 3, 4], square))
print(together.round_trips, "round trips,", together.elapsed * 1000, "ms")

# %% [markdown]
# **In short:** functions cross by reference. The stub is a remote control: the code runs where
# it was written, with that place's state. Next, the same for whole objects.
