# %% [markdown]
# # Exercise 3: pass a callback
#
# The client wants the sensor's three readings. As written it **polls**: it calls `read()` again
# and again, a round trip each. The sensor also offers `watch(on_reading)`: give it a function,
# and it calls that function with each reading. Use it: the client should make one call, and the
# sensor should call you back.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint
from playground.exercises import check_3

# %%
READINGS = [20.5, 21.0, 21.5]

class Sensor(WorkerEntrypoint):
    def read(self):
        return READINGS[-1]
    async def watch(self, on_reading):
        for reading in READINGS:
            await on_reading(reading)       # a call back to whoever passed on_reading
        return len(READINGS)

play = Playground(latency="25ms")
play.worker("sensor", Sensor)
play.worker("client", WorkerEntrypoint, services={"SENSOR": "sensor"})
env = play.env("client")

for _ in range(3):
    print("reading:", await env.SENSOR.read())

# %%
check_3(play)
