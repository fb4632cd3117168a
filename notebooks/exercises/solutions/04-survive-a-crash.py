# Solution to exercise 04-survive-a-crash (notebooks/exercises/04-survive-a-crash.ipynb): its exercise cell, fixed.
# Keep the count in storage, and on ConnectionLost get a new stub and try the vote again.

class Tally(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.count = 0
    async def add(self):
        count = (await self.ctx.storage.get("count") or 0) + 1   # storage survives a crash
        await self.ctx.storage.put("count", count)
        return count

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
    except ConnectionLost:
        print("lost the Tally: trying again with a new stub")
        tally.dispose()
        tally = env.TALLY.get(env.TALLY.id_from_name("votes"))
        print("count:", await tally.add())
tally.dispose()
