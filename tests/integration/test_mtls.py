"""The collector requires and verifies client certificates: agents without one, or with one
signed by another CA, are refused, and the refusal is logged and counted."""

import harness

SELF_SCRAPE = "scrape_configs: []"


def refused(collector, agent, before):
    def check():
        c = collector.metrics().get("strata_collector_grpc_tls_handshake_failures_total", 0)
        a = agent.metrics().get("strata_agent_export_connect_failures_total", 0)
        return c > before and a >= 1
    harness.wait_for(check, timeout=30, what="refusal counted on both sides")


def test_agent_without_client_certificate_is_refused(tmp_path, certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-nocert", collector.grpc, certs, SELF_SCRAPE,
                                    cert=None, host_enabled=True))
    refused(collector, agent, 0)
    collector.process.wait_log(r"level=warn component=ingest msg=\"refused agent connection")
    assert agent.metrics()["strata_agent_export_samples_acked_total"] == 0
    assert collector.metrics()["strata_collector_ingest_streams_total"] == 0
    assert collector.query("node_load1") == []


def test_agent_with_certificate_from_another_ca_is_refused(tmp_path, certs, other_ca_certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    # The agent trusts our CA (so it accepts the collector) but presents a foreign client cert.
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "ca.pem").write_text((certs / "ca.pem").read_text())
    (mixed / "agent.pem").write_text((other_ca_certs / "agent.pem").read_text())
    (mixed / "agent-key.pem").write_text((other_ca_certs / "agent-key.pem").read_text())
    agent = stack.add(harness.Agent(tmp_path, "agent-foreign", collector.grpc, mixed, SELF_SCRAPE,
                                    host_enabled=True))
    refused(collector, agent, 0)
    collector.process.wait_log(r"refused agent connection: TLS handshake failed")
    assert agent.metrics()["strata_agent_export_samples_acked_total"] == 0
    assert collector.query("node_load1") == []


def test_agent_with_valid_certificate_is_accepted(tmp_path, certs, stack):
    """Control for the two tests above: the same setup with the right certificate delivers."""
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-good", collector.grpc, certs, SELF_SCRAPE,
                                    host_enabled=True))
    harness.wait_for(lambda: collector.query("node_load1"), what="data from the good agent")
    assert collector.metrics().get("strata_collector_grpc_tls_handshake_failures_total", 0) == 0
    assert agent.metrics()["strata_agent_export_samples_acked_total"] > 0
    collector.process.wait_log(r"msg=\"agent stream opened\".*identity=strata-agent-")
