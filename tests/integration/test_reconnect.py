"""The agent keeps samples while the collector is away and delivers them after it comes back:
a collector restart loses nothing that was scraped in between."""

import harness


def test_agent_buffers_during_collector_outage_and_replays(tmp_path, certs, stack):
    grpc_port = harness.free_port()
    first_dir = tmp_path / "first"
    first_dir.mkdir()
    collector = harness.Collector(first_dir, certs, grpc_listen=f"127.0.0.1:{grpc_port}")
    agent = stack.add(harness.Agent(tmp_path, "agent-rc", collector.grpc, certs,
                                    "scrape_configs: []", host_enabled=True))
    harness.wait_for(lambda: collector.query("node_load1"), what="data before the outage")
    assert collector.stop() == 0

    # While the collector is down the agent keeps collecting (1 s host interval) and queueing.
    harness.wait_for(lambda: agent.metrics()["strata_agent_export_connect_failures_total"] >= 1,
                     what="agent notices the outage")
    queued = harness.wait_for(lambda: agent.metrics()["strata_agent_queue_samples"] > 0 and
                              agent.metrics()["strata_agent_queue_samples"],
                              what="samples queued during the outage")
    assert queued > 0

    second_dir = tmp_path / "second"
    second_dir.mkdir()
    collector2 = stack.add(harness.Collector(second_dir, certs,
                                             grpc_listen=f"127.0.0.1:{grpc_port}"))
    # The new collector starts empty, so a sample stamped before it started can only have come
    # from the agent's queue: an instant query at the restart time finds one.
    before_restart = (collector2.started_ms - 500) / 1000
    harness.wait_for(lambda: collector2.query("node_load1", time_s=before_restart),
                     what="samples from the outage replayed")
    harness.wait_for(lambda: agent.metrics()["strata_agent_queue_samples"] < queued,
                     what="queue drains after reconnect")
    assert agent.metrics().get('strata_agent_dropped_samples_total{reason="queue_full"}', 0) == 0
