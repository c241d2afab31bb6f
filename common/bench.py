"""Server-side timing for benchmark commands: requests go through the whole Django stack in-process."""

import statistics
import time
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Timing:
    label: str
    p50_ms: float
    p95_ms: float
    db_ms: float
    queries: int


def measure(label: str, call, *, runs: int = 60, warmup: int = 5) -> Timing:
    """Run `call` `runs` times after a warm-up; return p50/p95 wall time and the DB time of one run."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as captured:
        call()
    db_ms = sum(float(q.get("time") or 0) for q in captured.captured_queries) * 1000
    samples.sort()
    return Timing(label, statistics.median(samples), samples[int(len(samples) * 0.95) - 1], db_ms, len(captured))


def report(stdout, timings: list[Timing], baseline: Timing) -> None:
    """Print each timing beside the trivial view's, as a ratio: the figure that counts on any machine."""
    stdout.write(f"{'case':<46} {'p50 ms':>8} {'p95 ms':>8} {'x trivial':>9} {'db ms':>7} {'queries':>7}")
    for t in [baseline, *timings]:
        ratio = t.p50_ms / baseline.p50_ms if baseline.p50_ms else 0
        stdout.write(f"{t.label:<46} {t.p50_ms:8.2f} {t.p95_ms:8.2f} {ratio:9.1f} {t.db_ms:7.2f} {t.queries:7d}")
