# %% [markdown]
# # Exercise 4: survive a Durable Object crash
#
# Five votes go to a `Tally` Durable Object. Before the fourth, its worker crashes. As written,
# the last two votes fail (`ConnectionLost`), and a new stub would find the count back at zero:
# it lived in memory. Make all five votes count, and the last count printed be 5. Keep the crash.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, DurableObject, ConnectionLost
from playground.exercises import check_4

# %%
class Tally(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.count = 0
    async def add(self):
        self.count += 1
        return self.count

play = Playground(latency="10ms")
play.worker("tallies", WorkerEntrypoint, exports=[Tally], durable_objects={"TALLY": "Tally"})
play.worker("client", WorkerEntrypoint, durable_objects={"TALLY": ("tallies", "Tally")})
env = play.env("client")

tally = env.TALLY.get(env.TALLY.id_from_name("votes"))
for vote in range(5):
    if vote == 3:
        play.crash("tallies")                # the plug is pulled: keep this line
    try:
        print("count:", await tally.add())
    except ConnectionLost as error:
        print("lost:", error)
tally.dispose()

# %%
check_4(play)
