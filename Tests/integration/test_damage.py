"""Damage on disk is reported, never hidden (issue 16): a record damaged in the middle of the
translog is kept and reported (not cut off as a torn tail), a damaged segment turns health red
and shows in `_count`'s `_shards.failed`, and `logpond check` lists both offline."""
import os
import subprocess
import struct

from conftest import BIN, Server


def translog_files(server):
    tdir = os.path.join(server.data_dir, "translog")
    return tdir, sorted(f for f in os.listdir(tdir) if f.startswith("translog-"))


def records(data):
    """(offset, length) of each framed record after the 20-byte header."""
    out, pos = [], 20
    while pos + 8 <= len(data):
        (n,) = struct.unpack_from("<I", data, pos)
        out.append((pos, n))
        pos += 8 + n
    return out


def check(data_dir):
    return subprocess.run([BIN, "check", "--data", data_dir], capture_output=True, text=True, timeout=120)


def test_damaged_middle_record_is_reported_and_later_ones_replayed(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        lines = []
        for i in range(20):
            lines += [{"index": {"_index": "mid", "_id": str(i)}}, {"n": i}]
        assert s.bulk(lines).status_code == 200
        s.kill9()
        tdir, files = translog_files(s)
        path = os.path.join(tdir, files[-1])
        data = bytearray(open(path, "rb").read())
        recs = records(data)
        assert len(recs) == 20
        off, n = recs[5]
        data[off + 8 + n // 2] ^= 0xFF    # one byte of the sixth record's payload
        open(path, "wb").write(data)
        size = len(data)
        out = check(s.data_dir)
        assert out.returncode == 1 and "damaged at byte" in out.stdout, out.stdout
        s.start()
        # Nothing was cut off: the damaged record and everything after it are still on disk.
        assert os.path.getsize(path) >= size
        assert any(f.startswith("damaged-translog-") for f in os.listdir(tdir))
        assert "is damaged at byte" in s.log_text()
        # Health says so; the index still answers and reports a failed shard.
        assert s.get("/_cluster/health").json()["status"] == "red"
        r = s.get("/mid/_count").json()
        assert r["count"] == 19, r    # every record but the damaged one
        assert r["_shards"]["failed"] == 1, r
        assert "damaged" in r["_shards"]["failures"][0]["reason"]["reason"]
        rows = s.get("/_cat/indices?format=json").json()
        assert [x["health"] for x in rows if x["index"] == "mid"] == ["red"]
    finally:
        s.stop()


def test_whole_but_undecodable_record_is_damage_not_a_torn_tail(tmp_path):
    # A record whose checksum holds but which does not decode (as a 5,000-byte id once did):
    # before, replay took it for a torn tail and cut off the 100 documents after it.
    import zlib
    s = Server(str(tmp_path / "data")).start()
    try:
        lines = []
        for i in range(100):
            lines += [{"index": {"_index": "undec", "_id": str(i)}}, {"n": i}]
        assert s.bulk(lines).status_code == 200
        s.kill9()
        tdir, files = translog_files(s)
        path = os.path.join(tdir, files[-1])
        data = bytes(open(path, "rb").read())
        payload = bytes([9]) + b"not a record"
        bad = struct.pack("<II", len(payload), zlib.crc32(payload) & 0xFFFFFFFF) + payload
        data = data[:20] + bad + data[20:]
        open(path, "wb").write(data)
        s.start()
        assert s.get("/undec/_count").json()["count"] == 100
        assert "record does not decode" in s.log_text()
        assert s.get("/_cluster/health").json()["status"] == "red"
    finally:
        s.stop()


def test_damaged_segment_turns_health_red_and_check_lists_it(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        s.bulk([{"index": {"_index": "seg"}}, {"m": "a"}, {"index": {"_index": "seg"}}, {"m": "b"}])
        assert s.post("/_flush").status_code == 200
        assert check(s.data_dir).returncode == 0
        assert s.get("/_cluster/health").json()["status"] == "green"
        s.stop()
        base = os.path.join(s.data_dir, "indices")
        seg = [os.path.join(base, d, f) for d in os.listdir(base) for f in os.listdir(os.path.join(base, d))][0]
        with open(seg, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 0xFF]))
        out = check(s.data_dir)
        assert out.returncode == 1 and os.path.basename(seg) in out.stdout, out.stdout
        s.start()
        assert s.get("/_cluster/health").json()["status"] == "red"
        r = s.get("/seg/_count").json()
        assert r["count"] == 0 and r["_shards"]["failed"] == 1, r
        assert os.path.basename(seg) in r["_shards"]["failures"][0]["reason"]["reason"]
    finally:
        s.stop()


def test_check_on_a_healthy_folder_and_on_a_missing_one(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        s.bulk([{"index": {"_index": "fine"}}, {"m": "a"}])
        s.post("/_flush")
        out = check(s.data_dir)
        assert out.returncode == 0 and "no damage found" in out.stdout, out.stdout
    finally:
        s.stop()
    out = check(str(tmp_path / "nowhere"))
    assert out.returncode != 0 and "no catalog" in (out.stdout + out.stderr)
