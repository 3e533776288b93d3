"""Overload (issue 15): bulk senders pushing faster than the server can index, with heavy
aggregations beside them, against small configured limits. Reports statuses, 429 reasons, the
server's peak RSS, and whether every acknowledged document is searchable at the end.

    python3 Tests/integration/overload.py --minutes 5 [--aggregators 32] [--bin .build/release/logpond]

The test (test_overload.py) runs it for a few seconds; docs/operations.md has the long run.
"""
import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from conftest import Server  # noqa: E402

# What the run configures: a 256 MB memory budget, and limits small enough that 8 senders
# and 32 aggregations pass them on two cores. A bulk of 4,000 documents is about 0.8 MB, so
# two bulks in flight at once (one indexing, one waiting for the flush or the disk) pass the
# 1 MB indexing pressure limit.
CONFIG = """logpond.memory.budget: 256mb
indexing_pressure.memory.limit: 1mb
thread_pool.search.size: 2
thread_pool.search.queue_size: 6
indices.breaker.request.limit: 24mb
"""
# The RSS the run must stay under (docs/operations.md states it): the 256 MB budget plus
# what the binary and its caches take at rest.
RSS_LIMIT_BYTES = 400 * 1024 * 1024

HEAVY_AGGS = [
    {"size": 0, "aggs": {"ids": {"terms": {"field": "req_id.keyword", "size": 50000}}}},
    {"size": 0, "aggs": {"t": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1s"},
                               "aggs": {"pods": {"terms": {"field": "pod.keyword", "size": 500},
                                                 "aggs": {"u": {"cardinality": {"field": "req_id.keyword"}}}}}}}},
    {"size": 0, "aggs": {"pods": {"terms": {"field": "pod.keyword", "size": 1000},
                                  "aggs": {"ids": {"terms": {"field": "req_id.keyword", "size": 200}},
                                           "top": {"top_hits": {"size": 20}}}}}},
]


def bulk_body(rng, n, index):
    lines = []
    now = time.time()
    for _ in range(n):
        lines.append('{"index":{"_index":"%s"}}' % index)
        lines.append(json.dumps({
            "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % rng.randrange(1000),
            "pod": "pod-%d" % rng.randrange(300), "namespace": "ns-%d" % rng.randrange(12),
            "req_id": "%016x" % rng.getrandbits(64), "status": rng.choice([200, 200, 200, 404, 500]),
            "log": "GET /api/v1/items/%d took %d ms user=%d" % (rng.randrange(10**6), rng.randrange(900), rng.randrange(5000)),
        }, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def rss_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def overload(data_dir, seconds=20, senders=8, aggregators=32, docs_per_bulk=4000, binary=None):
    if binary:
        import conftest
        conftest.BIN = binary
    server = Server(data_dir, CONFIG).start()
    stop = threading.Event()
    lock = threading.Lock()
    rep = {"acked": 0, "bulk_status": {}, "search_status": {}, "reasons": {}, "peak_rss": 0, "errors": []}

    def note(kind, status, reason=None):
        with lock:
            rep[kind][str(status)] = rep[kind].get(str(status), 0) + 1
            if reason:
                rep["reasons"][reason] = rep["reasons"].get(reason, 0) + 1

    def sender(k):
        rng = random.Random(k)
        s = requests.Session()
        while not stop.is_set():
            try:
                r = s.post(server.url + "/_bulk", data=bulk_body(rng, docs_per_bulk, "overload-%d" % (k % 2)),
                           headers={"Content-Type": "application/x-ndjson"}, timeout=120)
            except requests.RequestException as e:
                with lock:
                    rep["errors"].append("bulk: " + str(e)[:200])
                continue
            if r.status_code == 200:
                out = r.json()
                ok = sum(1 for it in out["items"] if it["index"]["status"] in (200, 201))
                with lock:
                    rep["acked"] += ok
                    if out["errors"]:
                        rep["errors"].append("item errors: " + json.dumps(out["items"][0])[:200])
                note("bulk_status", 200)
            else:
                note("bulk_status", r.status_code, r.json().get("error", {}).get("type") if r.headers.get("Content-Type", "").startswith("application/json") else None)

    def aggregator(k):
        s = requests.Session()
        i = k
        while not stop.is_set():
            body = HEAVY_AGGS[i % len(HEAVY_AGGS)]
            i += 1
            try:
                r = s.post(server.url + "/overload-*/_search", json=body, timeout=120)
            except requests.RequestException as e:
                with lock:
                    rep["errors"].append("search: " + str(e)[:200])
                continue
            reason = None
            if r.status_code != 200:
                reason = r.json().get("error", {}).get("type")
                if r.status_code == 429:
                    time.sleep(0.05)   # as a client backs off
            note("search_status", r.status_code, reason)

    def sampler():
        while not stop.is_set():
            v = rss_of(server.proc.pid)
            with lock:
                rep["peak_rss"] = max(rep["peak_rss"], v)
            time.sleep(0.25)

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(senders)]
    threads += [threading.Thread(target=aggregator, args=(k,)) for k in range(aggregators)]
    threads.append(threading.Thread(target=sampler))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=180)
    rep["alive"] = server.alive()
    try:
        requests.post(server.url + "/_refresh", timeout=120)
        rep["found"] = requests.get(server.url + "/overload-*/_count", timeout=120).json()["count"]
        node = next(iter(requests.get(server.url + "/_nodes/stats", timeout=60).json()["nodes"].values()))
        rep["nodes_stats"] = {"indexing_pressure": node["indexing_pressure"], "thread_pool": node["thread_pool"],
                              "breakers": node["breakers"], "rss": node["process"]["mem"]["resident_in_bytes"]}
    finally:
        server.stop()
    rep["fivexx"] = sum(v for k, v in list(rep["bulk_status"].items()) + list(rep["search_status"].items()) if k.startswith("5"))
    return rep


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--senders", type=int, default=8)
    ap.add_argument("--aggregators", type=int, default=32)
    ap.add_argument("--bin", default=None, help="logpond binary (default: the debug build)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        rep = overload(os.path.join(d, "data"), seconds=a.minutes * 60, senders=a.senders, aggregators=a.aggregators,
                       binary=os.path.abspath(a.bin) if a.bin else None)
    rep["peak_rss_mb"] = round(rep["peak_rss"] / 2**20, 1)
    rep["rss_limit_mb"] = RSS_LIMIT_BYTES // 2**20
    print(json.dumps(rep, indent=1))
    ok = rep["alive"] and rep["fivexx"] == 0 and rep["found"] == rep["acked"] and rep["peak_rss"] < RSS_LIMIT_BYTES and not rep["errors"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
