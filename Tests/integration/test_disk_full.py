"""A full disk (issue 15): a 64 MiB tmpfs as the data folder, filled by bulk writes.

Every write past the flood stage gets 429 cluster_block_exception, reads go on, deleting the
oldest index works and writes come back within one check interval, the server starts again
on the full disk after kill -9, every acknowledged document is there, and the translog keeps
no leftover generations. Needs root to mount the tmpfs; skipped otherwise.
"""
import json
import os
import random
import struct
import subprocess
import time

import pytest
import requests

from conftest import Server

CHECK_INTERVAL_S = 2
CONFIG = f"cluster.info.update.interval: {CHECK_INTERVAL_S}s\n"
FLOOD_REASON = "blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.decode(errors="replace"))
    yield str(mnt)
    subprocess.run(["umount", "-l", str(mnt)])


def start(tmpfs, tmp_path):
    s = Server(os.path.join(tmpfs, "data"), CONFIG)
    # Logs live beside the tmpfs, not on it: the full disk must not swallow them.
    s.log_path = str(tmp_path / "server.log")
    return s.start()


def docs_for(index, n, rng):
    """Bulk lines with explicit ids and bodies zstd cannot shrink much (the disk must fill)."""
    lines, ids = [], []
    for _ in range(n):
        doc_id = "%016x" % rng.getrandbits(64)
        ids.append(doc_id)
        lines.append(json.dumps({"index": {"_index": index, "_id": doc_id}}))
        lines.append(json.dumps({"@timestamp": "2019-01-01T00:00:00Z", "log": "%x" % rng.getrandbits(4096),
                                 "kubernetes": {"pod_name": "pod-%d" % rng.randrange(50)}}))
    return ("\n".join(lines) + "\n").encode(), ids


def send(server, body):
    return requests.post(server.url + "/_bulk", data=body, headers={"Content-Type": "application/x-ndjson"}, timeout=120)


def assert_flood_429(r, index):
    assert r.status_code == 429, r.text[:500]
    err = r.json()["error"]
    assert err["type"] == "cluster_block_exception", err
    assert err["reason"] == f"index [{index}] {FLOOD_REASON}", err


def fill(server, acked, rng, day_start=1, per_index=40, max_bulks=3000, stop_after=None):
    """Writes 500-document bulks into daily indices until the disk stays full: the flood-stage
    block answers every write for two check intervals in a row (until then a flush that
    compresses the translog's documents into segments may free enough to lift it, and writes
    go on, as they should). Records acknowledged ids per index; every refusal must be the
    block. Returns the time the block was first met (None if stopped early)."""
    day = day_start
    first_block = None
    blocked_since = None
    for n in range(max_bulks):
        if stop_after is not None and n >= stop_after:
            return None
        if n and n % per_index == 0:
            day += 1
        index = "logstash-2019.01.%02d" % day
        body, ids = docs_for(index, 500, rng)
        r = send(server, body)
        if r.status_code == 200:
            out = r.json()
            assert not out["errors"], [i for i in out["items"] if "error" in next(iter(i.values()))][:3]
            acked.setdefault(index, set()).update(ids)
            blocked_since = None
            continue
        assert_flood_429(r, index)
        now = time.time()
        first_block = first_block or now
        blocked_since = blocked_since or now
        if now - blocked_since > 2 * CHECK_INTERVAL_S:
            return first_block
        time.sleep(0.3)
    raise AssertionError("the disk never filled")


def count(server, index):
    server.post(f"/{index}/_refresh")
    r = server.get(f"/{index}/_count")
    assert r.status_code == 200, r.text
    return r.json()["count"]


def assert_all_there(server, acked):
    for index, ids in acked.items():
        if not ids:
            continue
        assert count(server, index) == len(ids), index
        # Spot-check ids: an acknowledged document is there by its own id, not only counted.
        for doc_id in random.Random(1).sample(sorted(ids), min(20, len(ids))):
            r = server.get(f"/{index}/_doc/{doc_id}")
            assert r.status_code == 200 and r.json()["found"], (index, doc_id)


def translog_files(tmpfs):
    d = os.path.join(tmpfs, "data", "translog")
    return sorted(f for f in os.listdir(d) if f.startswith("translog-"))


def assert_no_leftover_generations(tmpfs):
    files = translog_files(tmpfs)
    # The current generation and at most the one a flush is about to trim.
    assert 1 <= len(files) <= 2, files
    for f in files:
        with open(os.path.join(tmpfs, "data", "translog", f), "rb") as fh:
            head = fh.read(20)
        assert len(head) == 20 and struct.unpack("<I", head[:4])[0] == 0x474C544C, (f, head)


