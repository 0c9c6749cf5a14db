"""Scrape jobs with Prometheus' HTTP client settings against the real node_exporter: https with a
CA, a client certificate, server_name and basic_auth (node_exporter's --web.config.file); a wrong
CA gives up 0 and a clear log line instead of samples; and `params` become the query string
(node_exporter's collect[] filter), so only the chosen collectors' series reach the collector."""

import base64
import ssl
import urllib.request
import warnings

import harness

# node_exporter checks basic_auth passwords against bcrypt hashes.
PASSWORD = "s3cret-scrape"


def bcrypt_hash(password):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # Debian 12's Python 3.11 has it (libxcrypt does bcrypt); gone in 3.13
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))


class TlsNodeExporter:
    """node_exporter serving https with `web_config` (tls_server_config and friends)."""

    def __init__(self, tmp, name, web_config, certs, client_cert=True, auth=None):
        self.web_config = harness.write_yaml(tmp / f"{name}-web.yaml", web_config)
        self.context = ssl.create_default_context(cafile=f"{certs}/ca.pem")
        if client_cert:
            self.context.load_cert_chain(f"{certs}/agent.pem", f"{certs}/agent-key.pem")
        self.headers = {}
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        for attempt in range(5):
            self.port = harness.free_port()
            self.process = harness.Process(name, [
                harness.NODE_EXPORTER_BIN, f"--web.listen-address=127.0.0.1:{self.port}",
                f"--web.config.file={self.web_config}"], str(tmp / f"{name}{attempt}.log"))
            try:
                harness.wait_for(self.ready, timeout=10, what=f"{name} up over https")
                return
            except AssertionError:
                self.process.stop()
        raise AssertionError(f"{name} did not start")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def get(self):
        req = urllib.request.Request(f"https://localhost:{self.port}/metrics",
                                     headers=self.headers)
        with urllib.request.urlopen(req, timeout=5, context=self.context) as r:
            return r.status, r.read().decode()

    def ready(self):
        try:
            return self.get()[0] == 200
        except OSError:
            return False

    def scrape(self):
        return harness.parse_metrics(self.get()[1])

    def stop(self):
        return self.process.stop()


def only(result):
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def test_https_with_client_certificate_and_basic_auth_reaches_the_query_api(tmp_path, certs,
                                                                            stack):
    node = stack.add(TlsNodeExporter(tmp_path, "node-mtls", f"""
tls_server_config:
  cert_file: {certs}/collector.pem
  key_file: {certs}/collector-key.pem
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {certs}/ca.pem
basic_auth_users:
  prom: "{bcrypt_hash(PASSWORD)}"
""", certs, auth=("prom", PASSWORD)))
    password_file = tmp_path / "scrape-password"
    password_file.write_text(PASSWORD + "\n")
    collector = stack.add(harness.Collector(tmp_path, certs))
    # The certificate names localhost and 127.0.0.1; server_name makes the agent check it for
    # "strata-collector" (also in it) while connecting to 127.0.0.1.
    agent = stack.add(harness.Agent(tmp_path, "agent-https", collector.grpc, certs, f"""
scrape_configs:
  - job_name: node-https
    scheme: https
    scrape_interval: 1s
    scrape_timeout: 900ms
    tls_config:
      ca_file: {certs}/ca.pem
      cert_file: {certs}/agent.pem
      key_file: {certs}/agent-key.pem
      server_name: strata-collector
    basic_auth:
      username: prom
      password_file: {password_file}
    static_configs:
      - targets: ["{node.address}"]
"""))
    sel = '{job="node-https",instance="%s"}' % node.address
    direct = node.scrape()
    result = harness.wait_for(lambda: collector.query("node_memory_MemTotal_bytes" + sel),
                              what="MemTotal over https at the collector")
    assert only(result) == direct["node_memory_MemTotal_bytes"]
    assert result[0]["metric"] == {"__name__": "node_memory_MemTotal_bytes", "job": "node-https",
                                   "instance": node.address}
    assert only(collector.query("node_boot_time_seconds" + sel)) == direct["node_boot_time_seconds"]
    assert only(collector.query("up" + sel)) == 1.0
    assert agent.metrics().get('strata_agent_scrapes_failed_total{job="node-https"}', 0) == 0


