"""End to end: a real node_exporter is scraped by the agent, batches cross mTLS gRPC to the
collector, and the collector's query API returns exactly what the exporter served."""

import harness


def scrape_yaml(node):
    return f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["{node.address}"]
        labels: {{env: test}}
"""


def value_of(result):
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def test_values_served_by_node_exporter_reach_the_query_api(tmp_path, certs, stack):
    node = stack.add(harness.NodeExporter(tmp_path))
    node.write_textfile("probe", "node_strata_probe_value 41.5\n")
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-e2e", collector.grpc, certs, scrape_yaml(node)))

    sel = '{job="node",instance="%s",env="test"}' % node.address
    # Constant gauges: what the exporter serves now is exactly what the collector returns.
    direct = node.scrape()
    mem_total = direct["node_memory_MemTotal_bytes"]
    boot_time = direct["node_boot_time_seconds"]
    result = harness.wait_for(lambda: collector.query("node_memory_MemTotal_bytes" + sel),
                              what="MemTotal at the collector")
    assert value_of(result) == mem_total
    assert result[0]["metric"] == {"__name__": "node_memory_MemTotal_bytes", "job": "node",
                                   "instance": node.address, "env": "test"}
    assert value_of(collector.query("node_boot_time_seconds" + sel)) == boot_time
    assert value_of(collector.query("up" + sel)) == 1.0

    # A gauge that changes: the new value served by the exporter shows up at the collector.
    assert value_of(harness.wait_for(lambda: collector.query("node_strata_probe_value" + sel),
                                     what="probe")) == 41.5
    node.write_textfile("probe", "node_strata_probe_value 97.25\n")
    assert node.scrape()["node_strata_probe_value"] == 97.25
    harness.wait_for(lambda: value_of(collector.query("node_strata_probe_value" + sel)) == 97.25,
                     what="updated probe value at the collector")

    # Every series the exporter served in one scrape is known to the collector.
    names = {k.split("{")[0] for k in direct if k.startswith("node_")}
    harness.wait_for(
        lambda: names <= {r["metric"]["__name__"] for r in collector.query('{job="node"}')},
        what="all node_* names at the collector")

    # The batches were acknowledged and counted on both sides.
    assert agent.metrics()["strata_agent_export_samples_acked_total"] > 0
    assert collector.metrics()['strata_collector_ingest_batches_total{result="accepted"}'] > 0

    # Graceful shutdown: both exit 0.
    assert agent.stop() == 0
    assert "msg=stopped" in agent.process.log()
    assert collector.stop() == 0
    assert "msg=stopped" in collector.process.log()


def test_host_collector_series_reach_the_collector(tmp_path, certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    stack.add(harness.Agent(tmp_path, "agent-host", collector.grpc, certs, "scrape_configs: []",
                            host_enabled=True))
    result = harness.wait_for(lambda: collector.query('node_memory_MemTotal_bytes{job="node"}'),
                              what="host MemTotal")
    with open("/proc/meminfo") as f:
        kb = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:"))
    assert float(result[0]["value"][1]) == kb * 1024
    cpu = harness.wait_for(lambda: collector.query('node_cpu_seconds_total{mode="idle"}'),
                           what="host cpu")
    assert len(cpu) >= 1
    assert harness.wait_for(lambda: collector.query("node_load1"), what="load")


def test_file_sd_targets_with_relabeling_come_and_go(tmp_path, certs, stack):
    """node_exporter found through file_sd_configs, relabeled; editing the file retargets the
    agent without a restart, and the series of a target that left are marked stale at once."""
    node = stack.add(harness.NodeExporter(tmp_path))
    sd_dir = tmp_path / "targets"
    sd_dir.mkdir()

    def write_targets(groups):
        tmp = sd_dir / ".nodes.json.tmp"
        tmp.write_text(harness.json.dumps(groups))
        tmp.rename(sd_dir / "nodes.json")

    write_targets([{"targets": [node.address], "labels": {"__meta_dc": "fra", "team": "infra"}}])
    collector = stack.add(harness.Collector(tmp_path, certs))
    stack.add(harness.Agent(tmp_path, "agent-file-sd", collector.grpc, certs, f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    file_sd_configs:
      - files: ["{sd_dir}/*.json"]
    relabel_configs:
      - source_labels: [__meta_dc]
        target_label: dc
      - source_labels: [__meta_filepath]
        regex: ".*/(.*)[.]json"
        target_label: sd_file
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: "node_(memory_MemTotal_bytes|load1)"
        action: keep
"""))
    result = harness.wait_for(lambda: collector.query('node_memory_MemTotal_bytes{job="node"}'),
                              what="MemTotal via file_sd")
    assert result[0]["metric"] == {"__name__": "node_memory_MemTotal_bytes", "job": "node",
                                   "instance": node.address, "dc": "fra", "team": "infra",
                                   "sd_file": "nodes"}
    assert float(result[0]["value"][1]) == node.scrape()["node_memory_MemTotal_bytes"]
    # metric_relabel_configs kept only two node_* names.
    names = {r["metric"]["__name__"] for r in collector.query('{job="node"}')}
    assert {n for n in names if n.startswith("node_")} == {"node_memory_MemTotal_bytes",
                                                           "node_load1"}

    # A changed label is a new target: the old one's series go stale, the new ones appear.
    write_targets([{"targets": [node.address], "labels": {"__meta_dc": "ams", "team": "infra"}}])
    harness.wait_for(lambda: [r["metric"]["dc"] for r in
                              collector.query('node_memory_MemTotal_bytes{job="node"}')] == ["ams"],
                     what="only the relabeled target's MemTotal (the old one stale)")
    assert [r["metric"]["dc"] for r in collector.query('up{job="node"}')] == ["ams"]

    # An empty file removes the target: up and its series vanish (stale), not after 5 minutes.
    write_targets([])
    harness.wait_for(lambda: collector.query('{job="node"}') == [],
                     what="every series of the removed target stale")


