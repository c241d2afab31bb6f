"""The replica drill's data and load (scripts/replica-drill runs it; it is no use alone).

    replica_drill_load.py setup FILE                 people, tokens and customers on the drill's primary
    replica_drill_load.py load FILE PHASES SECONDS   bounded load on http://127.0.0.1:$PORT; then the report

The load: agents' profile pages (Activity and Tickets tabs) and an app's event reads, none of whom write, so
they read from the replica; and writers, apps that post an event (or rename their customer) and read it back
at once, which must see what they wrote (read-your-writes: the primary serves them for REPLICA_PIN_SECONDS).
A reader also follows a writer's customer: what it sees may be behind, but never by more than
REPLICA_MAX_LAG_SECONDS (and a second, the health check's period). PHASES holds "<unix time> <phase> <replica
transactions so far>" lines the shell script writes as it stops the replica, starts it and cuts replication.
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

WRITERS = 2
PAGE_READERS = 2


def setup(path: str) -> None:
    import django

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Account, Role, User
    from accounts.services import account_set_customer_profile, api_token_create
    from activity.services import event_record
    from demo.factories import TicketFactory, UserFactory

    account = Account.objects.get(subdomain="drill")
    admin = User.objects.get(account=account, role=Role.ADMIN)
    account_set_customer_profile(account=account, actor=admin, enabled=True)
    agent = UserFactory(account=account, role=Role.AGENT, email="reader@drill.test", prefers_new_profile=True)
    session = SessionStore()
    session.update({SESSION_KEY: str(agent.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0]})
    session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    session.create()
    customers = []
    for n in range(max(WRITERS, 5)):
        customer = UserFactory(account=account, name=f"Drill customer {n}", email=f"c{n}@drill.test")
        for t in range(30):
            TicketFactory(account=account, requester=customer, subject=f"Ticket {t}")
        for e in range(40):
            event_record(customer=customer, source="Shop", type="order_placed", description=f"order {e}")
        customers.append(customer.pk)
    tokens = [api_token_create(account=account, actor=admin, name=f"drill {n}")[1] for n in range(WRITERS + 1)]
    data = {"session": session.session_key, "customers": customers, "tokens": tokens}
    with open(path, "w") as file:
        json.dump(data, file)


class Load:
    def __init__(self, data: dict, seconds: float):
        self.data = data
        self.base = f"http://127.0.0.1:{os.environ['PORT']}"
        self.until = time.time() + seconds
        self.results: list[tuple[float, str, str]] = []  # (time, what, outcome)
        self.lock = threading.Lock()
        self.acknowledged: dict[int, list[tuple[float, int]]] = defaultdict(list)  # customer: (time, n)
        self.pin = int(os.environ["REPLICA_PIN_SECONDS"])
        self.max_lag = int(os.environ["REPLICA_MAX_LAG_SECONDS"])

    def note(self, what: str, outcome: str) -> None:
        with self.lock:
            self.results.append((time.time(), what, outcome))

    def call(self, method: str, path: str, *, token=None, body=None, cookie=None) -> tuple[int, bytes]:
        headers = {"Host": "drill.localhost"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the drill's own server
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def pages(self, reader: int) -> None:
        customers, n = self.data["customers"], reader
        while time.time() < self.until:
            n += 1
            tab = "tickets" if n % 2 else "activity"
            status, _body = self.call("GET", f"/agent/users/{customers[n % len(customers)]}/?tab={tab}",
                                      cookie=self.data["session"])  # fmt: skip
            self.note("page", "ok" if status == 200 else f"failed {status}")

    def follower(self) -> None:
        """An app that never writes reads writer 0's customer: how far behind is what it sees?"""
        token, customer = self.data["tokens"][-1], self.data["customers"][0]
        while time.time() < self.until:
            asked = time.time()
            path = f"/api/v2/users/{customer}/events?filter[source]=Drill&page[size]=1"
            status, body = self.call("GET", path, token=token)
            if status != 200:
                self.note("api read", f"failed {status}")
                continue
            events = json.loads(body)["data"]
            seen = int(events[0]["description"][1:]) if events and events[0]["description"].startswith("w") else -1
            with self.lock:
                missed = [at for at, n in self.acknowledged[customer] if n > seen]
            too_old = missed and asked - min(missed) > self.max_lag + 1
            self.note("api read", "behind the bound" if too_old else "ok")

    def writer(self, index: int) -> None:
        token, customer = self.data["tokens"][index], self.data["customers"][index]
        n = 0
        while time.time() < self.until:
            n += 1
            if n % 4:
                body = {
                    "profile": {"source": "drill", "type": "customer",
                                "identifiers": [{"type": "email", "value": f"c{index}@drill.test"}]},
                    "event": {"source": "Drill", "type": "write", "description": f"w{n}"},
                }  # fmt: skip
                status, _ = self.call("POST", "/api/v2/user_profiles/events", token=token, body=body)
                wrote = time.time()
                if status != 202:
                    self.note("write", f"failed {status}")
                    continue
                with self.lock:
                    self.acknowledged[customer].append((wrote, n))
                self.note("write", "ok")
                path = f"/api/v2/users/{customer}/events?filter[source]=Drill&page[size]=1"
                status, answer = self.call("GET", path, token=token)
                seen = json.loads(answer)["data"][0]["description"] if status == 200 else None
                expected = f"w{n}"
            else:
                expected = f"Drill customer {index} v{n}"
                rename = {"user": {"name": expected}}
                status, _ = self.call("PUT", f"/api/v2/users/{customer}", token=token, body=rename)
                if status != 200:
                    self.note("write", f"failed {status}")
                    continue
                self.note("write", "ok")
                status, answer = self.call("GET", f"/api/v2/users/{customer}", token=token)
                seen = json.loads(answer)["user"]["name"] if status == 200 else None
            if status != 200:
                self.note("read own write", f"failed {status}")
            else:
                self.note("read own write", "ok" if seen == expected else "stale")

    def run(self) -> None:
        threads = [threading.Thread(target=self.pages, args=(i,)) for i in range(PAGE_READERS)]
        threads += [threading.Thread(target=self.writer, args=(i,)) for i in range(WRITERS)]
        threads.append(threading.Thread(target=self.follower))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def report(load: Load, phases_path: str) -> int:
    deadline = time.time() + 15  # the shell script notes the end once its last step is done
    while time.time() < deadline and _marks(phases_path)[-1][1] != "end":
        time.sleep(0.2)
    marks = _marks(phases_path)
    print(
        f"replica drill: REPLICA_MAX_LAG_SECONDS={load.max_lag}, REPLICA_PIN_SECONDS={load.pin}; "
        f"{PAGE_READERS} agents reading pages, {WRITERS} apps writing and reading back, 1 app following a writer"
    )
    columns = ("requests", "pages", "follower", "writes", "read-backs", "replica tx", "failed", "stale", "behind")
    print(f"  {'phase':<16}" + "".join(f"{c:>11}" for c in columns))
    bad = 0
    for i, (start, name, replica_count) in enumerate(marks):
        if name == "end":
            break
        following = marks[i + 1] if i + 1 < len(marks) else None
        end = float("inf") if following is None or following[1] == "end" else following[0]
        inside = [(what, outcome) for at, what, outcome in load.results if start <= at < end]
        counts = Counter(what for what, _ in inside)
        failed = sum(1 for _, outcome in inside if outcome.startswith("failed"))
        stale = sum(1 for what, outcome in inside if what == "read own write" and outcome == "stale")
        behind = sum(1 for _, outcome in inside if outcome == "behind the bound")
        bad += failed + stale + behind
        on_replica = max(0, following[2] - replica_count) if following else "?"
        row = (len(inside), counts["page"], counts["api read"], counts["write"], counts["read own write"], on_replica,
               failed, stale, behind)  # fmt: skip
        print(f"  {name:<16}" + "".join(f"{value:>11}" for value in row))
    for reason, count in Counter(o for _, _, o in load.results if o.startswith("failed")).items():
        print(f"    {reason}: {count}")
    total = len(load.results)
    failed = sum(1 for _, _, outcome in load.results if outcome.startswith("failed"))
    stale = sum(1 for _, _, outcome in load.results if outcome == "stale")
    behind = sum(1 for _, _, outcome in load.results if outcome == "behind the bound")
    print(
        f"  all: {total} requests, {failed} failed (target 0), {stale} stale reads after a write (target 0), "
        f"{behind} reads further behind than REPLICA_MAX_LAG_SECONDS (target 0)"
    )
    print(
        "  (follower: an app's reads of a writer's customer; read-backs: a writer reading what it just wrote; "
        "replica tx: transactions the replica served)"
    )
    return 1 if bad else 0


def _marks(path: str) -> list[tuple[float, str, int]]:
    with open(path) as file:
        rows = [line.split() for line in file if line.strip()]
    return [(float(at), name, int(count)) for at, name, count in rows]


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "setup":
        setup(args[0])
    else:
        data_path, phases_path, seconds = args
        with open(data_path) as file:
            drill = Load(json.load(file), float(seconds))
        drill.run()
        sys.exit(report(drill, phases_path))
