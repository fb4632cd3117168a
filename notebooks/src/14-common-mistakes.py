# %% [markdown]
# # 14. Common mistakes, and what the playground says about them
#
# Everyone makes these. Each cell below makes one on purpose, and shows the help you get: the
# runtime's own words first (what workerd would say), then what to do about it. Run them, read
# the messages, then fix the cell.

# %%
%load_ext playground
import asyncio
import warnings
from playground import (
    Playground, WorkerEntrypoint, RpcTarget, RpcError, ConnectionLost, DataCloneError,
    IdentityTransformStream, dispose,
)

class Counter(RpcTarget):
    def __init__(self):
        self._value = 0
    def increment(self, by=1):
        self._value += by
        return self._value

class Node(RpcTarget):
    def __init__(self, depth=0):
        self._depth = depth
    def next(self):
        return Node(self._depth + 1)
    def depth(self):
        return self._depth

class Service(WorkerEntrypoint):
    def add(self, a, b):
        return a + b
    def get_counter(self):
        return Counter()
    def root(self):
        return Node()
    def echo(self, value):
        return value
    async def wait_for_news(self):
        await asyncio.Event().wait()       # nothing will ever set it
    def numbers(self):
        stream = IdentityTransformStream()
        writer = stream.writable.get_writer()
        async def produce():
            await writer.write(b"1, 2, 3")
            # forgot: await writer.close()
        self.ctx.wait_until(produce())
        return stream.readable

play = Playground(latency="25ms")
play.worker("service", Service)
play.worker("app", Service, services={"S": "service"})
env = play.env("app")

# %% [markdown]
# ## 1. A forgotten `await`
#
# A call returns a **promise** at once; the value comes back only when you `await` it. Using the
# promise as if it were the value is the most common mistake of all. The playground refuses
# arithmetic, comparison, `if`, `len`, iteration and formatting on a promise, and says so:

# %%
total = env.S.add(1, 2)          # forgot `await`
try:
    total + 1
except TypeError as error:
    print("TypeError:", error)
dispose(total)

# %% [markdown]
# `==` does not raise (Python compares things in many places), but warns: `r == 3` on a promise
# is always False.

# %%
r = env.S.add(1, 2)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(r == 3)
print(caught[0].message)
dispose(r)

# %% [markdown]
# And a call that is never awaited at all: the message leaves, the other side runs the method,
# but nobody asks for the result, so it never comes back. The diagram says so ("sent, never
# awaited"), counts **0 round trips**, and counts the promise as a leak, since its result is
# held on the other side until you dispose of it.

# %%
forgot = env.S.add(1, 2)

# %%
dispose(forgot)                  # the fix: `await env.S.add(1, 2)` (or dispose what you don't need)

# %% [markdown]
# ## 2. A misspelled method
#
# The runtime says the method does not exist; the playground adds the closest name it has.

# %%
try:
    await env.S.ad(1, 2)
except Exception as error:
    print(f"{type(error).__name__}: {error}")

# %% [markdown]
# ## 3. Passing something that cannot cross
#
# Arguments are copied to the other side (structured clone). A plain object of your own class
# cannot be: pass a dict, make the class an `RpcTarget` (it then crosses as a stub), or pass a
# function (it crosses by reference).

# %%
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

try:
    await env.S.echo(Point(1, 2))
except DataCloneError as error:
    print("DataCloneError:", error)

# %% [markdown]
# ## 4. A stub used after it was disposed
#
# `with` disposes the stub at the end of the block. Using it afterwards fails, and the message
# says where it was disposed.

# %%
with await env.S.get_counter() as counter:
    await counter.increment()
try:
    await counter.increment()
except RpcError as error:
    print("RpcError:", error)

# %% [markdown]
# ## 5. A stub to a worker that crashed
#
# A crash breaks every stub into the worker, for good: they do not come back when the worker
# restarts. Get a new one.

# %%
counter = await env.S.get_counter()
play.crash("service")
try:
    await counter.increment()
except ConnectionLost as error:
    print("ConnectionLost:", error)
dispose(counter)
print("a new stub works:", await env.S.add(2, 2))

# %% [markdown]
# ## 6. A pipelined chain is not a leak
#
# Pipelining is the way to write dependent calls: one round trip instead of three. The
# intermediate promises (`root()`, `next()`) are released with the chain once it is awaited,
# as the request context's end would release them in Workers: **0 leaks**.

# %%
await env.S.root().next().next().depth()

# %% [markdown]
# What you keep is yours to dispose, though: here `r` is kept, never disposed, and listed as a
# leak, with the line that made it.

# %%
r = env.S.root()
await r.next().depth()
for leak in play.leaks():
    print(leak)
dispose(r)

# %% [markdown]
# ## 7. Awaiting what could be pipelined
#
# Awaiting the counter before calling it costs two round trips; the advisor's tip under the
# diagram points at the line, and says how many round trips pipelining would save.

# %%
counter = await env.S.get_counter()
await counter.increment()
dispose(counter)

# %% [markdown]
# ## 8. A call that can never finish
#
# The playground sees at once when nothing can ever happen again: the runtime cancels the hung
# request, and the playground names the call and the line where its code waits.

# %%
try:
    await env.S.wait_for_news()
except RpcError as error:
    print("RpcError:", error)

# %% [markdown]
# ## 9. A stream whose writer is never closed
#
# The reader waits for the end of the stream, which only `await writer.close()` sends. When the
# writing side's request ends first, the reader fails, and is told why.

# %%
numbers = await env.S.numbers()
try:
    print(await numbers.read_all())
except RpcError as error:
    print("RpcError:", error)
