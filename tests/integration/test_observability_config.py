"""Prometheus and Alertmanager configuration as 04-observability renders it (its config
module applied by Terraform), checked by promtool and amtool, and a real Alertmanager
for routing and inhibition."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from ops import REPO
from ops.observability.config import RULE_TESTS, Rendered, check, render
from ops.server import BackgroundProcess, free_port
from ops.tools import require

RUNBOOKS = REPO / "docs" / "runbooks"
WITH_RECEIVERS = {
    "remote_write_url": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1234/api/v1/remote_write",
    "receivers": {"pagerduty": True, "slack": True, "heartbeat_url": "https://hc.example.com/ping/abc",
                  "pagerduty_url": "https://events.eu.pagerduty.com/v2/enqueue"},
    "intervals": {"scrape": "5s", "evaluation": "5s", "discovery": 5,
                  "group_wait": "5s", "group_interval": "10s"},
}  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render(tmp_path_factory.mktemp("observability"))


@pytest.fixture(scope="module")
def rendered_with_receivers(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render(tmp_path_factory.mktemp("observability-receivers"), **WITH_RECEIVERS)


def alerts(rendered: Rendered) -> list[dict[str, Any]]:
    return [rule for path in rendered.rules for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]  # fmt: skip


def test_promtool_and_amtool_accept_the_configuration_and_every_rule_test_passes(rendered: Rendered) -> None:
    results = check(rendered)
    assert "SUCCESS: 4 rule files found" in results["promtool check config"]
    assert results["promtool test rules"].count("SUCCESS") == len(list(RULE_TESTS.glob("*.test.yml")))
    assert "SUCCESS" in results["amtool check-config"]


def test_remote_write_and_every_receiver_are_valid_too(rendered_with_receivers: Rendered) -> None:
    check(rendered_with_receivers)
    config = yaml.safe_load(rendered_with_receivers.prometheus.read_text())
    (remote,) = config["remote_write"]
    assert remote["sigv4"] == {"region": "us-east-1"}
    default = yaml.safe_load(render_default_text())  # off by default
    assert "remote_write" not in default
    # Shortened intervals: a scrape timeout no longer than the interval (Prometheus's default).
    assert config["global"] == {"scrape_interval": "5s", "evaluation_interval": "5s",
                                "external_labels": {"environment": "local"}}  # fmt: skip
    alertmanager = yaml.safe_load(rendered_with_receivers.alertmanager.read_text())
    assert (alertmanager["route"]["group_wait"], alertmanager["route"]["group_interval"]) == ("5s", "10s")
    page = next(r for r in alertmanager["receivers"] if r["name"] == "page")
    assert page["pagerduty_configs"][0]["url"] == "https://events.eu.pagerduty.com/v2/enqueue"


def render_default_text() -> str:
    return (
        (REPO / "infra" / "04-observability" / "config" / "prometheus.yml.tftpl").read_text().split("%{")[0]
    )


def test_probe_paths_are_dropped_from_every_scrape(rendered: Rendered) -> None:
    config = yaml.safe_load(rendered.prometheus.read_text())
    for job in config["scrape_configs"]:
        drops = {tuple(rule["source_labels"]): rule["regex"] for rule in job["metric_relabel_configs"]}
        assert re.fullmatch(drops[("path",)], "/health")
        assert re.fullmatch(drops[("path",)], "/metrics")
        assert re.fullmatch(drops[("handler",)], "/metrics")
        assert not re.fullmatch(drops[("path",)], "/api/comment/list/1")


def test_every_alert_is_documented_and_links_an_existing_runbook_section(rendered: Rendered) -> None:
    found = alerts(rendered)
    assert len(found) >= 12
    for alert in found:
        annotations, labels = alert["annotations"], alert["labels"]
        assert annotations["summary"], alert["alert"]
        assert annotations["description"], alert["alert"]
        assert labels["severity"] in {"critical", "warning", "none"}
        assert labels["service"]
        url = annotations["runbook_url"]
        page, _, anchor = url.removeprefix(
            "https://github.com/acme/platform/blob/main/docs/runbooks/"
        ).partition("#")
        runbook = RUNBOOKS / page
        assert runbook.exists(), url
        headings = {re.sub(r"[^a-z0-9-]", "", h.lower().replace(" ", "-"))
                    for h in re.findall(r"^#+ (.+)$", runbook.read_text(), re.MULTILINE)}  # fmt: skip
        assert anchor == alert["alert"].lower()
        assert anchor in headings, f"{runbook.name} has no section {alert['alert']}"


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_stays_silent(rendered: Rendered) -> None:
    fires: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS.glob("*.test.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for test in case.get("alert_rule_test", []):
                (fires if test["exp_alerts"] else silent).add(test["alertname"])
    names = {alert["alert"] for alert in alerts(rendered)}
    assert names - fires == set(), "alerts never tested firing"
    assert names - silent - {"Watchdog"} == set(), "alerts never tested silent (Watchdog always fires)"


def test_every_file_fits_one_ssm_parameter(rendered_with_receivers: Rendered) -> None:
    files = [
        rendered_with_receivers.prometheus,
        rendered_with_receivers.alertmanager,
        *rendered_with_receivers.rules,
    ]
    sizes = {path.name: len(path.read_bytes()) for path in files}
    assert max(sizes.values()) <= 8192, sizes  # SSM Advanced tier


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ("severity=critical service=api-comments", "page,slack-critical"),
        ("severity=warning service=api-comments", "ticket"),
        ("severity=none alertname=Watchdog", "heartbeat"),
        ("service=api-comments", "blackhole"),
    ],
)
def test_alerts_are_routed_by_severity(
    rendered_with_receivers: Rendered, labels: str, receivers: str
) -> None:
    config = f"--config.file={rendered_with_receivers.alertmanager}"
    argv = [require("amtool"), "config", "routes", "test", config, *labels.split()]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.stdout.strip() == receivers, result.stderr


@pytest.fixture
def alertmanager(rendered: Rendered, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [require("prometheus-alertmanager"), f"--config.file={rendered.alertmanager}",
            f"--storage.path={tmp_path}", f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address="]  # fmt: skip
    with BackgroundProcess(argv, ready_url=f"{url}/-/ready", log_path=tmp_path / "alertmanager.log"):
        yield url


def test_a_critical_alert_inhibits_the_warnings_of_its_service(alertmanager: str) -> None:
    def alert(name: str, severity: str, service: str) -> dict[str, Any]:
        labels = {"alertname": name, "severity": severity, "service": service, "environment": "local"}
        return {"labels": labels, "annotations": {"summary": name}}

    posted = [
        alert("ApiCommentsHighErrorRatio", "critical", "api-comments"),
        alert("ApiCommentsHighLatencyP99", "warning", "api-comments"),
        alert("TraefikHigh429Rate", "warning", "traefik"),
    ]
    requests.post(f"{alertmanager}/api/v2/alerts", json=posted, timeout=5).raise_for_status()
    deadline = time.monotonic() + 10
    state: dict[str, str] = {}
    while time.monotonic() < deadline:
        answer = requests.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
        state = {a["labels"]["alertname"]: a["status"]["state"] for a in answer}
        if state.get("ApiCommentsHighLatencyP99") == "suppressed":
            break
        time.sleep(0.2)
    assert state == {
        "ApiCommentsHighErrorRatio": "active",
        "ApiCommentsHighLatencyP99": "suppressed",  # inhibited by the critical alert of api-comments
        "TraefikHigh429Rate": "active",  # another service: not inhibited
    }
