"""The README's first command: the demo brings up collector + agent on embedded defaults and the
printed query answers with live data within 30 s (install and build are skipped here: the test
suite has just built the binaries)."""

import os
import subprocess

import harness


def test_demo_answers_the_printed_query(tmp_path):
    env = dict(os.environ, STRATA_SKIP_INSTALL="1", STRATA_SKIP_BUILD="1",
               STRATA_BUILD_DIR=harness.BUILD, STRATA_DEMO_DIR=str(tmp_path / "demo"))
    r = subprocess.run([os.path.join(harness.ROOT, "scripts", "demo.sh"), "--smoke"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "query=node_load1" in r.stdout
    assert '"resultType":"vector"' in r.stdout
    assert '"__name__":"node_load1"' in r.stdout
