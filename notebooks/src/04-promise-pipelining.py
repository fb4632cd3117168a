# %% [markdown]
# # 4. Promise pipelining
#
# When a call returns an object, the next thing you usually do is call a method on it. Awaiting
# the object first costs a round trip for nothing: the only use of the answer is to send another
# message to where it came from. Workers RPC lets you call the method on the **promise** instead,
# before the object has arrived. Both calls leave together: one round trip.

# %%
%load_ext playground
import asyncio
from playground import DataCloneError, Playground, WorkerEntrypoint, RpcTarget

class Counter(RpcTarget):
    def __init__(self):
        self._n = 0
    def increment(self):
        self._n += 1
        return self._n

class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Counter()

class Client(WorkerEntrypoint):
    pass

play = Playground(latency="25ms")
play.worker("counter-service", CounterService)
play.worker("client", Client, services={"COUNTER_SERVICE": "counter-service"})
env = play.env("client")

# %% [markdown]
# ## Two round trips
#
# `await` the counter, then call it. The second call cannot leave before the first answer is
# back. The tip under the summary finds the line.

# %%
with await env.COUNTER_SERVICE.get_counter() as counter:
    await counter.increment()

# %% [markdown]
# ## One round trip: omit the first `await`
#
# `get_counter()` returns a promise for a counter. `increment()` on that promise is sent at once,
# addressed to "the result of call 1", which the service resolves when it gets there.

# %%
with env.COUNTER_SERVICE.get_counter() as promise_for_counter:
    await promise_for_counter.increment()

# %% [markdown]
# ## Longer chains cost no more
#
# Each link of a chain is addressed to the result of the one before: any length, one round trip.

# %%
class Node(RpcTarget):
    def __init__(self, depth):
        self._depth = depth
    def child(self):
        return Node(self._depth + 1)
    def depth(self):
        return self._depth

class Tree(WorkerEntrypoint):
    def root(self):
        return Node(0)

play.worker("tree", Tree)
play.worker("walker", Client, services={"TREE": "tree"})
tree = play.env("walker").TREE

with tree.root() as root, root.child() as a, a.child() as b, b.child() as c:
    print(await c.depth())

# %% [markdown]
# The awaited version of the same walk costs one round trip per step:

# %%
with await tree.root() as root, await root.child() as a, await a.child() as b, await b.child() as c:
    print(await c.depth())

# %% [markdown]
# ## Into properties and functions, too
#
# Pipelining reaches into whatever the result holds: here `foo()` returns a dict whose `bar`
# holds a function `baz`. `foo().bar.baz()` is one round trip.

# %%
class MyService(WorkerEntrypoint):
    async def foo(self):
        return {"bar": {"baz": lambda: "qux"}}

play.worker("my-service", MyService)
play.worker("caller", Client, services={"MY_SERVICE": "my-service"})

with play.env("caller").MY_SERVICE.foo() as foo:
    print(await foo.bar.baz())

# %% [markdown]
# ## A promise is not an argument
#
# Pipelining works on a promise, not through one: an `RpcPromise` cannot be *passed* to another
# call. Workers refuses it on the caller's side, before anything is sent, with a
# `DataCloneError` — and so does the playground. Await it first and pass the stub (here the
# account goes back to the bank that made it, which calls it where it lives: the second call
# costs one round trip).

# %%
class Account(RpcTarget):
    def __init__(self, owner):
        self._owner = owner
    def owner(self):
        return self._owner
    def balance(self):
        return 100

class Bank(WorkerEntrypoint):
    def open_account(self, owner):
        return Account(owner)
    async def describe(self, account):
        return f"{await account.owner()} has {await account.balance()}"

play.worker("bank", Bank)
play.worker("teller", Client, services={"BANK": "bank"})
bank = play.env("teller").BANK

with bank.open_account("Ada") as promise:
    try:
        await bank.describe(promise)
    except DataCloneError as error:
        print(type(error).__name__, error)

# %%
with await bank.open_account("Ada") as account:
    print(await bank.describe(account))

# %% [markdown]
# ## When the first call fails, the pipelined ones fail with it
#
# If the first call throws, every call pipelined on its result fails with the same exception.

# %%
class Accounts(WorkerEntrypoint):
    def get_account(self, name):
        raise KeyError(name)

play.worker("accounts", Accounts)
play.worker("front", Client, services={"ACCOUNTS": "accounts"})

with play.env("front").ACCOUNTS.get_account("nobody") as account:
    try:
        await account.balance()
    except KeyError as error:
        print(f"{type(error).__name__}: {error} (remote={error.remote})")

# %% [markdown]
# ## The advisor
#
# Every trace can point at awaits that only served to call one more method. `rec.advice()`
# lists them with the line and the round trips pipelining would save; the same tips appear under
# the diagrams.

# %%
with play.record() as rec:
    with await env.COUNTER_SERVICE.get_counter() as counter:
        await counter.increment()
for tip in rec.advice():
    print(tip)

# %% [markdown]
# **In short:** an RPC promise is also a stub. Calls on it are sent at once and run on the
# result when it exists, so a chain of calls costs one round trip. Notebook 09 measures the
# saving across latencies and shapes of code.
