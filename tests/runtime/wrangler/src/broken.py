
raise RuntimeError("this module fails to import")
