"""Each 429 of issue 15 on its own, deterministically, and the settings that drive them:
index write blocks with Elasticsearch's ids, the request and in-flight breakers, indexing
pressure, the search queue, `_nodes/stats` and `_cat/allocation`, and config the server refuses."""
import json
import os
import subprocess

import requests

from conftest import BIN, assert_es_error

DOC = {"@timestamp": "2026-12-03T10:00:00Z", "log": "hello", "pod": "a"}


def bulk(server, index, n=1, pad=0):
    lines = []
    for i in range(n):
        lines.append(json.dumps({"index": {"_index": index, "_id": str(i)}}))
        lines.append(json.dumps(dict(DOC, pad="x" * pad, n=i)))
    return requests.post(server.url + "/_bulk", data="\n".join(lines) + "\n",
                         headers={"Content-Type": "application/x-ndjson"}, timeout=60)


def test_index_write_blocks_answer_with_elasticsearchs_ids(server):
    assert bulk(server, "blk", 3).status_code == 200
    assert server.put("/blk/_settings", {"index": {"blocks": {"read_only_allow_delete": True}}}).status_code == 200
    reason = "index [blk] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"
    # An index's own block fails the bulk's items for it, as Elasticsearch does (the node's
    # flood stage refuses the whole request: test_disk_full.py).
    item = bulk(server, "blk").json()["items"][0]["index"]
    assert item["status"] == 429 and item["error"] == {"type": "cluster_block_exception", "reason": reason}
    body = assert_es_error(server.put("/blk/_doc/9", DOC), 429, "cluster_block_exception")
    assert body["error"]["reason"] == reason
    # The block allows deletes, as its name says.
    assert server.delete("/blk/_doc/1").status_code == 200
    assert server.put("/blk/_settings", {"index.blocks.read_only_allow_delete": None}).status_code == 200
    assert bulk(server, "blk").status_code == 200
    assert server.put("/blk/_settings", {"index.blocks.read_only": True}).status_code == 200
    body = assert_es_error(server.put("/blk/_doc/9", DOC), 403, "cluster_block_exception")
    assert "[FORBIDDEN/5/index read-only (api)]" in body["error"]["reason"]
    body = assert_es_error(server.delete("/blk/_doc/2"), 403, "cluster_block_exception")
    assert server.put("/blk/_settings", {"index.blocks.read_only": None, "index.blocks.write": True}).status_code == 200
    body = assert_es_error(server.put("/blk/_doc/9", DOC), 403, "cluster_block_exception")
    assert "[FORBIDDEN/8/index write (api)]" in body["error"]["reason"]


def test_request_breaker_stops_aggregations_not_searches(make_server):
    s = make_server("indices.breaker.request.limit: 2kb\n").start()
    assert bulk(s, "agg", 200).status_code == 200
    s.post("/agg/_refresh")
    r = s.search("agg", {"size": 0, "aggs": {"n": {"terms": {"field": "n", "size": 1000}}}})
    body = assert_es_error(r, 429, "circuit_breaking_exception")
    err = body["error"]
    assert err["reason"].startswith("[request] Data too large, data for [<agg [n]>] would be [")
    assert err["bytes_limit"] == 2048 and err["bytes_wanted"] > 2048 and err["durability"] == "TRANSIENT"
    # Plain searches hold nothing in the breaker, and a trip gives everything back.
    assert s.search("agg", {"query": {"match": {"log": "hello"}}}).status_code == 200
    assert s.search("agg", {"size": 0, "aggs": {"m": {"max": {"field": "n"}}}}).status_code == 200
    node = next(iter(s.get("/_nodes/stats").json()["nodes"].values()))
    assert node["breakers"]["request"]["tripped"] == 1
    assert node["breakers"]["request"]["estimated_size_in_bytes"] == 0


def test_inflight_breaker_and_indexing_pressure_refuse_large_requests(make_server):
    s = make_server("network.breaker.inflight_requests.limit: 64kb\nindexing_pressure.memory.limit: 16kb\n").start()
    # A bulk over the indexing pressure limit: refused whole, nothing indexed.
    r = bulk(s, "pres", 40, pad=500)
    body = assert_es_error(r, 429, "es_rejected_execution_exception")
    assert body["error"]["reason"].startswith("rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=")
    assert bulk(s, "pres", 2).status_code == 200
    s.post("/pres/_refresh")
    assert s.get("/pres/_count").json()["count"] == 2
    # A search body over the in-flight breaker.
    big = {"query": {"bool": {"should": [{"term": {"log": "x" * 100}}] * 1000}}}
    body = assert_es_error(s.search("pres", big), 429, "circuit_breaking_exception")
    assert body["error"]["reason"].startswith("[in_flight_requests] Data too large, data for [<http_request>]")
    node = next(iter(s.get("/_nodes/stats").json()["nodes"].values()))
    assert node["indexing_pressure"]["memory"]["limit_in_bytes"] == 16384
    assert node["indexing_pressure"]["memory"]["total"]["coordinating_rejections"] == 1
    assert node["breakers"]["in_flight_requests"]["tripped"] == 1
    assert node["breakers"]["in_flight_requests"]["estimated_size_in_bytes"] <= 64 * 1024


