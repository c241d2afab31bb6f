"""Server-side timing for benchmark commands: requests go through the whole Django stack in-process."""

import io
import statistics
import time
from dataclasses import dataclass

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection


@dataclass
class Timing:
    label: str
    p50_ms: float
    p95_ms: float
    db_ms: float
    queries: int


class _QueryTimer:
    """Times every query the connection runs (wall time around the driver call), without Django's logging."""

    def __init__(self):
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


def measure(label: str, call, *, runs: int = 60, warmup: int = 5) -> Timing:
    """Run `call` `runs` times after a warm-up; p50/p95 of the wall time, median database time per run."""
    for _ in range(warmup):
        call()
    samples, db_samples, counts = [], [], []
    for _ in range(runs):
        timer = _QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
        db_samples.append(timer.seconds * 1000)
        counts.append(timer.count)
    samples.sort()
    p95 = samples[max(0, int(round(len(samples) * 0.95)) - 1)]
    return Timing(label, statistics.median(samples), p95, statistics.median(db_samples), max(counts))


def report(stdout, timings: list[Timing], baseline: Timing) -> None:
    """Print each timing beside the trivial view's, as a ratio: the figure that counts on any machine."""
    stdout.write(f"{'case':<52} {'p50 ms':>8} {'p95 ms':>8} {'x trivial':>9} {'db ms':>7} {'queries':>7}")
    for t in [baseline, *timings]:
        ratio = t.p50_ms / baseline.p50_ms if baseline.p50_ms else 0
        stdout.write(f"{t.label:<52} {t.p50_ms:8.2f} {t.p95_ms:8.2f} {ratio:9.1f} {t.db_ms:7.2f} {t.queries:7d}")


class WsgiCaller:
    """Calls the application the way a WSGI server does (no test client bookkeeping, no socket): the
    server-side cost of a request, for endpoints whose own cost is close to the framework's."""

    def __init__(self, host: str, headers: dict[str, str] | None = None):
        self.handler = WSGIHandler()
        self.base = {
            "SERVER_NAME": host,
            "SERVER_PORT": "80",
            "HTTP_HOST": host,
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()},
        }

    def __call__(self, method: str, path: str, body: bytes = b"", content_type: str = "application/json") -> int:
        environ = {
            **self.base,
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        status = []
        result = self.handler(environ, lambda s, headers, exc_info=None: status.append(s))
        for _chunk in result:
            pass
        getattr(result, "close", lambda: None)()
        return int(status[0].split(" ", 1)[0])
