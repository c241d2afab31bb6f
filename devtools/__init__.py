"""Developer tools, installed by development and test settings only (never in production): the benchmark
commands `bench_timeline` and `bench_profile`, and their in-process WSGI timing (`bench`)."""
