"""Documents whose shapes interleave (a pod's labels and annotations shift every later field's
position) index every field into the right place, across refreshes (new write buffers) and past
the path cache's limit of distinct paths (issue 17's per-path cache, PathCache.swift)."""
import json
import random


def bulk(server, docs, index="shapes"):
    body = "".join('{"index":{"_index":"%s"}}\n%s\n' % (index, json.dumps(d)) for d in docs)
    r = server.post("/_bulk?refresh=true", body, headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and not r.json()["errors"], r.text[:300]


def count(server, query, index="shapes"):
    r = server.post(f"/{index}/_count", {"query": query})
    assert r.status_code == 200, r.text
    return r.json()["count"]


def test_interleaved_shapes_index_every_field(server):
    rnd = random.Random(7)
    expected = {}
    for batch in range(6):                      # each batch is refreshed: a new write buffer
        docs = []
        for i in range(300):
            n_labels = rnd.randrange(0, 6)
            labels = {f"l{k}.x/y": f"v{k}" for k in range(n_labels)}
            host = f"h{rnd.randrange(5)}"
            docs.append({"@timestamp": "2024-01-15T00:00:00Z", "kubernetes": {"labels": labels, "host": host}, "n": i, "msg": f"line {batch} {host}"})
            expected[host] = expected.get(host, 0) + 1
            for k in range(n_labels):
                expected[f"l{k}"] = expected.get(f"l{k}", 0) + 1
        bulk(server, docs)
    for host in [f"h{k}" for k in range(5)]:
        assert count(server, {"term": {"kubernetes.host.keyword": host}}) == expected[host], host
        assert count(server, {"match": {"msg": host}}) == expected[host], host
    for k in range(5):
        assert count(server, {"term": {f"kubernetes.labels.l{k}.x/y.keyword": f"v{k}"}}) == expected.get(f"l{k}", 0)
    assert count(server, {"range": {"n": {"gte": 0}}}) == 1800


def test_more_distinct_paths_than_the_cache_holds(server):
    assert server.put("/loose", {"mappings": {"properties": {"free": {"type": "object", "dynamic": False}, "k": {"type": "keyword"}}}}).status_code == 200
    n = 4000     # 12,000 paths never mapped: past Limits.pathCacheEntries (4096) in any write slot
    docs = [{"free": {f"key{i}-{j}": j for j in range(3)}, "k": f"v{i % 7}"} for i in range(n)]
    for start in range(0, len(docs), 500):
        bulk(server, docs[start:start + 500], index="loose")
    for v in range(7):
        assert count(server, {"term": {"k": f"v{v}"}}, index="loose") == sum(1 for i in range(n) if i % 7 == v)
    assert server.get("/loose/_mapping").json()["loose"]["mappings"]["properties"]["free"].get("properties") is None