def test_http_sd_targets(tmp_path, certs, stack):
    """node_exporter found through http_sd_configs (a test endpoint speaking Prometheus' HTTP SD
    contract); when the endpoint stops listing it, its series go stale."""
    import http.server
    import threading

    node = stack.add(harness.NodeExporter(tmp_path))
    answer = {"groups": [{"targets": [node.address], "labels": {"__meta_zone": "z1"}}]}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = harness.json.dumps(answer["groups"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/targets"
        collector = stack.add(harness.Collector(tmp_path, certs))
        stack.add(harness.Agent(tmp_path, "agent-http-sd", collector.grpc, certs, f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    http_sd_configs:
      - url: "{url}"
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_zone]
        target_label: zone
      - source_labels: [__meta_url]
        regex: ".*/(.*)"
        target_label: sd
"""))
        result = harness.wait_for(lambda: collector.query('up{job="node"}'), what="up via HTTP SD")
        assert result[0]["metric"] == {"__name__": "up", "job": "node", "instance": node.address,
                                       "zone": "z1", "sd": "targets"}
        assert float(result[0]["value"][1]) == 1.0
        answer["groups"] = []
        harness.wait_for(lambda: collector.query('{job="node"}') == [],
                         what="the target's series stale once HTTP SD drops it")
    finally:
        server.shutdown()


def test_sighup_reloads_scrape_config_and_rejects_a_bad_one(tmp_path, certs, stack):
    """SIGHUP re-reads the config: a new metric_relabel_configs applies without a restart, and a
    config that does not load is rejected and counted while the running one keeps scraping."""
    import signal

    node = stack.add(harness.NodeExporter(tmp_path))
    collector = stack.add(harness.Collector(tmp_path, certs))

    def config(relabel):
        return f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["{node.address}"]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: node_memory_MemTotal_bytes
        action: keep
{relabel}
"""

    agent = stack.add(harness.Agent(tmp_path, "agent-reload", collector.grpc, certs, config("")))
    sel = 'node_memory_MemTotal_bytes{job="node"}'
    harness.wait_for(lambda: collector.query(sel), what="MemTotal before the reload")
    assert "generation" not in collector.query(sel)[0]["metric"]

    # The harness wrote the config to <tmp>/<name>.yaml; rewrite it with one more step.
    path = tmp_path / "agent-reload.yaml"
    text = path.read_text()
    path.write_text(text.replace("        action: keep\n", "        action: keep\n"
                                 "      - target_label: generation\n"
                                 "        replacement: two\n"))
    agent.process.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: [r["metric"].get("generation") for r in
                              collector.query(sel)] == ["two"],
                     what="the reloaded relabeling at the collector (old series stale)")
    assert agent.metrics()['strata_agent_config_reloads_total{result="success"}'] == 1

    # A reload that retargets the job: the dropped target's series are marked stale at once.
    path.write_text(text.replace(node.address, "127.0.0.1:1"))
    agent.process.proc.send_signal(signal.SIGHUP)
    harness.wait_for(lambda: collector.query(sel) == [],
                     what="the dropped target's series stale after the reload")
    harness.wait_for(lambda: [(r["metric"]["instance"], r["value"][1]) for r in
                              collector.query('up{job="node"}')] == [("127.0.0.1:1", "0")],
                     what="only the new, unreachable target's up")

    # A broken config is rejected; the agent keeps running and scraping with the last good one.
    path.write_text(text.replace("action: keep", "action: nonsense"))
    assert agent.metrics()['strata_agent_config_reloads_total{result="success"}'] == 2
    agent.process.proc.send_signal(signal.SIGHUP)
    harness.wait_for(
        lambda: agent.metrics().get('strata_agent_config_reloads_total{result="failure"}') == 1,
        what="the rejected reload counted")
    assert agent.metrics()["strata_agent_config_last_reload_successful"] == 0
    assert agent.process.proc.poll() is None
    before = agent.metrics()["strata_agent_scrapes_total{job=\"node\"}"]
    harness.wait_for(lambda: agent.metrics()["strata_agent_scrapes_total{job=\"node\"}"] > before,
                     what="scrapes continuing after the rejected reload")


def test_cardinality_guard_caps_series_before_they_leave_the_host(tmp_path, certs, stack):
    """A metric with more series than its limit reaches the collector capped at the limit, the
    dropped samples are counted by metric at the agent, and a dropped label merges series."""
    node = stack.add(harness.NodeExporter(tmp_path))
    node.write_textfile("wide", "".join(f'node_strata_wide{{user="u{i}"}} {i}\n'
                                        for i in range(10)) +
                        'node_strata_req{request_id="r1"} 1\n')
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-cardinality", collector.grpc, certs, f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["{node.address}"]
""", extra="""
cardinality:
  metric_limits: [{metric: node_strata_wide, max_series: 3}]
  drop_labels: [{metric_regex: "node_strata_req", labels: [request_id]}]
"""))
    harness.wait_for(lambda: collector.query("node_strata_req"), what="node_strata_req")
    assert "request_id" not in collector.query("node_strata_req")[0]["metric"]
    harness.wait_for(
        lambda: agent.metrics().get(
            'strata_agent_cardinality_dropped_samples_total{metric="node_strata_wide"}', 0) >= 7,
        what="dropped samples counted")
    assert len(collector.query("node_strata_wide")) == 3
    # Other metrics are not limited.
    assert len(collector.query('node_cpu_seconds_total{job="node"}')) >= 1
