# The seed's Worker B, verbatim (Python tab of "Example").
from workers import WorkerEntrypoint, Response


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("Hello from Worker B")

    def add(self, a: int, b: int) -> int:
        return a + b


from workers import DurableObject  # noqa: E402


class Counter(DurableObject):
    async def increment(self, by):
        count = (await self.ctx.storage.get("count") or 0) + by
        await self.ctx.storage.put("count", count)
        return count
