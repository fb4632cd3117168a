from workers import WorkerEntrypoint

raise RuntimeError("this module fails to import")
