"""gunicorn's configuration for the web processes (``gunicorn -c deploy/gunicorn.conf.py``).

Values come from the environment so that one file serves every machine: GUNICORN_BIND (the
address nginx proxies to; ``--bind`` on the command line wins), WEB_CONCURRENCY (worker
processes), GUNICORN_TIMEOUT. See docs/deployment.md.
"""

import logging
import os
from pathlib import Path

wsgi_app = "webapp.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Synchronous workers: a request is a few database round trips. Two per core plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
# Longer than DB_STATEMENT_TIMEOUT (30 s): a slow query fails the request with a 503 page
# before gunicorn would kill the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (keepalive in its upstream block)
# A worker is replaced after this many requests (jittered, so they do not all restart at once).
max_requests = 2000
max_requests_jitter = 200
# X-Forwarded-* are believed from nginx on this machine only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%({x-request-id}o)s"'
# The heartbeat file of each worker in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
proc_name = "disclosure-web"


def on_starting(server):
    """In the master, before any worker: probes every few seconds would drown the access log;
    and the Prometheus directory is emptied of a previous run's files (one gunicorn master per
    directory: give each web process on a machine its own)."""
    from webapp.request_log import ProbeAccessFilter

    logging.getLogger("gunicorn.access").addFilter(ProbeAccessFilter())
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    """A worker that exits (or is killed) stops counting in the live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
