#!/usr/bin/env python3
"""Query times of two builds on one data folder, alternating servers round by round so that
a noisy machine's drift falls on both alike (issue 16: the checks added per request must not
cost query time). Uses bench.py's q1-q8 shapes.

    python3 Benchmarks/ingest.py --docs 1000000 --keep      # prints nothing of the folder: see /tmp/logpond-bench-*
    python3 Benchmarks/ab_queries.py --data DIR --a OLD_BIN --b NEW_BIN --rounds 6 --runs 20
"""
import argparse
import json
import os
import signal
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from ingest import start_server  # noqa: E402
import floor  # noqa: E402


def queries(url):
    sess = requests.Session()
    agg = sess.post(url + "/logstash-*/_search", json={"size": 0, "aggs": {
        "pod": {"terms": {"field": "kubernetes.pod_name", "size": 1}},
        "day": {"terms": {"field": "_index", "size": 1}}}}).json()
    pod = agg["aggregations"]["pod"]["buckets"][0]["key"]
    first = sess.post(url + "/logstash-*/_search", json={"size": 1, "sort": [{"@timestamp": "asc"}], "_source": ["@timestamp"]}).json()
    t0 = first["hits"]["hits"][0]["_source"]["@timestamp"][:10]
    day_index = "logstash-" + t0.replace("-", ".")
    hour = {"gte": t0 + "T10:00:00Z", "lte": t0 + "T11:00:00Z"}
    return {
        "q1": ("logstash-*", {"query": {"term": {"kubernetes.pod_name": pod}}, "sort": [{"@timestamp": "desc"}], "size": 100, "_source": ["@timestamp"]}),
        "q2": ("logstash-*", {"query": {"match": {"log": "from"}}, "track_total_hits": True, "sort": [{"@timestamp": "desc"}], "size": 10}),
        "q3": ("logstash-*", {"query": {"match": {"log": "bddd"}}, "track_total_hits": True, "size": 100}),
        "q4": ("logstash-*", {"query": {"match_phrase": {"log": "info cbs expecting"}}, "track_total_hits": True, "size": 10}),
        "q5": ("logstash-*", {"query": {"bool": {"filter": [{"term": {"kubernetes.pod_name": pod}}, {"range": {"@timestamp": hour}}]}}, "size": 0, "track_total_hits": True}),
        "q6": (day_index, {"size": 0, "aggs": {"ns": {"terms": {"field": "kubernetes.namespace_name", "size": 20}}}}),
        "q7": (day_index, {"size": 0, "query": {"term": {"kubernetes.pod_name": pod}}, "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1m"}}}}),
        "q8": ("logstash-*", {"query": {"match_all": {}}, "size": 0, "track_total_hits": True}),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--a", required=True, help="the old binary")
    ap.add_argument("--b", required=True, help="the new binary")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    times = {"a": {}, "b": {}}
    trips = {"a": {}, "b": {}}   # the client's round trip on a keep-alive connection
    answers = {}
    for rnd in range(args.rounds):
        for side in ("a", "b") if rnd % 2 == 0 else ("b", "a"):
            _, proc, url = start_server(getattr(args, side), args.data)
            sess = requests.Session()
            client = floor.Client(int(url.rsplit(":", 1)[1]))
            qs = queries(url)
            for _ in range(args.runs):
                ms, _, headers, _ = client.timed("GET", "/")
                trips[side].setdefault("GET /", []).append(ms)
                times[side].setdefault("GET /", []).append(int(headers["X-Logpond-Server-Micros"]) / 1000)
            for name, (idx, body) in qs.items():
                data = json.dumps(body)
                r = sess.post(f"{url}/{idx}/_search", data=data, headers={"Content-Type": "application/json"})   # warm-up
                key = json.dumps(r.json().get("hits", {}).get("total")) + json.dumps(r.json().get("aggregations"), sort_keys=True)
                if answers.setdefault(name, key) != key:
                    raise SystemExit(f"{name}: the two builds answer differently")
                for _ in range(args.runs):
                    ms, _, headers, _ = client.timed("POST", f"/{idx}/_search", data)
                    trips[side].setdefault(name, []).append(ms)
                    times[side].setdefault(name, []).append(int(headers["X-Logpond-Server-Micros"]) / 1000)
            proc.send_signal(signal.SIGTERM); proc.wait(timeout=60)
    print("round trips: one keep-alive http.client connection, request written to last byte read (floor.py)")
    print(f"{'query':6} {'old ms':>8} {'new ms':>8} {'new/old':>8}   {'old rt':>8} {'new rt':>8} {'new/old':>8}"
          f"   (server time, then the client's round trip; medians of {args.rounds * args.runs // 2} runs each)")
    for name in times["a"]:
        a, b = statistics.median(times["a"][name]), statistics.median(times["b"][name])
        ra, rb = statistics.median(trips["a"][name]), statistics.median(trips["b"][name])
        print(f"{name:6} {a:8.3f} {b:8.3f} {b / a:8.2f}   {ra:8.3f} {rb:8.3f} {rb / ra:8.2f}")


if __name__ == "__main__":
    main()
