"""Hot-tier durability: every sample acknowledged before a kill -9 is returned after restart, and
a graceful restart gives identical query results."""

import signal
import threading
import time

import harness
import remote_write_client

SERIES = 20


def batch(i):
    """Request i: one sample for each of SERIES series at t = base + i s, value unique per sample."""
    t = 1_700_000_000_000 + i * 1000
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
    probes = [1_700_000_000_000 + i * 1000 for i in (0, 1, 119, 120, 121, 240, 299, 400)]
    before = {t: collector.query('durability_probe', time_s=t / 1000) for t in probes}
    labels_before = collector.query('{__name__=~"durability.*"}', time_s=probes[-1] / 1000)
    assert collector.stop() == 0

    restarted = stack.add(harness.Collector(tmp_path, certs))
    after = {t: restarted.query('durability_probe', time_s=t / 1000) for t in probes}
    assert after == before
    assert restarted.query('{__name__=~"durability.*"}', time_s=probes[-1] / 1000) == labels_before
    assert len(before[probes[-2]]) == SERIES
