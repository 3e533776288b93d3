"""A short run of overload.py (issue 15): 8 senders faster than the server indexes and 32
heavy aggregations beside them, against small configured limits. Some requests get 429 (never
5xx), RSS stays under the stated limit, and every acknowledged document is searchable.
`python3 Tests/integration/overload.py --minutes 5` is the long run (docs/operations.md)."""
from overload import RSS_LIMIT_BYTES, overload


def test_overload_answers_429_never_5xx_and_keeps_what_it_acknowledged(tmp_path):
    rep = overload(str(tmp_path / "data"), seconds=20, senders=8, aggregators=32)
    summary = {k: rep[k] for k in ("acked", "found", "bulk_status", "search_status", "reasons", "peak_rss", "errors", "alive")}
    assert rep["alive"] and not rep["errors"], summary
    assert rep["fivexx"] == 0, summary
    assert set(rep["bulk_status"]) <= {"200", "429"} and set(rep["search_status"]) <= {"200", "429"}, summary
    # Overload was reached on both paths, and answered as Elasticsearch does.
    assert rep["bulk_status"].get("429", 0) > 0 and rep["search_status"].get("429", 0) > 0, summary
    assert set(rep["reasons"]) <= {"es_rejected_execution_exception", "circuit_breaking_exception"}, summary
    assert rep["acked"] > 0 and rep["found"] == rep["acked"], summary
    assert rep["peak_rss"] < RSS_LIMIT_BYTES, summary
    stats = rep["nodes_stats"]
    assert stats["indexing_pressure"]["memory"]["total"]["coordinating_rejections"] > 0, stats
    assert stats["indexing_pressure"]["memory"]["current"]["all_in_bytes"] == 0, stats
    assert stats["breakers"]["request"]["estimated_size_in_bytes"] == 0, stats


def test_a_search_whose_client_hangs_up_is_cancelled(make_server):
    """Elasticsearch cancels a search whose HTTP connection closes; so does Logpond, at the
    next segment, and a queued one never starts."""
    import json as _json
    import random
    import time

    import requests

    from overload import bulk_body

    s = make_server("thread_pool.search.size: 1\n").start()
    rng = random.Random(7)
    for i in range(16):   # sixteen indices: sixteen segments at least, so there is a "next" one
        r = requests.post(s.url + "/_bulk?refresh=true", data=bulk_body(rng, 4000, "cancel-%02d" % i),
                          headers={"Content-Type": "application/x-ndjson"}, timeout=120)
        assert r.status_code == 200 and not r.json()["errors"]
    heavy = {"size": 0, "aggs": {"ids": {"terms": {"field": "req_id.keyword", "size": 60000},
                                         "aggs": {"u": {"cardinality": {"field": "pod.keyword"}}}}}}
    t0 = time.time()
    assert s.post("/cancel-*/_search", heavy).status_code == 200
    full = time.time() - t0
    assert full > 1.0, f"the heavy search took {full:.2f}s: too quick to hang up on"

    def pool():
        node = next(iter(s.get("/_nodes/stats").json()["nodes"].values()))
        return node["thread_pool"]["search"]

    before = pool()
    # Hang up after a moment, twice: one running, one queued behind it (the pool has one thread).
    for _ in range(2):
        try:
            requests.post(s.url + "/cancel-*/_search", data=_json.dumps(heavy),
                          headers={"Content-Type": "application/json"}, timeout=0.3)
        except requests.exceptions.Timeout:
            pass
    deadline = time.time() + full
    while time.time() < deadline:
        now = pool()
        if now["cancelled"] - before["cancelled"] == 2 and now["active"] == 0:
            break
        time.sleep(0.05)
    now = pool()
    assert now["cancelled"] - before["cancelled"] == 2, (before, now)
    assert now["completed"] - before["completed"] == 2, (before, now)   # both left the pool...
    assert now["active"] == 0 and now["queue"] == 0, now
    # ...well before one heavy search would have finished, and the server still answers.
    assert s.get("/cancel-*/_count").json()["count"] == 64000
