"""Demo and test data: factory-boy factories (tests and benchmarks) and `seed_demo` (what `make run` shows)."""
