# %% [markdown]
# # 7. Lifecycle and disposal: leaks made visible
#
# A stub keeps its target alive on the other side: the other worker cannot forget the object
# while someone may still call it. There is no garbage collector across workers, so **the owner
# of a stub disposes of it**. Python's `with` plays the part of JavaScript's `using`.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget, RpcError, dispose

class Session(RpcTarget):
    def __init__(self, user):
        self._user = user
    def whoami(self):
        return self._user
    def __dispose__(self):                 # runs on the auth side when the last stub is gone
        print(f"    [auth-service] session of {self._user} released")

class Auth(WorkerEntrypoint):
    def login(self, user):
        return Session(user)

class App(WorkerEntrypoint):
    pass

play = Playground(latency="25ms")
play.worker("auth-service", Auth)
play.worker("app", App, services={"AUTH": "auth-service"})
auth = play.env("app").AUTH

# %% [markdown]
# ## `with` disposes at the end of the block
#
# When the block ends, the stub is disposed here at once, and a `release` message tells the
# other side, which then runs the target's `__dispose__`. The purple bar on the `app` lane is the
# stub's lifetime.

# %%
with await auth.login("ada") as session:
    print(await session.whoami())
await play.idle()                          # let the release arrive

# %% [markdown]
# ## A stub used after disposal
#
# Disposed is disposed: the stub refuses to be used, with the runtime's message.

# %%
try:
    await session.whoami()
except RpcError as error:
    print("RpcError:", error)

# %% [markdown]
# ## `dup()`: two owners, two disposals
#
# `dup()` gives an independent copy. The target is released only when the last copy is disposed.

# %%
session = await auth.login("grace")
copy = session.dup()
dispose(session)
print("after the first dispose:", await copy.whoami())
dispose(copy)
await play.idle()

# %% [markdown]
# ## A leak, made visible
#
# Forget to dispose, and the stub stays alive: the session is never released. The diagram draws
# the stub's bar **open and red**, alive at the end, and `play.leaks()` lists it with the line
# that made it.

# %%
forgotten = await auth.login("linus")
await forgotten.whoami()

# %%
for leak in play.leaks():
    print(leak)

# %% [markdown]
# Disposing it fixes the leak:

# %%
dispose(forgotten)
await play.idle()
play.leaks()

# %% [markdown]
# ## Inside workers: the execution context cleans up, with a warning
#
# Each call into a worker runs in an **execution context**, which ends when the call has been
# answered. Stubs that a worker's code forgot are released then, as in Workers, with the
# runtime's warning (`StubLeakWarning`), and a note in the trace.

# %%
class Careless(WorkerEntrypoint):
    async def check(self, user):
        session = await self.env.AUTH.login(user)     # never disposed
        return await session.whoami()

class Careful(WorkerEntrypoint):
    async def check(self, user):
        with await self.env.AUTH.login(user) as session:
            return await session.whoami()

play.worker("careless", Careless, services={"AUTH": "auth-service"})
play.worker("careful", Careful, services={"AUTH": "auth-service"})
play.worker("front", App, services={"CARELESS": "careless", "CAREFUL": "careful"})
front = play.env("front")

print(await front.CARELESS.check("margaret"))
await play.idle()

# %%
print(await front.CAREFUL.check("margaret"))
await play.idle()

# %% [markdown]
# ## Results that hold stubs
#
# A result can be a dict or a list holding stubs. Python dicts have no `[Symbol.dispose]`, so
# dispose the whole result with `dispose(result)`, or get it with `async with`, which disposes
# every stub inside at the end.

# %%
class Team(WorkerEntrypoint):
    def sessions(self, users):
        return {user: Session(user) for user in users}

play.worker("team", Team)
play.worker("lead", App, services={"TEAM": "team"})

async with play.env("lead").TEAM.sessions(["ken", "dennis"]) as sessions:
    print([await s.whoami() for s in sessions.values()])
await play.idle()

# %% [markdown]
# ## The rules, in short
#
# * The caller owns the stubs it receives, and disposes of them (`with`, `async with`,
#   `dispose`).
# * Stubs that arrive as *parameters* of a call are disposed by the runtime when the call
#   returns; `dup()` one to keep it longer (within the execution context).
# * Disposing a promise disposes its result (when it arrives, if it is still on its way):
#   awaiting the promise still gives the result, but nothing more can be pipelined on it.
# * Whatever a worker forgets is released when its execution context ends, with a warning.
# * `play.stubs()` lists every live stub; `play.leaks()` those nobody disposed.
