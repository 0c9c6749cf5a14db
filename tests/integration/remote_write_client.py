"""A minimal Prometheus remote-write 1.0 client for tests: encodes WriteRequest protobuf by hand
(the message layout is small and public) and compresses it with python3-snappy (block format)."""

import struct
import urllib.error
import urllib.request

import snappy


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len_field(number, payload):
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def encode_write_request(series):
    """series: list of (labels dict, [(timestamp_ms, value), ...])."""
    body = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for name in sorted(labels):
            ts += _len_field(1, _len_field(1, name.encode()) + _len_field(2, labels[name].encode()))
        for t, v in samples:
            sample = _varint((1 << 3) | 1) + struct.pack("<d", v) + _varint(2 << 3) + _varint(t)
            ts += _len_field(2, sample)
        body += _len_field(1, bytes(ts))
    return bytes(body)


def send(url, series, timeout=5):
    """Returns the HTTP status (or None when the server could not be reached)."""
    data = snappy.compress(encode_write_request(series))
    req = urllib.request.Request(url, data=data, headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, OSError):
        return None
