# Solution to exercise 03-pass-a-callback (notebooks/exercises/03-pass-a-callback.ipynb): its exercise cell, fixed.
# Pass a function: the sensor gets a stub and calls it back; the runtime disposes of it when `watch()` returns.

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

def on_reading(reading):                  # runs here, in the client, when the sensor calls it
    print("reading:", reading)

print("readings:", await env.SENSOR.watch(on_reading))
