"""Index lifecycle: Curator and `logpond curate` from cron, the built-in retention policy, and
the admin APIs they use (issue 7)."""
import calendar
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import BIN, Server, assert_es_error

DAY = 86400


def utc_midnight(days_ago):
    t = time.gmtime(time.time() - days_ago * DAY)
    return calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))


def daily_names(days=20):
    return {time.strftime("logstash-%Y.%m.%d", time.gmtime(utc_midnight(k))): k for k in range(days + 1)}


def expected_by_name(names, older_than_days):
    """Curator's rule: the name's date (UTC midnight) is before now - N days."""
    cutoff = time.time() - older_than_days * DAY
    return {n for n, k in names.items() if utc_midnight(k) < cutoff}


def make_daily(server, names, creation_offset=None):
    for n, k in names.items():
        body = {}
        if creation_offset is not None:
            body = {"settings": {"index.creation_date": int((time.time() - k * DAY + creation_offset) * 1000)}}
        assert server.put("/" + n, body).status_code == 200
    server.put("/other-index", {})


def index_names(server):
    return set(server.get("/_all/_settings?expand_wildcards=open%2Cclosed").json())


def run_curator(server, tmp_path, source, days):
    cfg = tmp_path / "curator.yml"
    cfg.write_text(f"client:\n  hosts:\n    - 127.0.0.1\n  port: {server.port}\n  timeout: 30\nlogging:\n  loglevel: INFO\n")
    action = tmp_path / "action.yml"
    age = {"filtertype": "age", "source": source, "direction": "older", "unit": "days", "unit_count": days}
    if source == "name":
        age["timestring"] = "%Y.%m.%d"
    action.write_text(json.dumps({"actions": {1: {"action": "delete_indices", "description": "cron cleanup",
                                                  "options": {"ignore_empty_list": True, "disable_action": False},
                                                  "filters": [{"filtertype": "pattern", "kind": "prefix", "value": "logstash-"}, age]}}}))
    # As cron runs it: no terminal, no stdin.
    r = subprocess.run(["curator", "--config", str(cfg), str(action)], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_curator_deletes_by_name(server, tmp_path):
    names = daily_names()
    make_daily(server, names)
    run_curator(server, tmp_path, "name", 7)
    gone = set(names) - index_names(server)
    assert gone == expected_by_name(names, 7)
    assert len(gone) == 13 or len(gone) == 14
    assert "other-index" in index_names(server)


def test_curator_deletes_by_creation_date(server, tmp_path):
    names = daily_names()
    make_daily(server, names, creation_offset=3600)   # created an hour after each midnight-ish mark
    run_curator(server, tmp_path, "creation_date", 10)
    gone = set(names) - index_names(server)
    assert gone == {n for n, k in names.items() if k > 10}


def test_logpond_curate_name_dry_run_and_creation_date(server):
    names = daily_names()
    make_daily(server, names, creation_offset=3600)
    r = subprocess.run([BIN, "curate", "--url", server.url, "--older-than", "7d", "--pattern", "logstash-*", "--dry-run"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "would delete" in r.stdout and len(index_names(server)) == len(names) + 1
    r = subprocess.run([BIN, "curate", "--url", server.url, "--older-than", "7d", "--pattern", "logstash-*"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    gone = set(names) - index_names(server)
    assert gone == expected_by_name(names, 7)
    r = subprocess.run([BIN, "curate", "--url", server.url, "--older-than", "3d", "--source", "creation_date"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert set(names) - index_names(server) == {n for n, k in names.items() if k > 3}


def test_logpond_curate_fails_clearly(tmp_path):
    r = subprocess.run([BIN, "curate", "--url", "http://127.0.0.1:1", "--older-than", "7d"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "is the server running" in r.stderr
    r = subprocess.run([BIN, "curate", "--older-than", "soon"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "duration" in r.stderr


def test_retention_policy_in_server(make_server):
    s = make_server("logpond:\n  retention:\n    check_interval: 1s\n    policies:\n"
                    "      - pattern: logstash-*\n        max_age: 5d\n        source: name\n").start()
    names = daily_names(9)
    make_daily(s, names)
    s.put("/logstash-undated", {})
    deadline = time.time() + 20
    while time.time() < deadline and set(names) & expected_by_name(names, 5) & index_names(s):
        time.sleep(0.2)
    assert set(names) - index_names(s) == expected_by_name(names, 5)
    assert "logstash-undated" in index_names(s)
    assert "retention deleted" in s.log_text() and "left alone" in s.log_text()


def test_size_budget_drops_oldest_first(tmp_path):
    data = str(tmp_path / "data")
    s = Server(data).start()
    try:
        for k in range(4):
            s.put(f"/sized-{k}", {"settings": {"index.creation_date": int((time.time() - (10 - k) * DAY) * 1000)}})
            lines = []
            for n in range(300):
                lines += [{"index": {"_index": f"sized-{k}"}}, {"log": f"{k} {n} " + os.urandom(40).hex()}]
            s.bulk(lines)
        s.post("/_flush")
        sizes = {i["index"]: int(i["store.size"]) for i in s.get("/_cat/indices?format=json&bytes=b").json()}
    finally:
        s.stop()
    # A budget that fits the two newest indices but not three.
    budget = sizes["sized-2"] + sizes["sized-3"] + 100
    s = Server(data, f"logpond:\n  retention:\n    check_interval: 1s\n    max_total_size: {budget}b\n    budget_pattern: sized-*\n").start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline and len(index_names(s)) > 2:
            time.sleep(0.2)
        assert index_names(s) == {"sized-2", "sized-3"}
        assert "over the" in s.log_text()
    finally:
        s.stop()


def test_admin_apis_curator_reads(server):
    server.bulk([{"index": {"_index": "adm-1"}}, {"a": 1}, {"index": {"_index": "adm-2"}}, {"a": 2}], refresh="true")
    s = server.get("/_all/_settings?expand_wildcards=open%2Cclosed").json()
    idx = s["adm-1"]["settings"]["index"]
    for k in ["creation_date", "uuid", "number_of_shards", "number_of_replicas", "provided_name"]:
        assert k in idx
    assert idx["version"]["created"]
    st = server.get("/_cluster/state/metadata/adm-1").json()
    assert list(st["metadata"]["indices"]) == ["adm-1"]
    assert st["metadata"]["indices"]["adm-1"]["state"] == "open"
    stats = server.get("/adm-1,adm-2/_stats/store,docs").json()
    assert stats["indices"]["adm-1"]["total"]["docs"]["count"] == 1
    assert "size_in_bytes" in stats["indices"]["adm-2"]["total"]["store"]
    cat = server.get("/_cat/indices/adm-*?format=json&h=index,creation.date,creation.date.string").json()
    assert {c["index"] for c in cat} == {"adm-1", "adm-2"} and cat[0]["creation.date.string"].endswith("Z")
    assert server.get("/_cat/count/adm-*?format=json").json()[0]["count"] == "2"
    r = server.delete("/adm-1?master_timeout=30s")
    assert r.json() == {"acknowledged": True}
    assert "adm-1" not in index_names(server)


def test_settings_blocks(server):
    server.bulk([{"index": {"_index": "blk"}}, {"a": 1}], refresh="true")
    assert server.put("/blk/_settings", {"index": {"blocks": {"write": True}}}).status_code == 200
    r = server.bulk([{"index": {"_index": "blk"}}, {"a": 2}])
    assert r.json()["items"][0]["index"]["status"] == 403
    assert r.json()["items"][0]["index"]["error"]["type"] == "cluster_block_exception"
    assert server.get("/blk/_settings").json()["blk"]["settings"]["index"]["blocks"]["write"] == "true"
    server.put("/blk/_settings", {"index.blocks.write": None})
    assert server.bulk([{"index": {"_index": "blk"}}, {"a": 3}]).json()["errors"] is False
    assert server.put("/blk/_settings", {"index": {"refresh_interval": "5s"}}).status_code == 200
    assert_es_error(server.put("/blk/_settings", {"index": {"number_of_shards": 2}}), 400, "illegal_argument_exception")


def test_close_and_open(server):
    server.bulk([{"index": {"_index": "cl-1"}}, {"a": 1}, {"index": {"_index": "cl-2"}}, {"a": 2}], refresh="true")
    assert server.post("/cl-1/_close").json()["acknowledged"] is True
    assert server.get("/cl-*/_count").json()["count"] == 1          # wildcards skip closed indices
    assert_es_error(server.get("/cl-1/_search"), 400, "index_closed_exception")
    r = server.bulk([{"index": {"_index": "cl-1"}}, {"a": 3}])
    assert r.json()["items"][0]["index"]["error"]["type"] == "index_closed_exception"
    assert server.get("/_cat/indices/cl-1?format=json").json()[0]["status"] == "close"
    assert server.post("/cl-1/_open").json()["acknowledged"] is True
    assert server.get("/cl-1/_count").json()["count"] == 1


def test_delete_during_ingest_makes_a_fresh_index(server):
    server.bulk([{"index": {"_index": "live"}}, {"batch": "a"}] * 1, refresh="true")
    uuid_a = server.get("/live/_settings").json()["live"]["settings"]["index"]["uuid"]
    assert server.delete("/live").status_code == 200
    assert server.get("/live/_search").status_code == 404
    server.bulk([{"index": {"_index": "live"}}, {"batch": "b"}], refresh="true")
    assert server.get("/live/_settings").json()["live"]["settings"]["index"]["uuid"] != uuid_a
    hits = server.search("live", {}).json()["hits"]["hits"]
    assert [h["_source"]["batch"] for h in hits] == ["b"]


def test_deleted_index_does_not_come_back_after_kill9(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        s.bulk([{"index": {"_index": "doomed"}}, {"a": 1}, {"index": {"_index": "kept"}}, {"a": 1}])   # unflushed: only in the translog
        created = s.get("/kept/_settings").json()["kept"]["settings"]["index"]["creation_date"]
        assert s.delete("/doomed").status_code == 200
        s.kill9()
        s.start()
        assert "doomed" not in index_names(s)
        assert s.get("/kept/_count").json()["count"] == 1
        assert s.get("/kept/_settings").json()["kept"]["settings"]["index"]["creation_date"] == created
        s.bulk([{"index": {"_index": "doomed"}}, {"a": 2}], refresh="true")
        assert s.get("/doomed/_count").json()["count"] == 1
    finally:
        s.stop()


def test_creation_date_is_range_checked_where_given(server):
    """`index.creation_date` is formatted and aged for the index's whole life: a value outside
    1970..9999 is refused at creation (Int64's least once made `_cat/indices` and the next
    retention pass trap, and the server could no longer start on that folder)."""
    for bad in [-9223372036854775808, -1, 1e300, 1.5, "soon", 253402300800000]:
        r = server.put("/cd-bad", {"settings": {"index.creation_date": bad}})
        assert_es_error(r, 400, "illegal_argument_exception")
        assert "index.creation_date" in r.json()["error"]["reason"], bad
    assert server.get("/cd-bad").status_code == 404
    for ok, ms in [(1700000000000, 1700000000000), ("1700000000001", 1700000000001), (0, 0), (253402300799999, 253402300799999)]:
        name = f"cd-ok-{ms}"
        assert server.put("/" + name, {"settings": {"index.creation_date": ok}}).status_code == 200
        row = server.get(f"/_cat/indices/{name}?format=json&h=creation.date,creation.date.string").json()[0]
        assert int(row["creation.date"]) == ms
    assert server.get("/_cat/indices?format=json&h=index,creation.date.string").status_code == 200
