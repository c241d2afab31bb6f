"""Server-side timing for benchmark commands: requests go through the whole Django stack in-process."""

import io
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client


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


def measure(cases: list[tuple[str, Callable[[], object]]], *, runs: int = 60, rounds: int = 5) -> list[Timing]:
    """Time each (label, call) `runs` times after a warm-up: p50/p95 of the wall time, median database
    time per run. The runs are spread over `rounds` passes through all the cases, so that on a shared
    machine, whose speed drifts from one second to the next, every case sees the same drift and the
    ratios between them hold."""
    for _label, call in cases:
        for _ in range(5):
            call()
    samples: dict[str, tuple[list[float], list[float], list[int]]] = {label: ([], [], []) for label, _ in cases}
    per_round = math.ceil(runs / rounds)
    for _ in range(rounds):
        for label, call in cases:
            wall, db, counts = samples[label]
            for _ in range(per_round):
                timer = _QueryTimer()
                with connection.execute_wrapper(timer):
                    start = time.perf_counter()
                    call()
                    wall.append((time.perf_counter() - start) * 1000)
                db.append(timer.seconds * 1000)
                counts.append(timer.count)
    timings = []
    for label, (wall, db, counts) in samples.items():
        wall.sort()
        p95 = wall[max(0, int(round(len(wall) * 0.95)) - 1)]
        timings.append(Timing(label, statistics.median(wall), p95, statistics.median(db), max(counts)))
    return timings


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
            **_http_headers(headers),
        }

    @classmethod
    def signed_in(cls, host: str, user) -> "WsgiCaller":
        """A caller whose requests carry `user`'s session cookie, as their browser's would."""
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return cls(host, {"Cookie": f"{name}={client.cookies[name].value}"})

    def page(self, url: str, **headers: str) -> Callable[[], None]:
        """A call that GETs `url` and fails unless it answers 200: one benchmark case."""

        def call() -> None:
            status = self("GET", url, headers=headers)
            if status != 200:
                raise RuntimeError(f"benchmark request for {url} failed with {status}")

        return call

    def __call__(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> int:
        path, _sep, query = path.partition("?")
        environ = {
            **self.base,
            **_http_headers(headers),
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
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


def _http_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """Header names as WSGI environ keys: "HX-Target" -> "HTTP_HX_TARGET"."""
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}


@dataclass
class Target:
    """One figure of the issue's table, measured in this run, with its target."""

    label: str
    value: float | None  # None: not measured in this run
    unit: str  # "x" (a ratio), "ms", or what is counted ("q": queries)
    target: float
    at_least: bool  # the target is a floor (rates) rather than a ceiling (times)

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target


def targets_report(stdout, targets: list[Target]) -> None:
    """The issue's table as this run measured it: every figure with its ratio or time, and its target."""
    stdout.write(f"\n{'figure':<72} {'measured':>10} {'target':>10}  met")
    for t in targets:
        unit = {"x": "x", "ms": " ms"}.get(t.unit, f" {t.unit}")
        value = "—" if t.value is None else f"{t.value:.2f}{unit}" if t.unit in ("x", "ms") else f"{t.value:g}{unit}"
        target = f"{'>=' if t.at_least else '<='} {t.target:g}{unit}"
        met = {True: "yes", False: "NO", None: ""}[t.met]
        stdout.write(f"{t.label:<72} {value:>10} {target:>10}  {met}")
