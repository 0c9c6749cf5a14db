"""Hot-tier durability: every sample acknowledged before a kill -9 is returned after restart, and
a graceful restart gives identical query results."""

import signal
import threading
import time

import harness
import remote_write_client

SERIES = 20
# Recent timestamps: the collector refuses samples older than its retention.
BASE_MS = (int(time.time()) - 3600) * 1000


def batch(i):
    """Request i: one sample for each of SERIES series at t = base + i s, value unique per sample."""
    t = BASE_MS + i * 1000
    return [({"__name__": "durability_probe", "s": str(s)}, [(t, i * 1000.0 + s)])
            for s in range(SERIES)], t


def check_acked(collector, acked):
    missing = []
    for i, t in acked:
        result = collector.query('durability_probe', time_s=t / 1000)
        got = {r["metric"]["s"]: float(r["value"][1]) for r in result}
        for s in range(SERIES):
            if got.get(str(s)) != i * 1000.0 + s:
                missing.append((i, s, got.get(str(s))))
    return missing


def test_acknowledged_samples_survive_kill_9(tmp_path, certs, stack):
    collector = harness.Collector(tmp_path, certs)
    url = collector.http + "/api/v1/write"
    acked = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            series, t = batch(i)
            if remote_write_client.send(url, series, timeout=2) == 204:
                acked.append((i, t))
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    harness.wait_for(lambda: len(acked) >= 200, timeout=60, what="200 acknowledged writes")
    collector.process.proc.send_signal(signal.SIGKILL)  # while the writer is still sending
    collector.process.proc.wait()
    stop.set()
    thread.join()
    assert collector.process.proc.returncode == -signal.SIGKILL

    restarted = stack.add(harness.Collector(tmp_path, certs))
    assert "WAL replayed" in restarted.process.log()
    missing = check_acked(restarted, acked)
    assert missing == [], f"{len(missing)} acknowledged samples lost, e.g. {missing[:5]}"


def test_graceful_restart_gives_identical_results(tmp_path, certs, stack):
    collector = harness.Collector(tmp_path, certs)
    url = collector.http + "/api/v1/write"
    for i in range(300):
        series, _ = batch(i)
        assert remote_write_client.send(url, series) == 204
    probes = [BASE_MS + i * 1000 for i in (0, 1, 119, 120, 121, 240, 299, 400)]
    before = {t: collector.query('durability_probe', time_s=t / 1000) for t in probes}
    labels_before = collector.query('{__name__=~"durability.*"}', time_s=probes[-1] / 1000)
    assert collector.stop() == 0

    restarted = stack.add(harness.Collector(tmp_path, certs))
    after = {t: restarted.query('durability_probe', time_s=t / 1000) for t in probes}
    assert after == before
    assert restarted.query('{__name__=~"durability.*"}', time_s=probes[-1] / 1000) == labels_before
    assert len(before[probes[-2]]) == SERIES


def test_blocks_and_wal_survive_a_graceful_restart(tmp_path, certs, stack):
    """With 1-minute blocks cut every 200 ms, data spanning 10 minutes ends up partly in on-disk
    blocks and partly in the head/WAL; a restart returns exactly the same answers."""
    storage = """
storage:
  block_range: 1m
  maintenance_interval: 200ms
"""
    collector = harness.Collector(tmp_path, certs, extra=storage)
    url = collector.http + "/api/v1/write"
    base = (int(time.time()) - 1200) * 1000  # 20 minutes ago, aligned to the second
    for i in range(0, 600, 5):  # 10 minutes of samples every 5 s, 20 series
        series = [({"__name__": "block_probe", "s": str(s)}, [(base + i * 1000, i * 100.0 + s)])
                  for s in range(SERIES)]
        assert remote_write_client.send(url, series) == 204
    harness.wait_for(
        lambda: collector.metrics().get("strata_collector_hot_blocks_cut_total", 0) >= 5,
        what="blocks cut")
    probes = [base + i * 1000 for i in (0, 55, 60, 65, 299, 300, 595, 700)]
    before = {t: collector.query("block_probe", time_s=t / 1000) for t in probes}
    assert len(before[probes[3]]) == SERIES
    assert float(before[probes[3]][0]["value"][1]) == 6500.0
    assert collector.stop() == 0

    restarted = stack.add(harness.Collector(tmp_path, certs, extra=storage))
    assert "blocks loaded" in restarted.process.log()
    assert restarted.metrics()["strata_collector_hot_blocks"] >= 5
    after = {t: restarted.query("block_probe", time_s=t / 1000) for t in probes}
    assert after == before