def node_disk(server):
    node = next(iter(server.get("/_nodes/stats").json()["nodes"].values()))
    return node["fs"]["watermark"]


def test_flood_stage_blocks_writes_reads_and_deletes_go_on_and_writes_resume(tmpfs, tmp_path):
    rng = random.Random(15)
    server = start(tmpfs, tmp_path)
    acked = {}
    try:
        fill(server, acked, rng)
        assert len(acked) >= 2, "needs at least two indices to delete one"
        # Every write now gets the block, a single document as well as a bulk.
        for _ in range(5):
            body, _ = docs_for("logstash-2019.01.01", 50, rng)
            assert_flood_429(send(server, body), "logstash-2019.01.01")
        r = server.post("/logstash-2019.01.01/_doc", {"log": "x"})
        assert_flood_429(r, "logstash-2019.01.01")
        assert node_disk(server)["read_only_allow_delete"] is True
        settings = server.get("/logstash-2019.01.01/_settings").json()
        assert settings["logstash-2019.01.01"]["settings"]["index"]["blocks"]["read_only_allow_delete"] == "true"
        # Reads go on.
        total = sum(len(v) for v in acked.values())
        assert server.get("/logstash-*/_count").json()["count"] == total
        r = server.search("logstash-*", {"query": {"match": {"kubernetes.pod_name": "pod-1"}}, "size": 1})
        assert r.status_code == 200 and r.json()["hits"]["total"]["value"] > 0
        assert server.get("/_cat/indices?format=json").status_code == 200
        alloc = server.get("/_cat/allocation?format=json").json()[0]
        assert alloc["node"] and int(alloc["disk.percent"]) > 50, alloc
        # Deleting a document goes on too (it is how some operators make room).
        some = next(iter(acked["logstash-2019.01.02"]))
        assert server.delete(f"/logstash-2019.01.02/_doc/{some}").status_code == 200
        acked["logstash-2019.01.02"].discard(some)
        # The operator's way out: delete the oldest index.
        r = server.delete("/logstash-2019.01.01")
        assert r.status_code == 200, r.text
        acked.pop("logstash-2019.01.01")
        # Writes resume within one check interval, without a restart.
        deadline = time.time() + CHECK_INTERVAL_S + 1.5
        while True:
            body, ids = docs_for("logstash-2019.01.09", 20, rng)
            r = send(server, body)
            if r.status_code == 200:
                assert not r.json()["errors"]
                acked.setdefault("logstash-2019.01.09", set()).update(ids)
                break
            assert_flood_429(r, "logstash-2019.01.09")
            assert time.time() < deadline, "writes did not resume within one check interval"
            time.sleep(0.2)
        assert node_disk(server)["read_only_allow_delete"] is False
        assert "flood stage disk watermark" in server.log_text() or "no space left on the device" in server.log_text()
        assert "the read-only-allow-delete block is lifted" in server.log_text()
        assert_all_there(server, acked)
        server.post("/_flush")
        assert_no_leftover_generations(tmpfs)
    finally:
        server.stop()


def test_kill_9_at_any_point_starts_on_the_full_disk_with_every_acknowledged_document(tmpfs, tmp_path):
    rng = random.Random(16)
    acked = {}
    server = start(tmpfs, tmp_path)
    # Killed while filling, at the flood stage, and again after filling the restarted server.
    fill(server, acked, rng, stop_after=25)
    server.kill9()
    server = start(tmpfs, tmp_path)
    assert_all_there(server, acked)
    fill(server, acked, rng, day_start=4)
    server.kill9()
    server = start(tmpfs, tmp_path)
    # Writes on the restarted server go to the translog until the disk proves full again.
    assert fill(server, acked, rng, day_start=20) is not None
    server.kill9()
    server = start(tmpfs, tmp_path)
    try:
        assert_all_there(server, acked)
        # The operator deletes the oldest indices until writes come back: the documents the
        # translog holds must reach segments before it can be trimmed, so one small index
        # may not be enough room.
        while True:
            oldest = sorted(acked)[0]
            assert len(acked) > 1, "writes did not resume with all but one index deleted"
            assert server.delete("/" + oldest).status_code == 200
            acked.pop(oldest)
            time.sleep(CHECK_INTERVAL_S + 1)
            body, ids = docs_for("logstash-2019.01.21", 20, rng)
            r = send(server, body)
            if r.status_code == 200:
                break
            assert_flood_429(r, "logstash-2019.01.21")
        acked["logstash-2019.01.21"] = set(ids)
        assert_all_there(server, acked)
        server.post("/_flush")
        assert_no_leftover_generations(tmpfs)
    finally:
        server.stop()
