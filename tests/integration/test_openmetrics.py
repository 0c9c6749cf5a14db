"""OpenMetrics, differentially: an exporter built on the official Python client
(python3-prometheus-client, which serves OpenMetrics when asked) is scraped by the agent and by the
real Prometheus; both negotiate OpenMetrics, and the series at the collector equal Prometheus'
(counters with _created, a histogram with an exemplar, info, stateset, summary, gauge)."""

import subprocess
import sys
import urllib.request

import harness
import prometheus_peer
import pytest

try:
    import prometheus_client  # noqa: F401
    HAVE_CLIENT = True
except ImportError:
    HAVE_CLIENT = False

pytestmark = pytest.mark.skipif(not (HAVE_CLIENT and prometheus_peer.available()),
                                reason="python3-prometheus-client or prometheus not installed")

EXPORTER = r"""
import sys, time
from prometheus_client import (CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary,
                               start_http_server)
r = CollectorRegistry()
c = Counter("om_jobs", "Jobs done.", ["queue"], registry=r)
c.labels("a").inc(3)
c.labels("b").inc(5.5)
Gauge("om_temp_celsius", "Temperature.", registry=r).set(21.5)
h = Histogram("om_latency_seconds", "Latency.", buckets=[0.1, 1.0], registry=r)
h.observe(0.05, exemplar={"trace_id": "abc123"})
h.observe(0.5)
Info("om_build", "Build.", registry=r).info({"version": "1.2.3", "commit": "deadbeef"})
Enum("om_state", "State.", states=["up", "down"], registry=r).state("down")
Summary("om_size_bytes", "Sizes.", registry=r).observe(10)
start_http_server(int(sys.argv[1]), addr="127.0.0.1", registry=r)
print("serving", flush=True)
while True:
    time.sleep(3600)
"""


class PythonExporter:
    def __init__(self, tmp):
        self.port = harness.free_port()
        script = tmp / "exporter.py"
        script.write_text(EXPORTER)
        self.process = harness.Process("om-exporter", [sys.executable, str(script),
                                                       str(self.port)], str(tmp / "om.log"))
        self.process.wait_log("serving")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        return self.process.stop()


def test_openmetrics_series_equal_prometheus(tmp_path, certs, stack):
    exporter = stack.add(PythonExporter(tmp_path))
    # The exporter does speak OpenMetrics when asked as the agent asks.
    req = urllib.request.Request(
        f"http://{exporter.address}/metrics",
        headers={"Accept": "application/openmetrics-text;version=1.0.0,"
                           "text/plain;version=0.0.4;q=0.5"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        body = r.read().decode()
    assert body.rstrip().endswith("# EOF") and "# {trace_id=\"abc123\"}" in body

    config = f"""
scrape_configs:
  - job_name: om
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["{exporter.address}"]
"""
    prom = stack.add(prometheus_peer.Prometheus(tmp_path, scrape_yaml=config))
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-om", collector.grpc, certs, config))

    def prom_series():
        status, doc, body = prom.client.instant('{__name__=~"om_.*"}',
                                                "%.3f" % harness.time.time())
        assert status == 200, body
        return sorted((tuple(sorted(r["metric"].items())), float(r["value"][1]))
                      for r in doc["data"]["result"])

    def agent_series():
        return sorted((tuple(sorted(r["metric"].items())), float(r["value"][1]))
                      for r in collector.query('{__name__=~"om_.*"}'))

    want = harness.wait_for(lambda: len(prom_series()) >= 17 and prom_series(), timeout=60,
                            what="the exporter's series at Prometheus")
    harness.wait_for(lambda: agent_series() == want, timeout=60,
                     what=f"the same series and values at the collector as at Prometheus "
                          f"(want {want})")
    names = {dict(labels)["__name__"] for labels, _ in want}
    assert {"om_jobs_total", "om_jobs_created", "om_build_info", "om_state",
            "om_latency_seconds_bucket", "om_size_bytes_count", "om_temp_celsius"} <= names
    assert agent.metrics()['strata_agent_scrape_parse_errors_total{job="om"}'] == 0
