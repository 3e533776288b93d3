"""The Fluent Forward input (issue 18 item 6): Fluent Bit's wire fixtures (PackedForward,
Forward, CompressedPackedForward) acknowledged and searchable, 10,000 events from the real
`fluent-logger` client each stored exactly once, acknowledged chunks surviving kill -9, the
shared-key handshake, and bad input closing only its own connection."""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

import pytest

from conftest import FIXTURES, PYDEPS, Server, free_port

FLUENT = os.path.join(PYDEPS, "fluent")
if not os.path.isdir(FLUENT):
    pytest.fail(f"{FLUENT} missing: run `make pydeps` (make test does)", pytrace=False)
sys.path.insert(0, FLUENT)
import msgpack  # noqa: E402  (from the fluent-logger install)
from fluent import sender  # noqa: E402

FWD = os.path.join(FIXTURES, "forward")


def start(tmp_path, config=None, name="data"):
    port = free_port()
    s = Server(str(tmp_path / name), config, extra_args=["--forward-port", str(port)])
    s.forward_port = port
    return s.start()


@pytest.fixture
def fwd(tmp_path):
    s = start(tmp_path)
    yield s
    s.stop()


def connect(s):
    c = socket.create_connection(("127.0.0.1", s.forward_port), timeout=10)
    return c


def read_one(c):
    u = msgpack.Unpacker(raw=False)
    while True:
        data = c.recv(65536)
        if not data:
            return None
        u.feed(data)
        for v in u:
            return v


def count(s, index, q=None):
    s.post(f"/{index}/_refresh")
    r = s.post(f"/{index}/_count", {"query": q} if q else None)
    return r.json().get("count", 0) if r.status_code == 200 else 0


@pytest.mark.parametrize("name", ["fluentbit-1x-packedforward.bin", "fluentbit-2x-forward.bin", "fluentbit-2x-compressed.bin"])
def test_fluent_bit_wire_fixtures(fwd, name):
    with open(os.path.join(FWD, name), "rb") as f:
        wire = f.read()
    expected_chunk = msgpack.unpackb(wire, raw=False, strict_map_key=False)[2]["chunk"]
    c = connect(fwd)
    c.sendall(wire)
    assert read_one(c) == {"ack": expected_chunk}
    c.close()
    idx = "logstash-2018.02.04"
    assert count(fwd, idx) == 3
    hits = fwd.search(idx, {"sort": [{"@timestamp": "asc"}], "size": 3}).json()["hits"]["hits"]
    src = hits[0]["_source"]
    assert src["@timestamp"] == "2018-02-04T01:17:27.349Z"
    assert src["tag"].startswith("kube.var.log.containers.weave-scope-agent-56dfr")
    assert src["kubernetes"]["labels"]["controller-revision-hash"] == "1130764677"
    assert src["time"] == "2018-02-04T01:17:27.349642941Z" and src["stream"] == "stderr"
    # The fluent-logging template maps the fields: keyword search on the pod name works.
    assert count(fwd, idx, {"term": {"kubernetes.pod_name": "weave-scope-agent-56dfr"}}) == 3
    assert count(fwd, idx, {"match": {"log": "getsockopt"}}) == 3


def test_fluent_logger_10000_events_each_once(fwd):
    lg = sender.FluentSender("app", host="127.0.0.1", port=fwd.forward_port, nanosecond_precision=True)
    base = 1764806400  # 2025-12-04
    for i in range(10000):
        assert lg.emit_with_time("web", base + i % 3600, {"seq": i, "msg": f"request {i} done", "level": ["info", "warn"][i % 2]}), lg.last_error
    lg.close()
    deadline = time.time() + 30
    while time.time() < deadline and count(fwd, "logstash-2025.12.04") < 10000:
        time.sleep(0.2)
    assert count(fwd, "logstash-2025.12.04") == 10000
    r = fwd.search("logstash-2025.12.04", {"size": 0, "aggs": {"u": {"cardinality": {"field": "seq"}}, "t": {"terms": {"field": "tag.keyword"}}}}).json()
    assert r["aggregations"]["u"]["value"] == 10000, "each event exactly once"
    assert r["aggregations"]["t"]["buckets"] == [{"key": "app.web", "doc_count": 10000}]


def forward_message(tag, events, chunk):
    entries = [[msgpack.ExtType(0, struct.pack(">II", t, 0)), rec] for t, rec in events]
    return msgpack.packb([tag, entries, {"chunk": chunk, "size": len(entries)}], use_bin_type=True)


