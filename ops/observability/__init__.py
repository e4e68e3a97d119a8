"""Observability: the rendered configuration, dashboards as code, the local receivers."""
