"""Relabeling, differentially: the agent and the real Prometheus scrape the same node_exporter
with the same scrape config text (relabel_configs over the target, metric_relabel_configs over
its series, every action), and the series that reach the collector's query API carry exactly the
label sets that Prometheus stores."""

import harness
import prometheus_peer
import pytest

pytestmark = pytest.mark.skipif(not prometheus_peer.available(), reason="prometheus not installed")

PROBES = """# TYPE node_strata_probe_kind gauge
node_strata_probe_kind{Kind="Alpha",zone="eu-1"} 1
node_strata_probe_kind{Kind="BETA",zone="us-2"} 2
# TYPE node_strata_probe_eq gauge
node_strata_probe_eq{a="x",b="x"} 3
node_strata_probe_eq{a="x",b="y"} 4
# TYPE node_strata_probe_gone gauge
node_strata_probe_gone{drop_me="yes"} 5
node_strata_probe_gone{drop_me="no"} 6
"""


def scrape_yaml(node):
    return f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["{node.address}"]
        labels: {{env: Test, __meta_rack: r7, __meta_row: B}}
    relabel_configs:
      - source_labels: [__address__]
        regex: "(.*):(.*)"
        target_label: host
        replacement: "h-$1"
      - source_labels: [__address__, job]
        target_label: shard
        modulus: 16
        action: hashmod
      - source_labels: [env]
        target_label: env_upper
        action: uppercase
      - source_labels: [env]
        target_label: env_lower
        action: lowercase
      - regex: "__meta_(r.*)"
        replacement: "loc_$1"
        action: labelmap
      - source_labels: [__meta_rack]
        regex: "r[0-9]+"
        action: keep
      - source_labels: [__meta_row]
        regex: "Z"
        action: drop
      - source_labels: [__scrape_interval__, __metrics_path__]
        separator: "|"
        target_label: how
      - source_labels: [host]
        target_label: "c${{1}}_copy"
        regex: "h-([0-9]+)[.].*"
        replacement: "x"
      - source_labels: [host]
        target_label: "${{1}}"
        regex: "h-(.*)"
        replacement: "not a label name, so nothing is written"
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: "node_(load1|memory_MemTotal_bytes|strata_probe_.*)"
        action: keep
      - source_labels: [__name__]
        regex: "node_strata_probe_(.*)"
        target_label: __name__
        replacement: "probe_$1"
      - source_labels: [Kind]
        target_label: kind
        action: lowercase
      - regex: "Kind"
        action: labeldrop
      # dropequal compares absent labels too ("" == ""): give a and b distinct placeholders
      # first, so that only probe_eq{{a="x",b="x"}} is dropped, then remove them again.
      - source_labels: [a]
        regex: ""
        target_label: a
        replacement: none-a
      - source_labels: [b]
        regex: ""
        target_label: b
        replacement: none-b
      - source_labels: [a]
        target_label: b
        action: dropequal
      - source_labels: [a]
        regex: none-a
        target_label: a
        replacement: ""
      - source_labels: [b]
        regex: none-b
        target_label: b
        replacement: ""
      - source_labels: [drop_me]
        regex: "yes"
        action: drop
      - source_labels: [zone]
        regex: "(?P<region>[a-z]+)-(?P<n>[0-9])"
        target_label: region
        replacement: "${{region}}/$n"
      - source_labels: [instance, __name__]
        target_label: bucket
        modulus: 5
        action: hashmod
      - regex: "env|shard|loc_r.*|how|host|.*_copy|region|kind|zone|a|b|bucket|drop_me|job|instance|__name__|env_.*"
        action: labelkeep
"""


def label_sets(result):
    return sorted(tuple(sorted(r["metric"].items())) for r in result)


def test_relabeled_series_equal_prometheus(tmp_path, certs, stack):
    node = stack.add(harness.NodeExporter(tmp_path))
    node.write_textfile("probe", PROBES)
    config = scrape_yaml(node)
    prom = stack.add(prometheus_peer.Prometheus(tmp_path, scrape_yaml=config))
    collector = stack.add(harness.Collector(tmp_path, certs))
    stack.add(harness.Agent(tmp_path, "agent-relabel", collector.grpc, certs, config))

    def prom_query(expr):
        status, doc, body = prom.client.instant(expr, "%.3f" % harness.time.time())
        assert status == 200, body
        return [{"metric": r["metric"], "value": r["value"]} for r in doc["data"]["result"]]

    selector = '{job="node"}'
    want_names = {"node_load1", "node_memory_MemTotal_bytes", "probe_kind", "probe_eq",
                  "probe_gone", "up", "scrape_samples_scraped", "scrape_duration_seconds",
                  "scrape_samples_post_metric_relabeling", "scrape_series_added"}

    def names(result):
        return {r["metric"]["__name__"] for r in result}

    harness.wait_for(lambda: want_names <= names(prom_query(selector)), timeout=60,
                     what="every series at Prometheus")
    harness.wait_for(lambda: want_names <= names(collector.query(selector)), timeout=60,
                     what="every series at the collector")
    prom_sets = label_sets([r for r in prom_query(selector)
                            if r["metric"]["__name__"] in want_names])
    agent_sets = label_sets([r for r in collector.query(selector)
                             if r["metric"]["__name__"] in want_names])
    assert agent_sets == prom_sets

    # Spot checks, so that a shared mistake cannot pass: the values each action must produce.
    probes = {r["metric"].get("kind"): r["metric"] for r in collector.query('probe_kind')}
    assert set(probes) == {"alpha", "beta"}
    assert probes["alpha"]["region"] == "eu/1"
    assert "Kind" not in probes["alpha"]
    up = collector.query('up{job="node"}')[0]["metric"]
    assert up["host"] == "h-127.0.0.1"
    assert up["env_upper"] == "TEST" and up["env_lower"] == "test"
    assert up["loc_rack"] == "r7" and up["loc_row"] == "B"
    assert up["how"] == "1s|/metrics"
    assert up["c127_copy"] == "x"
    assert 0 <= int(up["shard"]) < 16
    assert [r["metric"]["b"] for r in collector.query("probe_eq")] == ["y"]
    assert [r["metric"]["drop_me"] for r in collector.query("probe_gone")] == ["no"]
    # Series counts after metric relabeling: load1, MemTotal, 2 kind, 1 eq, 1 gone.
    post = collector.query('scrape_samples_post_metric_relabeling{job="node"}')
    assert float(post[0]["value"][1]) == 6.0
    prom_post = prom_query('scrape_samples_post_metric_relabeling{job="node"}')
    assert float(prom_post[0]["value"][1]) == 6.0
