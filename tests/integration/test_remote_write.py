"""Prometheus remote write: a real vmagent scrapes a real node_exporter and remote-writes to the
collector's /api/v1/write; what the exporter served is what the query API returns."""

import harness


def test_vmagent_remote_write_is_queryable(tmp_path, certs, stack):
    node = stack.add(harness.NodeExporter(tmp_path))
    collector = stack.add(harness.Collector(tmp_path, certs))
    vmagent = stack.add(harness.VmAgent(tmp_path, [node.address],
                                        collector.http + "/api/v1/write"))
    sel = '{job="vm-node",instance="%s"}' % node.address
    result = harness.wait_for(lambda: collector.query("node_memory_MemTotal_bytes" + sel),
                              what="vmagent data at the collector")
    assert float(result[0]["value"][1]) == node.scrape()["node_memory_MemTotal_bytes"]
    assert float(collector.query("up" + sel)[0]["value"][1]) == 1.0
    m = collector.metrics()
    assert m['strata_collector_remote_write_requests_total{code="204"}'] >= 1
    assert m["strata_collector_remote_write_samples_total"] > 100
    # Cardinality status in Prometheus' shape.
    import json
    status = json.loads(harness.http_get(collector.http + "/api/v1/status/tsdb?limit=5")[1])
    assert status["status"] == "success"
    assert status["data"]["headStats"]["numSeries"] > 100
    top = status["data"]["seriesCountByMetricName"]
    assert len(top) == 5 and top[0]["value"] >= top[-1]["value"]
    # vmagent saw no errors sending to us.
    errors = sum(v for k, v in vmagent.metrics().items()
                 if k.startswith("vmagent_remotewrite_retries_count_total"))
    assert errors == 0


def test_malformed_remote_write_gets_400_with_reason(tmp_path, certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    import urllib.request
    req = urllib.request.Request(collector.http + "/api/v1/write", data=b"not snappy at all",
                                 headers={"Content-Encoding": "snappy",
                                          "Content-Type": "application/x-protobuf"})
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("expected an HTTP error")
    except urllib.error.HTTPError as e:
        assert e.code == 400
        assert "snappy" in e.read().decode()
    m = collector.metrics()
    assert m['strata_collector_remote_write_rejected_requests_total{reason="snappy_decode_failed"}'] == 1