def test_search_queue_full_answers_429(make_server):
    import threading
    s = make_server("thread_pool.search.size: 1\nthread_pool.search.queue_size: 0\n").start()
    assert bulk(s, "q", 2000).status_code == 200
    s.post("/q/_refresh")
    heavy = {"size": 0, "aggs": {"a": {"terms": {"field": "n", "size": 5000},
                                       "aggs": {"b": {"terms": {"field": "pad.keyword", "size": 10}}}}}}
    statuses, lock = [], threading.Lock()

    def one():
        r = s.search("q", heavy)
        with lock:
            statuses.append((r.status_code, r.json().get("error", {}).get("type")))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {st for st, _ in statuses} <= {200, 429}, statuses
    assert (429, "es_rejected_execution_exception") in statuses and (200, None) in statuses, statuses
    pool = next(iter(s.get("/_nodes/stats").json()["nodes"].values()))["thread_pool"]["search"]
    assert pool["threads"] == 1 and pool["rejected"] == sum(1 for st, _ in statuses if st == 429)


def test_nodes_stats_and_cat_allocation(server):
    assert bulk(server, "st", 5).status_code == 200
    node = next(iter(server.get("/_nodes/stats").json()["nodes"].values()))
    fs = node["fs"]["total"]
    assert fs["total_in_bytes"] >= fs["free_in_bytes"] >= fs["available_in_bytes"] > 0
    assert node["fs"]["watermark"] == {"level": node["fs"]["watermark"]["level"], "read_only_allow_delete": False,
                                       "low": "85%", "high": "90%", "flood_stage": "95%",
                                       "reserve_present": node["fs"]["watermark"]["reserve_present"]}
    assert node["indexing_pressure"]["memory"]["total"]["all_in_bytes"] > 0
    assert set(node["thread_pool"]["search"]) >= {"threads", "queue", "active", "rejected", "largest", "completed"}
    assert set(node["breakers"]) == {"request", "in_flight_requests"}
    assert node["process"]["mem"]["resident_in_bytes"] > 1 << 20
    text = server.get("/_cat/allocation?v").text.splitlines()
    assert text[0].split() == ["shards", "disk.indices", "disk.used", "disk.avail", "disk.total", "disk.percent", "host", "ip", "node"]
    row = server.get("/_cat/allocation?format=json&bytes=b").json()[0]
    assert int(row["disk.total"]) >= int(row["disk.used"]) and row["shards"] == "1"


def test_config_the_server_refuses(tmp_path):
    for text, needle in [
        ("cluster.routing.allocation.disk.watermark.low: 95%\ncluster.routing.allocation.disk.watermark.high: 90%\n", "must be <= high"),
        ("cluster.routing.allocation.disk.watermark.flood_stage: 1gb\n", "must all be percentages"),
        ("cluster.routing.allocation.disk.watermark.low: lots\n", "cannot read [lots]"),
        ("cluster.info.update.interval: 1ms\n", "cluster.info.update.interval"),
        ("indexing_pressure.memory.limit: -5\n", "indexing_pressure.memory.limit"),
        ("thread_pool.search.size: 0\n", "thread_pool.search.size"),
        ("logpond.memory.budget: 1kb\n", "logpond.memory.budget"),
        ("logpond.merge.idle_after: soon\n", "logpond.merge.idle_after"),
        ("logpond.search.memory_budget: lots\n", "logpond.search.memory_budget"),
        ("indices.memory.index_buffer_size: lots\n", "indices.memory.index_buffer_size"),
        ("indices.memory.index_buffer_size: 100kb\n", "use a size from 1mb to 4gb"),
    ]:
        cfg = tmp_path / "bad.yml"
        cfg.write_text(text)
        r = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d"), "--port", "0", "--config", str(cfg)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and needle in (r.stdout + r.stderr), (text, r.stdout, r.stderr)


def test_index_buffer_size_sets_when_buffers_are_written(make_server):
    """`indices.memory.index_buffer_size` (Elasticsearch's name): with 1mb, 3 MB of source are
    written out as segments by the buffer trigger, long before the 30 s periodic flush; with the
    default (6 MB) the same writes stay buffered."""
    import time

    def flushes(s):
        return requests.get(s.url + "/buf/_stats/flush", timeout=10).json()["_all"]["primaries"]["flush"]["total"]

    small = make_server("indices.memory.index_buffer_size: 1mb\n", name="small").start()
    default = make_server(name="default").start()
    for s in (small, default):
        for _ in range(3):
            assert bulk(s, "buf", 1000, pad=1000).json()["errors"] is False
    deadline = time.time() + 10
    while flushes(small) == 0:
        assert time.time() < deadline, "the 1mb buffer was never written out"
        time.sleep(0.1)
    assert flushes(default) == 0


