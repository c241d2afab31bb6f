"""gunicorn's settings for `make serve` and the container image (gunicorn --config config/gunicorn.py)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Sync workers: a request holds its worker for its whole life, mostly waiting on PostgreSQL, so two per core
# and one more (gunicorn's own advice) keep every core busy. WEB_CONCURRENCY sets the number instead.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)) + 1)
timeout = 30  # a worker stuck longer than this is killed and replaced
graceful_timeout = 30  # on SIGTERM, requests in flight get this long to finish
keepalive = 5
# Recycled now and then, so no worker grows for ever.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
# Proxies allowed to say a request came over HTTPS (X-Forwarded-Proto) to gunicorn itself.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
control_socket_disable = True  # nothing here uses gunicorn's control socket
