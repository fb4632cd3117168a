# %% [markdown]
# # 3. Class instances: `RpcTarget`
#
# To send an instance of your own class, the class must extend `RpcTarget`. Like a function, the
# object is not serialized: the receiver gets one stub, and every method call on it travels back
# to the object, where it was created.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget, Response

# %% [markdown]
# ## The documentation's counter
#
# JavaScript's `#value` is a private field. Python has no such thing; the playground treats names
# starting with `_` as private: they cannot be reached over RPC. `value` is a property.

# %%
class Counter(RpcTarget):
    def __init__(self):
        self._value = 0

    def increment(self, amount):
        self._value += amount
        return self._value

    @property
    def value(self):
        return self._value

class CounterService(WorkerEntrypoint):
    async def new_counter(self):
        return Counter()

class Default:                       # export default { fetch() { ... } }
    def fetch(self, request, env, ctx):
        return Response("ok")

play = Playground(latency="25ms")
play.worker("counter", Default, exports=[CounterService])
play.worker("client-worker", Default,
            services={"COUNTER_SERVICE": ("counter", "CounterService")})   # a named entrypoint
env = play.env("client-worker")

# %%
with await env.COUNTER_SERVICE.new_counter() as counter:
    print(await counter.increment(2))    # 2
    print(await counter.increment(1))    # 3
    print(await counter.increment(-5))   # -2
    print(await counter.value)           # -2: a property, fetched when awaited

# %% [markdown]
# ## Properties are fetched when awaited
#
# `counter.value` on its own sends nothing: it is a promise for the property. Awaiting it is what
# fetches it, like a method call with no arguments.

# %%
with await env.COUNTER_SERVICE.new_counter() as counter:
    with play.record() as rec:
        not_yet = counter.value
    print("before await:", len(rec.messages), "messages")
    print("value:", await not_yet)

# %% [markdown]
# ## Private stays private
#
# The stub refuses `_names` at once, with an `AttributeError` that says why (they are private to
# the worker) and how to expose the value (a public method or property); names the class does
# not have are refused by the other side, with the runtime's message.

# %%
with await env.COUNTER_SERVICE.new_counter() as counter:
    try:
        await counter._value
    except AttributeError as error:
        print("AttributeError:", error)
    try:
        await counter.reset()
    except TypeError as error:
        print(f"TypeError: {error} (remote={error.remote})")

# %% [markdown]
# ## Other classes cannot cross at all
#
# Structured clone would send a plain object's fields and lose its class; Workers RPC refuses it
# instead, to avoid the confusion.

# %%
class Settings:                      # not an RpcTarget
    theme = "dark"

class SettingsService(WorkerEntrypoint):
    def settings(self):
        return Settings()

play.worker("settings", SettingsService)
play.worker("reader", Default, services={"SETTINGS": "settings"})

try:
    await play.env("reader").SETTINGS.settings()
except TypeError as error:
    print(f"{type(error).__name__}: {error}")

# %% [markdown]
# ## One stub, or five
#
# An object holding five functions crosses as five stubs; an `RpcTarget` with five methods is one
# stub. And a plain object's other fields are copied when it is sent, not fetched later.
# `play.stubs()` lists the stubs alive right now.

# %%
class Toolbox(RpcTarget):
    def a(self): return 1
    def b(self): return 2
    def c(self): return 3
    def d(self): return 4
    def e(self): return 5

class Tools(WorkerEntrypoint):
    def as_dict(self):
        return {"a": lambda: 1, "b": lambda: 2, "c": lambda: 3, "d": lambda: 4, "e": lambda: 5,
                "label": "copied now"}
    def as_target(self):
        return Toolbox()

play.worker("tools", Tools)
play.worker("worker", Default, services={"TOOLS": "tools"})
tools = play.env("worker").TOOLS

async with tools.as_dict() as functions:
    print("a dict of functions:", len(play.stubs()), "stubs;", functions["label"])
async with tools.as_target() as toolbox:
    print("an RpcTarget:       ", len(play.stubs()), "stub;", await toolbox.e())

# %% [markdown]
# **In short:** an `RpcTarget` crosses by reference, as one stub; its class's methods and
# properties are reachable, its private state is not. Next: calling methods on a result that
# has not arrived yet.
