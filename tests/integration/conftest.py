import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return harness.gen_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def other_ca_certs(tmp_path_factory):
    """A second, unrelated CA with its own agent certificate."""
    return harness.gen_certs(tmp_path_factory.mktemp("other-ca"))


@pytest.fixture
def stack(tmp_path):
    """Tracks started processes and stops them all at the end of a test."""
    started = []

    class Stack:
        def add(self, p):
            started.append(p)
            return p

    yield Stack()
    for p in reversed(started):
        p.stop()
