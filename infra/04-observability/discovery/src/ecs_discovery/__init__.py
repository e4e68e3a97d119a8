"""Prometheus targets from ECS: the running tasks whose containers carry the docker label
``PROMETHEUS_EXPORTER_PORT`` (optionally ``PROMETHEUS_EXPORTER_PATH``,
``PROMETHEUS_EXPORTER_JOB_NAME`` and ``PROMETHEUS_EXPORTER_SCHEME``), written as a
Prometheus ``file_sd`` JSON file.

A refresh costs ceil(n/100) ``ListTasks`` pages plus ceil(n/100) ``DescribeTasks``
batches per cluster. Task definitions are described once per ARN and cached for the
life of the process (a revision never changes). Throttling is retried with botocore's
adaptive backoff. A task that cannot be read is logged and skipped. A refresh that
fails leaves the last good file in place, and the file is rewritten (atomically) only
when its content changes.

Modules: labels (what a task exposes), discovery (the ECS calls), output (the file_sd file),
cli (the sidecar's loop).
"""