def test_wrong_ca_makes_the_target_down_with_the_reason_logged(tmp_path, certs, other_ca_certs,
                                                               stack):
    node = stack.add(TlsNodeExporter(tmp_path, "node-tls", f"""
tls_server_config:
  cert_file: {certs}/collector.pem
  key_file: {certs}/collector-key.pem
""", certs, client_cert=False))
    collector = stack.add(harness.Collector(tmp_path, certs))
    # Two jobs on the same exporter: only the CA differs, so the one that fails fails on it.
    agent = stack.add(harness.Agent(tmp_path, "agent-wrong-ca", collector.grpc, certs, f"""
scrape_configs:
  - job_name: right-ca
    scheme: https
    scrape_interval: 1s
    scrape_timeout: 900ms
    tls_config: {{ca_file: {certs}/ca.pem}}
    static_configs: [{{targets: ["{node.address}"]}}]
  - job_name: wrong-ca
    scheme: https
    scrape_interval: 1s
    scrape_timeout: 900ms
    tls_config: {{ca_file: {other_ca_certs}/ca.pem}}
    static_configs: [{{targets: ["{node.address}"]}}]
"""))
    harness.wait_for(lambda: collector.query('up{job="right-ca"} == 1'), what="right-ca up")
    down = harness.wait_for(lambda: collector.query('up{job="wrong-ca"}'), what="wrong-ca up")
    assert down[0]["metric"]["instance"] == node.address
    assert only(down) == 0.0
    assert collector.query('node_memory_MemTotal_bytes{job="wrong-ca"}') == []
    assert collector.query('node_memory_MemTotal_bytes{job="right-ca"}') != []
    agent.process.wait_log(r"msg=\"?scrape failed.*wrong-ca.*certificate of 127\.0\.0\.1:%d not "
                           r"accepted: unable to get local issuer certificate" % node.port)
    assert agent.metrics()['strata_agent_scrapes_failed_total{job="wrong-ca"}'] >= 1
    assert agent.process.proc.poll() is None  # still running


def test_params_become_the_query_string(tmp_path, certs, stack):
    """node_exporter's collect[] filter: the configured values (two of them) select the
    collectors, so cpu and loadavg series arrive and meminfo's never do."""
    node = stack.add(harness.NodeExporter(tmp_path))
    collector = stack.add(harness.Collector(tmp_path, certs))
    stack.add(harness.Agent(tmp_path, "agent-params", collector.grpc, certs, f"""
scrape_configs:
  - job_name: node-params
    scrape_interval: 1s
    scrape_timeout: 900ms
    params:
      collect[]: [cpu, loadavg]
    static_configs:
      - targets: ["{node.address}"]
"""))
    sel = '{job="node-params"}'
    harness.wait_for(lambda: collector.query("node_cpu_seconds_total" + sel), what="cpu series")
    harness.wait_for(lambda: collector.query("node_load1" + sel), what="loadavg series")
    # A few more scrapes: still nothing from the collectors that were not asked for.
    harness.wait_for(lambda: only(collector.query("count_over_time(up%s[1m])" % sel)) >= 3,
                     what="three scrapes")
    assert collector.query("node_memory_MemTotal_bytes" + sel) == []
    assert collector.query("node_filesystem_size_bytes" + sel) == []
    collectors = {r["metric"]["collector"]
                  for r in collector.query("node_scrape_collector_success" + sel)}
    assert collectors == {"cpu", "loadavg"}
    # The unfiltered exporter has many more collectors: the filter is what made the difference.
    assert len({k for k in node.scrape() if k.startswith("node_scrape_collector_success")}) > 2
