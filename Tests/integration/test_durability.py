"""Acknowledged documents survive kill -9; torn translog tails and corrupt segments are survived."""
import json
import os
import threading
import time

import requests

from conftest import Server


def ingest_until_killed(server, sender, acked, stop):
    """Sends small bulks with unique sequence numbers; records what was acknowledged."""
    n = 0
    session = requests.Session()
    while not stop.is_set():
        lines = []
        batch = []
        for _ in range(50):
            key = f"{sender}-{n}"
            batch.append(key)
            lines.append('{"create":{"_index":"logstash-2024.01.15","_type":"_doc"}}')
            lines.append(json.dumps({"@timestamp": "2024-01-15T10:00:00Z", "key": key, "log": "line " + key}))
            n += 1
        try:
            r = session.post(server.url + "/_bulk", data="\n".join(lines) + "\n",
                             headers={"Content-Type": "application/x-ndjson"}, timeout=10)
        except requests.RequestException:
            return
        if r.status_code == 200:
            body = r.json()
            for key, item in zip(batch, body["items"]):
                if item["create"]["status"] == 201:
                    acked.add(key)


def all_keys(server):
    keys = []
    last = None
    while True:
        body = {"size": 5000, "sort": [{"key.keyword": "asc"}], "_source": ["key"]}
        if last is not None:
            body["search_after"] = [last]
        hits = server.search("logstash-2024.01.15", body).json()["hits"]["hits"]
        if not hits:
            return keys
        keys += [h["_source"]["key"] for h in hits]
        last = hits[-1]["sort"][0]


def test_kill9_during_multi_client_ingest_loses_and_duplicates_nothing(tmp_path):
    server = Server(str(tmp_path / "data")).start()
    acked = set()
    try:
        for rnd in range(4):
            stop = threading.Event()
            senders = [threading.Thread(target=ingest_until_killed, args=(server, f"r{rnd}s{i}", acked, stop)) for i in range(3)]
            for t in senders:
                t.start()
            time.sleep(1.5 + 0.5 * rnd)
            server.kill9()
            stop.set()
            for t in senders:
                t.join()
            server.start()
            keys = all_keys(server)
            assert len(keys) == len(set(keys)), "duplicated documents after kill -9"
            missing = acked - set(keys)
            assert not missing, f"{len(missing)} acknowledged documents lost in round {rnd}"
            assert server.get("/logstash-2024.01.15/_count").json()["count"] == len(keys)
        assert len(acked) > 1000
    finally:
        server.stop()


def test_torn_translog_tail_is_dropped(tmp_path):
    server = Server(str(tmp_path / "data")).start()
    try:
        server.bulk([{"index": {"_index": "torn", "_id": str(i)}} if k == 0 else {"n": i}
                     for i in range(10) for k in (0, 1)])
        server.kill9()
        tdir = os.path.join(server.data_dir, "translog")
        last = sorted(os.listdir(tdir))[-1]
        path = os.path.join(tdir, last)
        size = os.path.getsize(path)
        with open(path, "ab") as f:
            # A record header promising more bytes than follow: what a crash mid-write leaves.
            f.write(b"\x00\x10\x00\x00\xde\xad\xbe\xef" + b"partial")
        server.start()
        assert server.get("/torn/_count").json()["count"] == 10
        assert "torn or corrupt record" in server.log_text()
        assert os.path.getsize(path) <= size + 0  # the torn tail was cut off
        server.bulk([{"index": {"_index": "torn", "_id": "after"}}, {"n": 99}], refresh="true")
        server.kill9()
        server.start()
        assert server.get("/torn/_count").json()["count"] == 11
    finally:
        server.stop()


