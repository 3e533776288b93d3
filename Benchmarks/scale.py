#!/usr/bin/env python3
"""A month of retention (issue 17, `make bench-scale`): ingests N seed-shaped records over D daily
indices with 2 senders, streaming the corpus (it is never held whole), and reports the ingest rate
per million (does it hold?), RSS while ingesting and idle, the start-up time on that folder, and
the client's round trip for q1-q8 plus "the newest 500 of the last 15 minutes across logstash-*"
(what Grafana and a UI ask most), then RSS after those and a terms aggregation over every day.
Before the measured start the days are settled as a month in production would have them: every
past day idle-merged to one segment (a server run with logpond.merge.idle_after: 1s; --no-settle
measures the folder as ingested).

The corpus is written to a file first (about 1.1 KB a record: 11 GB for ten million, deleted
afterwards), so that making it does not share the two cores with the server while the rate is
measured; with --stream (or when the disk lacks the room) it is made while sending, as before.

    python3 Benchmarks/scale.py --docs 10000000 --days 30          # make bench-scale
    python3 Benchmarks/scale.py --docs 200000 --days 30 --runs 5   # a quick look
"""
import argparse
import json
import os
import multiprocessing
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402
import floor  # noqa: E402
from ab_queries import queries  # noqa: E402
from ingest import rss_kb, start_on  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def produce(bodies, docs, days, senders, loghub):
    for b in corpus.bulk_bodies(docs, batch=2000, days=days, loghub_dir=loghub, shape="seed"):
        bodies.put(b)
    for _ in range(senders):
        bodies.put(None)


