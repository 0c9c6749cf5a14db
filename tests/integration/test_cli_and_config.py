"""Command line and configuration errors: clear messages naming file, line and key; exit code 2;
nothing started."""

import subprocess

import harness


def run(args, timeout=10):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def test_unknown_key_names_file_line_and_key(tmp_path):
    cfg = harness.write_yaml(tmp_path / "c.yaml", "http_listen: 127.0.0.1:0\nstorage:\n  retension: 1h\n")
    r = run([harness.COLLECTOR_BIN, "--config", cfg])
    assert r.returncode == 2
    assert f"{cfg}:3:3" in r.stderr
    assert '"storage.retension"' in r.stderr
    assert "unknown key" in r.stderr


def test_wrong_type_is_rejected_before_anything_starts(tmp_path):
    cfg = harness.write_yaml(tmp_path / "a.yaml", "http_listen: 127.0.0.1:0\nscrape_configs:\n"
                             "  - job_name: x\n    scrape_interval: often\n")
    r = run([harness.AGENT_BIN, "--config", cfg])
    assert r.returncode == 2
    assert f"{cfg}:4:22" in r.stderr
    assert "scrape_configs[0].scrape_interval" in r.stderr
    assert "msg=starting" not in r.stderr  # nothing was started


def test_yaml_syntax_error_names_line(tmp_path):
    cfg = harness.write_yaml(tmp_path / "s.yaml", "a: [1, 2\n")
    r = run([harness.COLLECTOR_BIN, "--config", cfg])
    assert r.returncode == 2
    assert f"{cfg}:" in r.stderr


def test_missing_tls_file_is_a_config_error(tmp_path):
    r = run([harness.COLLECTOR_BIN, "--tls-ca", str(tmp_path / "none.pem"), "--http-listen",
             "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"])
    assert r.returncode == 2
    assert "tls.ca_file" in r.stderr and "none.pem" in r.stderr


def test_check_config_accepts_good_files(tmp_path, certs):
    cfg = harness.write_yaml(tmp_path / "ok.yaml", f"tls:\n  ca_file: {certs}/ca.pem\n"
                             f"  cert_file: {certs}/collector.pem\n"
                             f"  key_file: {certs}/collector-key.pem\n")
    r = run([harness.COLLECTOR_BIN, "--config", cfg, "--check-config"])
    assert r.returncode == 0, r.stderr
    r = run([harness.AGENT_BIN, "--check-config"])
    assert r.returncode == 0, r.stderr


def test_help_documents_every_override_flag():
    r = run([harness.COLLECTOR_BIN, "--help"])
    assert r.returncode == 0
    for flag in ["--config", "--data-dir", "--http-listen", "--grpc-listen", "--tls-ca",
                 "--tls-cert", "--tls-key", "--version", "--check-config"]:
        assert flag in r.stdout, flag
    r = run([harness.AGENT_BIN, "--help"])
    assert r.returncode == 0
    for flag in ["--config", "--collector", "--http-listen", "--tls-ca", "--tls-cert",
                 "--tls-key", "--version"]:
        assert flag in r.stdout, flag


def test_version_flag():
    for binary, name in [(harness.COLLECTOR_BIN, "strata-collector"), (harness.AGENT_BIN, "strata-agent")]:
        r = run([binary, "--version"])
        assert r.returncode == 0
        assert r.stdout.startswith(name + " 0.")


def test_config_reference_parses_back(tmp_path):
    for binary in [harness.COLLECTOR_BIN, harness.AGENT_BIN]:
        ref = run([binary, "--print-config-reference"]).stdout
        cfg = harness.write_yaml(tmp_path / "ref.yaml", ref)
        r = run([binary, "--config", cfg, "--check-config"])
        # The reference names dev cert paths relative to the working dir; only TLS may fail.
        assert r.returncode == 0 or "tls" in r.stderr, r.stderr