def test_corrupt_segment_is_reported_and_the_rest_served(tmp_path):
    server = Server(str(tmp_path / "data")).start()
    try:
        server.bulk([{"index": {"_index": "bad-one"}}, {"m": "a"}])
        server.bulk([{"index": {"_index": "good-one"}}, {"m": "b"}])
        assert server.post("/_flush").status_code == 200
        server.stop()
        # Damage one of the two segment files (either index; the test checks both outcomes).
        base = os.path.join(server.data_dir, "indices")
        segs = sorted((os.path.getmtime(os.path.join(base, d, f)), os.path.join(base, d, f))
                      for d in os.listdir(base) for f in os.listdir(os.path.join(base, d)))
        target = segs[0][1]
        with open(target, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 0xFF]))
        server.start()
        log = server.log_text()
        assert os.path.basename(target) in log and "corrupt" in log
        counts = {ix: server.get(f"/{ix}/_count").json()["count"] for ix in ["bad-one", "good-one"]}
        assert sorted(counts.values()) == [0, 1]
        broken = [ix for ix, c in counts.items() if c == 0][0]
        shards = server.search(broken, {}).json()["_shards"]
        assert shards["failed"] == 1
        assert os.path.basename(target) in shards["failures"][0]["reason"]["reason"]
        ok = [ix for ix, c in counts.items() if c == 1][0]
        assert server.search(ok, {}).json()["_shards"]["failed"] == 0
        r = server.get("/_cat/indices?format=json")
        assert r.status_code == 200 and len(r.json()) == 2
        # Writing to the damaged index still works.
        server.bulk([{"index": {"_index": broken}}, {"m": "c"}], refresh="true")
        assert server.get(f"/{broken}/_count").json()["count"] == 1
    finally:
        server.stop()


def test_new_fields_survive_kill9_after_ack(tmp_path):
    server = Server(str(tmp_path / "data")).start()
    try:
        r = server.bulk([{"index": {"_index": "dynkill"}}, {"brand_new": 5, "nested": {"x": "2024-01-15T00:00:00Z"}}])
        assert r.json()["errors"] is False
        server.kill9()
        server.start()
        props = server.get("/dynkill/_mapping").json()["dynkill"]["mappings"]["properties"]
        assert props["brand_new"]["type"] == "long"
        assert props["nested"]["properties"]["x"]["type"] == "date"
        assert server.search("dynkill", {"query": {"range": {"brand_new": {"gte": 5}}}}).json()["hits"]["total"]["value"] == 1
    finally:
        server.stop()


def test_inspect_reports_parts_and_fails_on_a_damaged_file(tmp_path):
    """`logpond inspect`: a healthy segment is "ok" with its parts by kind adding up to less
    than the file; a flipped byte makes it say why and exit non-zero."""
    import subprocess
    from conftest import BIN
    server = Server(str(tmp_path / "data")).start()
    try:
        lines = []
        for i in range(300):
            lines += [{"index": {"_index": "logs"}}, {"@timestamp": "2024-01-15T10:00:00Z", "log": f"GET /api/{i % 7} 200", "pod": f"web-{i % 3}", "n": i}]
        server.bulk(lines)
        assert server.post("/_flush").status_code == 200
    finally:
        server.stop()
    segs = [os.path.join(r, f) for r, _, fs in os.walk(tmp_path / "data") for f in fs if f.endswith(".lps")]
    assert len(segs) == 1
    out = subprocess.run([BIN, "inspect", segs[0]], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ": ok, 300 docs," in out.stdout
    kinds = out.stdout.split("by kind:")[1].split("largest parts:")[0]
    sizes = {line.split(None, 2)[2]: int(line.split()[0]) for line in kinds.strip().splitlines()}
    for kind in ["_source blocks", "postings", "term dictionaries", "numeric columns", "ordinal columns", "norms"]:
        assert sizes.get(kind, 0) > 0, (kind, out.stdout)
    assert sum(sizes.values()) < os.path.getsize(segs[0])
    data = bytearray(open(segs[0], "rb").read())
    data[len(data) // 2] ^= 0x5A
    open(segs[0], "wb").write(bytes(data))
    bad = subprocess.run([BIN, "inspect", segs[0]], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "checksum mismatch" in bad.stdout