def pregenerate(path, docs, days, loghub):
    """Writes the bulk bodies to `path`, each after its length (8 bytes, little-endian)."""
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        for n, b in enumerate(corpus.bulk_bodies(docs, batch=2000, days=days, loghub_dir=loghub, shape="seed")):
            f.write(len(b).to_bytes(8, "little"))
            f.write(b)
            if (n + 1) % 500 == 0:
                print(f"made {(n + 1) * 2000:,} of {docs:,} records ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)


class BodyFile:
    """The pre-made bodies, handed to the senders one at a time; None at the end."""
    def __init__(self, path):
        self.f = open(path, "rb")
        self.lock = threading.Lock()

    def get(self):
        with self.lock:
            head = self.f.read(8)
            return self.f.read(int.from_bytes(head, "little")) if head else None


def count_segments(data):
    return sum(1 for _, _, files in os.walk(os.path.join(data, "indices")) for f in files if f.endswith(".lps"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--senders", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "logpond"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out", "scale.json"))
    ap.add_argument("--keep", action="store_true", help="keep the data folder")
    ap.add_argument("--no-settle", dest="settle", action="store_false",
                    help="measure the folder as ingested, not after the idle merges a month of days past would have had")
    ap.add_argument("--stream", action="store_true",
                    help="make the corpus while sending (a process of its own on the same cores) instead of in a file first")
    args = ap.parse_args()
    loghub = os.path.join(ROOT, "..", "shared", "data", "loghub")
    corpus_file = None
    if not args.stream:
        tmp = tempfile.gettempdir()
        need = args.docs * 1300 + (2 << 30)          # about 1.1 KB a record, and room for the data
        free = shutil.disk_usage(tmp).free
        if free < need:
            print(f"{tmp} has {free >> 30} GB free, the corpus file needs about {need >> 30} GB: making it while sending (--stream)", file=sys.stderr)
        else:
            corpus_file = os.path.join(tmp, f"logpond-scale-corpus-{os.getpid()}.bin")
            pregenerate(corpus_file, args.docs, args.days, loghub)
    data = tempfile.mkdtemp(prefix="logpond-scale-")
    port = floor.free_port()
    url = f"http://127.0.0.1:{port}"
    proc, _ = start_on(args.bin, data, port)

    # Bodies are made by a process of their own (in a thread it shared the senders' interpreter
    # lock and capped the rate near 40k docs/s) and taken by the senders: the corpus never sits
    # in memory.
    bodies = BodyFile(corpus_file) if corpus_file else multiprocessing.Queue(maxsize=16)
    errors = []
    sent = [0]
    lock = threading.Lock()


    def send():
        sess = requests.Session()
        while (b := bodies.get()) is not None:
            r = sess.post(url + "/_bulk", data=b, headers={"Content-Type": "application/x-ndjson"}, timeout=300)
            if r.status_code != 200 or b'"errors":false' not in r.content[:64]:
                errors.append(r.text[:200])
            with lock:
                sent[0] += b.count(b"\n") // 2

    peak = [0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(proc.pid, "VmRSS"))
            time.sleep(0.1)

    if not corpus_file:
        producer = multiprocessing.Process(target=produce, args=(bodies, args.docs, args.days, args.senders, loghub), daemon=True)
        producer.start()
    w = threading.Thread(target=watch)
    w.start()
    t0 = time.perf_counter()
    senders = [threading.Thread(target=send) for _ in range(args.senders)]
    for t in senders:
        t.start()
    per_million, last_docs, last_t = [], 0, t0
    while any(t.is_alive() for t in senders):
        time.sleep(0.5)
        with lock:
            n = sent[0]
        if n - last_docs >= 1_000_000 or (not any(t.is_alive() for t in senders) and n > last_docs):
            now = time.perf_counter()
            per_million.append(round((n - last_docs) / (now - last_t)))
            print(f"{n:,} docs, {per_million[-1]:,} docs/s over the last {n - last_docs:,}, RSS {rss_kb(proc.pid, 'VmRSS') // 1024} MB", file=sys.stderr)
            last_docs, last_t = n, now
    elapsed = time.perf_counter() - t0
    if corpus_file:
        os.unlink(corpus_file)
    stop.set()
    w.join()
    requests.post(url + "/_refresh")
    requests.post(url + "/_flush")
    time.sleep(2)
    idle = rss_kb(proc.pid, "VmRSS")
    idle_anon, idle_file = rss_kb(proc.pid, "RssAnon"), rss_kb(proc.pid, "RssFile")
    time.sleep(10)
    idle_later = rss_kb(proc.pid, "VmRSS")
    count = requests.get(url + "/logstash-*/_count").json()["count"]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    segments_ingested = count_segments(data)
    settle_s = 0.0
    if args.settle:
        # A month in production: every day but today has been idle for more than
        # logpond.merge.idle_after (5 minutes) and was merged to one segment. A server with the
        # wait shortened to 1 s does that here, before the measured start.
        cfg = os.path.join(data, "..", os.path.basename(data) + "-settle.yml")
        with open(cfg, "w") as f:
            f.write("logpond:\n  merge:\n    idle_after: 1s\n")
        t0 = time.perf_counter()
        proc, _ = start_on(args.bin, data, port, ["--config", cfg])
        while count_segments(data) > args.days and time.perf_counter() - t0 < 3600:
            time.sleep(1)
        settle_s = time.perf_counter() - t0
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=600)
        os.unlink(cfg)
        print(f"idle merges: {segments_ingested} segments -> {count_segments(data)} in {settle_s:.0f} s", file=sys.stderr)

    segments_measured = count_segments(data)
    proc, startup = start_on(args.bin, data, port)
    after_start = rss_kb(proc.pid, "VmRSS")
    qs = queries(url)
    newest = requests.post(url + "/logstash-*/_search", json={"size": 1, "sort": [{"@timestamp": "desc"}], "_source": ["@timestamp"]}).json()
    last_ts = newest["hits"]["hits"][0]["_source"]["@timestamp"]
    qs["last15m"] = ("logstash-*", {"size": 500, "sort": [{"@timestamp": "desc"}],
                                    "query": {"range": {"@timestamp": {"gte": f"{last_ts}||-15m", "lte": last_ts}}}})
    client = floor.Client(port)
    rows = {}
    for name, (index, body) in qs.items():
        payload = json.dumps(body)
        ms, status, _, _ = client.timed("POST", f"/{index}/_search", payload)
        if status != 200:
            rows[name] = {"status": status}
            continue
        times = sorted(client.timed("POST", f"/{index}/_search", payload)[0] for _ in range(args.runs))
        rows[name] = {"median_ms": round(statistics.median(times), 2), "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2)}
    after_queries = rss_kb(proc.pid, "VmRSS")
    after_queries_anon, after_queries_file = rss_kb(proc.pid, "RssAnon"), rss_kb(proc.pid, "RssFile")
    agg = requests.post(url + "/logstash-*/_search", json={"size": 0, "aggs": {"pods": {"terms": {"field": "kubernetes.pod_name", "size": 50}}}})
    assert agg.status_code == 200, agg.text[:200]
    after_agg = rss_kb(proc.pid, "VmRSS")
    # Idle indices give back the mapped pages searches touched (index.search.idle.after, 30 s).
    time.sleep(33)
    quiet = rss_kb(proc.pid, "VmRSS")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    disk = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(data) for f in fs)
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    res = {"docs": args.docs, "days": args.days, "corpus": "made while sending" if not corpus_file else "made first, read from a file", "count": count, "errors": len(errors), "docs_per_s": round(args.docs / elapsed),
           "docs_per_s_per_million": per_million, "segments_ingested": segments_ingested, "segments_measured": segments_measured, "settle_s": round(settle_s), "peak_rss_ingest_mb": round(peak[0] / 1024, 1), "idle_rss_mb": round(idle / 1024, 1),
           "idle_anon_mb": round(idle_anon / 1024, 1), "idle_file_mb": round(idle_file / 1024, 1),
           "idle_rss_12s_mb": round(idle_later / 1024, 1),
           "startup_s": round(startup, 2), "rss_after_start_mb": round(after_start / 1024, 1),
           "rss_after_queries_mb": round(after_queries / 1024, 1),
           "anon_after_queries_mb": round(after_queries_anon / 1024, 1), "file_after_queries_mb": round(after_queries_file / 1024, 1), "rss_after_terms_all_days_mb": round(after_agg / 1024, 1),
           "rss_33s_later_mb": round(quiet / 1024, 1),
           "disk_bytes": disk, "queries": rows}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=2)
    for k, v in res.items():
        print(f"{k:28} {v}")
    return 0 if count == args.docs and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