def test_acknowledged_chunks_survive_kill9(tmp_path):
    s = start(tmp_path)
    acked = []
    stop = threading.Event()

    def send(sender_id):
        try:
            c = connect(s)
            n = 0
            while not stop.is_set():
                chunk = f"{sender_id}-{n}"
                events = [(1764806400 + k, {"sender": sender_id, "batch": n, "k": k, "key": f"{chunk}-{k}"}) for k in range(50)]
                c.sendall(forward_message("dur", events, chunk))
                reply = read_one(c)
                if reply != {"ack": chunk}:
                    return
                acked.append(chunk)
                n += 1
        except OSError:
            return

    threads = [threading.Thread(target=send, args=(f"s{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    s.kill9()
    stop.set()
    for t in threads:
        t.join()
    s.start()
    assert len(acked) > 10
    got = set()
    last = None
    while True:
        body = {"size": 5000, "sort": [{"key.keyword": "asc"}], "_source": ["key"]}
        if last:
            body["search_after"] = [last]
        hits = s.search("logstash-2025.12.04", body).json()["hits"]["hits"]
        if not hits:
            break
        got.update(h["_source"]["key"] for h in hits)
        last = hits[-1]["sort"][0]
    missing = [c for c in acked if any(f"{c}-{k}" not in got for k in range(50))]
    assert not missing, f"{len(missing)} acknowledged chunks lost"
    s.stop()


def handshake(c, key, host=b"client-host"):
    helo = read_one(c)
    assert helo[0] == "HELO" and len(helo[1]["nonce"]) == 16
    nonce = helo[1]["nonce"]
    salt = b"saltsaltsaltsalt"
    digest = hashlib.sha512(salt + host + nonce + key).hexdigest()
    c.sendall(msgpack.packb(["PING", host.decode(), salt.decode(), digest, "", ""], use_bin_type=True))
    return read_one(c), nonce, salt


def test_shared_key_handshake(tmp_path):
    s = start(tmp_path, "logpond:\n  forward:\n    shared_key: s3cret\n    hostname: central\n")
    try:
        c = connect(s)
        pong, nonce, salt = handshake(c, b"s3cret")
        assert pong[0] == "PONG" and pong[1] is True and pong[3] == "central"
        assert pong[4] == hashlib.sha512(salt + b"central" + nonce + b"s3cret").hexdigest()
        c.sendall(forward_message("keyed", [(1764806400, {"a": 1})], "c1"))
        assert read_one(c) == {"ack": "c1"}
        c.close()
        assert count(s, "logstash-2025.12.04") == 1
        c = connect(s)
        pong, _, _ = handshake(c, b"wrong")
        assert pong[1] is False
        assert read_one(c) is None, "closed after a failed handshake"
        c = connect(s)
        read_one(c)  # HELO
        c.sendall(forward_message("sneaky", [(1764806400, {"a": 2})], "c2"))
        reply = read_one(c)
        assert reply[0] == "PONG" and reply[1] is False
        assert count(s, "logstash-2025.12.04") == 1, "nothing stored without the key"
        assert "failed the shared-key handshake" in s.log_text()
        # Before the key is proven the server holds no more than a PING's worth (64 KB) of a
        # client's bytes: a larger first message closes the connection, unread.
        c = connect(s)
        read_one(c)  # HELO
        try:
            c.sendall(b"\xdb" + struct.pack(">I", 1 << 20) + b"x" * 70000)
            closed = read_one(c) is None
        except (ConnectionResetError, BrokenPipeError):
            closed = True   # closed with our bytes unread: the kernel answers with a reset
        assert closed, "closed before 1 MB was buffered"
        deadline = time.time() + 5
        while "a message is larger than 65536 bytes" not in s.log_text():
            assert time.time() < deadline, "the refusal is logged"
            time.sleep(0.05)
        # After it, messages over 64 KB are taken as before.
        c = connect(s)
        handshake(c, b"s3cret")
        c.sendall(forward_message("keyed", [(1764806400, {"a": 3, "big": "y" * 100000})], "c3"))
        assert read_one(c) == {"ack": "c3"}
        c.close()
        assert count(s, "logstash-2025.12.04") == 2
    finally:
        s.stop()


def test_bad_input_closes_only_its_connection(fwd):
    good = connect(fwd)
    for junk in [b"\xc1garbage", msgpack.packb({"not": "an array"}), msgpack.packb(["tag", "not-a-time", {"a": 1}]),
                 msgpack.packb(["tag", b"not gzip at all", {"compressed": "gzip"}], use_bin_type=True),
                 b"\x93\xa3tag\xc6\xff\xff\xff\xff"]:
        c = connect(fwd)
        c.sendall(junk)
        c.shutdown(socket.SHUT_WR)
        assert read_one(c) is None
        c.close()
    good.sendall(forward_message("ok", [(1764806400, {"a": 1}), (1764806401, "not a map")], "g1"))
    assert read_one(good) == {"ack": "g1"}
    assert count(fwd, "logstash-2025.12.04") == 1
    assert "were not stored" in fwd.log_text()
    assert fwd.get("/").status_code == 200


def test_refuses_open_forward_port_without_shared_key(tmp_path):
    import subprocess
    from conftest import BIN
    r = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d"), "--port", str(free_port()), "--forward-port", str(free_port()),
                        "--forward-host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "without logpond.forward.shared_key" in r.stdout + r.stderr


def test_index_prefix(tmp_path):
    s = start(tmp_path, "logpond:\n  forward:\n    index_prefix: fwd\n")
    try:
        c = connect(s)
        c.sendall(forward_message("p", [(1764806400, {"a": 1})], "x"))
        assert read_one(c) == {"ack": "x"}
        assert count(s, "fwd-2025.12.04") == 1
    finally:
        s.stop()