def test_retention_budget_runs_early_past_the_low_watermark(make_server):
    """Past the low watermark the size budget runs at the disk checks, not hours later."""
    import time
    s = make_server("cluster.info.update.interval: 1s\n"
                    "cluster.routing.allocation.disk.watermark.low: 0.01%\n"
                    "cluster.routing.allocation.disk.watermark.high: 0.02%\n"
                    "cluster.routing.allocation.disk.watermark.flood_stage: 99.99%\n"
                    "logpond:\n  retention:\n    check_interval: 1h\n    max_total_size: 1b\n    budget_pattern: early-*\n").start()
    now = int(time.time() * 1000)
    for k in range(3):
        s.put(f"/early-{k}", {"settings": {"index.creation_date": now - (10 - k) * 86_400_000}})
        assert bulk(s, f"early-{k}", 50).status_code == 200
    s.post("/_flush")
    deadline = time.time() + 30
    while time.time() < deadline:
        names = {i["index"] for i in s.get("/_cat/indices?format=json").json()}
        if names == {"early-2"}:
            break
        time.sleep(0.3)
    assert names == {"early-2"}
    log = s.log_text()
    assert "retention deleted [early-0]: data is" in log and "retention deleted [early-1]" in log
    assert "retention ran early because the disk is past the low watermark [0.01%]" in log, log[-2000:]


def test_idle_index_is_merged_to_one_segment(make_server):
    """`logpond.merge.idle_after`: an index no write touches for that long becomes one segment,
    answering as before."""
    import glob
    import time
    s = make_server("logpond:\n  merge:\n    idle_after: 1s\n").start()
    for round in range(3):   # three flushes, three segments: below any merge tier
        lines = []
        for i in range(50):
            lines += [{"index": {"_index": "quiet"}}, {"log": f"line {round * 50 + i} " + ("error" if i % 5 == 0 else "ok")}]
        assert not s.bulk(lines).json()["errors"]
        assert s.post("/quiet/_flush").status_code == 200
    before = [s.post("/quiet/_count", q).json()["count"] for q in ({"query": {"match_all": {}}}, {"query": {"match": {"log": "error"}}})]
    assert before == [150, 30]

    def segments():
        return len(glob.glob(os.path.join(s.data_dir, "indices", "*", "*.lps")))
    assert segments() == 3
    deadline = time.time() + 30
    while segments() > 1 and time.time() < deadline:
        time.sleep(0.2)
    assert segments() == 1, s.log_text()
    after = [s.post("/quiet/_count", q).json()["count"] for q in ({"query": {"match_all": {}}}, {"query": {"match": {"log": "error"}}})]
    assert after == before


def test_search_memory_budget_zero_answers_the_same(make_server):
    """`logpond.search.memory_budget: 0`: every search gives back the pages and decoded
    structures of what it searched; the next one maps and decodes again, with the same answers."""
    s = make_server("logpond:\n  search:\n    memory_budget: 0\n").start()
    for day in range(3):
        lines = []
        for i in range(200):
            lines += [{"index": {"_index": f"logs-{day}"}},
                      {"@timestamp": f"2024-01-0{day + 1}T00:{i // 60:02d}:{i % 60:02d}Z", "log": f"line {i} " + ("error" if i % 4 == 0 else "ok"),
                       "pod": f"p{i % 7}", "bytes": i}]
        assert not s.bulk(lines).json()["errors"]
    assert s.post("/_flush").status_code == 200
    body = {"size": 3, "query": {"match": {"log": "error"}}, "sort": [{"@timestamp": "desc"}],
            "aggs": {"pods": {"terms": {"field": "pod.keyword", "size": 10}}, "b": {"sum": {"field": "bytes"}}}}
    answers = []
    for _ in range(3):
        r = s.post("/logs-*/_search", body).json()
        answers.append((r["hits"]["total"]["value"], [h["_source"]["@timestamp"] for h in r["hits"]["hits"]],
                        sorted((b["key"], b["doc_count"]) for b in r["aggregations"]["pods"]["buckets"]), r["aggregations"]["b"]["value"]))
    assert answers[0] == answers[1] == answers[2]
    total, newest, pods, b = answers[0]
    assert total == 150 and newest == ["2024-01-03T00:03:16Z", "2024-01-03T00:03:12Z", "2024-01-03T00:03:08Z"]
    assert sum(c for _, c in pods) == 150 and b == 3 * sum(i for i in range(200) if i % 4 == 0)
