"""gunicorn settings for api-comments, read from the environment (12-factor)."""

import os
import shutil
import tempfile

# Must be set before prometheus_client is imported anywhere in this process: the
# workers fork from here and keep the multiprocess value class chosen at import.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="api-comments-metrics-"))

from api_comments.logs import json_formatter
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

wsgi_app = "api_comments:create_app()"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# ECS sends SIGTERM, then SIGKILL after the container's stopTimeout (30 s by default):
# finish in-flight requests well inside it.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Longer than the proxy's idle timeout, so the proxy closes idle connections first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Heartbeat files in memory (gunicorn's advice for containers): overlay filesystems can stall them.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 - a tmpfs only this container sees
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
# The app logs every request as one JSON line; gunicorn's own access log would repeat it.
accesslog = None
# No runtime control socket: nothing administrative inside the container.
control_socket_disable = True
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": json_formatter}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True}},
}


def on_starting(server):
    """Start every run with empty metric files: stale ones would add old workers' counts."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)
