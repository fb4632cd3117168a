# %% [markdown]
# # 12. Capability patterns
#
# In Workers RPC, a worker can call only what it holds a reference to: its bindings, and the
# stubs it was handed. There is no global name to look anything up by. Holding a stub *is* the
# permission to use it; handing it on *is* granting that permission. This is the
# **object-capability** model, and it gives three simple patterns:
#
# 1. **reach only what you were handed**;
# 2. **attenuation**: hand on a weaker object that wraps a stronger one;
# 3. **revocation**: hand on a *caretaker* that can be switched off later.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, RpcTarget, dispose

class Document(RpcTarget):
    """Full access to one document."""
    def __init__(self, text):
        self._text = text
    def read(self):
        return self._text
    def write(self, text):
        self._text = text
        return "saved"
    def delete(self):
        self._text = ""
        return "deleted"

class Storage(WorkerEntrypoint):
    def open(self, name):
        return Document(f"the contents of {name}")

class Plugin(WorkerEntrypoint):
    """Third-party code: it does whatever it is asked, with whatever it is given."""
    async def summarize(self, doc):
        return (await doc.read())[:24] + "..."
    async def vandalize(self, doc):
        return await doc.delete()
    async def snoop(self):
        return await self.env.STORAGE.open("secrets")

class Owner(WorkerEntrypoint):
    pass

play = Playground(latency="10ms")
play.worker("storage", Storage)
play.worker("plugin", Plugin)                                    # note: no bindings at all
play.worker("owner", Owner, services={"STORAGE": "storage", "PLUGIN": "plugin"})
env = play.env("owner")

# %% [markdown]
# ## 1. A worker reaches only what it was handed
#
# The plugin has no binding to the storage: it cannot open anything by itself.

# %%
try:
    await env.PLUGIN.snoop()
except Exception as error:
    print(f"{type(error).__name__}: {error}")

# %% [markdown]
# Handed one document, it can use that document, and only it, through the stub. (Its calls go
# through the owner, the introducer, as in notebook 06.)

# %%
with await env.STORAGE.open("report") as report:
    print(await env.PLUGIN.summarize(report))

# %% [markdown]
# ## 2. Attenuation: hand on less than you hold
#
# Handing the plugin the document itself gives it *everything* the document can do, `delete`
# included:

# %%
with await env.STORAGE.open("report") as report:
    print(await env.PLUGIN.vandalize(report))
    print("left:", repr(await report.read()))

# %% [markdown]
# So wrap it. `ReadOnly` is an `RpcTarget` that holds the real document privately (`_doc` is
# unreachable over RPC) and offers only `read`. The plugin gets a stub to the wrapper, and
# `delete` does not exist for it.

# %%
class ReadOnly(RpcTarget):
    def __init__(self, doc):
        self._doc = doc                # private: the plugin cannot reach it
    async def read(self):
        return await self._doc.read()

with env.STORAGE.open("report") as report:
    view = ReadOnly(report)
    print(await env.PLUGIN.summarize(view))
    try:
        await env.PLUGIN.vandalize(view)
    except TypeError as error:
        print(f"TypeError: {error}")
    print("left:", repr(await report.read()))

# %% [markdown]
# ## 3. Revocation: the caretaker
#
# A capability handed out cannot be taken back from the holder's hands, but it can be made
# useless. A **caretaker** forwards calls to the real object until its owner revokes it. The
# switch, `_revoke`, is private: the owner calls it locally, and holders of the stub cannot.

# %%
class Caretaker(RpcTarget):
    def __init__(self, doc):
        self._doc = doc
    async def read(self):
        if self._doc is None:
            raise PermissionError("access to this document was revoked")
        return await self._doc.read()
    def _revoke(self):                 # private: only the owner, here, can call it
        self._doc = None

class Subscriber(WorkerEntrypoint):
    """Keeps a reference for later: a reader that checks the document every so often."""
    async def check(self, doc):
        return await doc.read()

play.worker("subscriber", Subscriber)
play.worker("publisher", Owner, services={"STORAGE": "storage", "SUBSCRIBER": "subscriber"})
pub = play.env("publisher")

with pub.STORAGE.open("newsletter") as newsletter:
    caretaker = Caretaker(newsletter)
    print("before:", await pub.SUBSCRIBER.check(caretaker))
    caretaker._revoke()
    try:
        await pub.SUBSCRIBER.check(caretaker)
    except PermissionError as error:
        print(f"after:  PermissionError: {error} (remote={error.remote})")

# %% [markdown]
# The diagram shows the two checks: the first reaches the storage through the publisher; the
# second stops at the caretaker, in the publisher, and never reaches the storage.
#
# ## What makes this work
#
# * **No ambient authority.** A worker's `env` holds only the bindings declared for it, and
#   an object's private state (`_names`) is unreachable.
# * **Stubs can't be forged.** A stub is made only by receiving a reference; there is no id to
#   guess.
# * **Wrappers are ordinary objects.** Attenuation and revocation are a few lines of
#   `RpcTarget`, running where the owner runs, in the owner's control.
# * **Lifetimes are bounded.** Proxied stubs last only as long as the execution contexts
#   involved (notebook 06), and disposing releases them (notebook 07).
