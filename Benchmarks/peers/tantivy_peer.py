#!/usr/bin/env python3
"""The peer run: the same corpus and queries through tantivy (PyPI `tantivy`), durable commits
per 2,000-document batch. Prints one JSON object. Run by Benchmarks/bench.py, which installs
tantivy into .build/pydeps/tantivy first."""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import corpus  # noqa: E402
import tantivy  # noqa: E402


def rss_kb(key="VmRSS"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def du(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--queries", required=True, help="JSON file with the query parameters bench.py chose")
    ap.add_argument("--shape", choices=["seed", "lean"], default="seed")
    args = ap.parse_args()
    q = json.load(open(args.queries))
    loghub = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "loghub")
    records = list(corpus.generate(args.docs, days=args.days, seed=args.seed, loghub_dir=loghub, shape=args.shape))

    sb = tantivy.SchemaBuilder()
    sb.add_date_field("ts", stored=True, indexed=True, fast=True)
    sb.add_text_field("log", stored=False, tokenizer_name="default", index_option="position")
    for f in ["stream", "ns", "pod", "host", "container", "app"]:
        sb.add_text_field(f, stored=False, tokenizer_name="raw", fast=True)
    sb.add_text_field("day", stored=False, tokenizer_name="raw", fast=True)
    sb.add_bytes_field("source", stored=True, indexed=False)
    schema = sb.build()
    path = tempfile.mkdtemp(prefix="tantivy-peer-")
    index = tantivy.Index(schema, path=path)
    base_rss = rss_kb()
    peak = [base_rss]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb()); time.sleep(0.05)

    w = threading.Thread(target=watch); w.start()
    writer = index.writer(heap_size=128_000_000, num_threads=2)
    raw = 0
    t0 = time.perf_counter()
    for i, (day, rec) in enumerate(records):
        src = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
        raw += len(src) + 60
        k = rec["kubernetes"]
        import datetime
        ts = datetime.datetime.strptime(rec["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        writer.add_document(tantivy.Document(ts=ts, log=rec["log"], stream=rec["stream"], ns=k["namespace_name"], pod=k["pod_name"],
                                             host=k["host"], container=k["container_name"], app=k["labels"]["app"], day=day, source=src.encode()))
        if (i + 1) % 2000 == 0:
            writer.commit()
    writer.commit()
    writer.wait_merging_threads()
    elapsed = time.perf_counter() - t0
    stop.set(); w.join()
    index.reload()
    searcher = index.searcher()
    disk = du(path)

    def term(field, value):
        return tantivy.Query.term_query(schema, field, value)

    import datetime as dt
    def dtm(s):
        return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)

    def sources(result, pick=None):
        """The stored source of every hit, as the Elasticsearch response carries `_source` (q1
        asks only for `@timestamp`, which is picked out of the parsed source, as `_source`
        filtering does); the peer does the same fetching work as the server."""
        out = []
        for _, addr in result.hits:
            src = searcher.doc(addr)["source"][0]
            out.append(json.loads(src)[pick] if pick else src)
        return result.count, out

    queries = {
        "q1": lambda: sources(searcher.search(term("pod", q["pod"]), 100, order_by_field="ts"), "@timestamp"),
        "q2": lambda: sources(searcher.search(index.parse_query(q["common"], ["log"]), 10, count=True, order_by_field="ts")),
        "q3": lambda: sources(searcher.search(index.parse_query(q["rare"], ["log"]), 100, count=True)),
        "q4": lambda: sources(searcher.search(index.parse_query('"%s"' % q["phrase"], ["log"]), 10, count=True)),
        "q5": lambda: searcher.search(tantivy.Query.boolean_query([(tantivy.Occur.Must, term("pod", q["pod"])),
                                                                   (tantivy.Occur.Must, tantivy.Query.range_query(schema, "ts", tantivy.FieldType.Date, dtm(q["hour_start"]), dtm(q["hour_end"])))]),
                                      1, count=True).count,
        "q6": lambda: searcher.aggregate(term("day", q["day"]), {"ns": {"terms": {"field": "ns", "size": 20}}}),
        "q7": lambda: searcher.aggregate(tantivy.Query.boolean_query([(tantivy.Occur.Must, term("day", q["day"])), (tantivy.Occur.Must, term("pod", q["pod"]))]),
                                         {"h": {"date_histogram": {"field": "ts", "fixed_interval": "1m"}}}),
        "q8": lambda: searcher.search(tantivy.Query.all_query(), 1, count=True).count,
    }
    out = {"docs_per_s": round(len(records) / elapsed), "disk_ratio": round(disk / raw, 4),
           "peak_rss_ingest_mb": round((peak[0] - base_rss) / 1024, 1), "queries": {}}
    for name, fn in queries.items():
        try:
            fn()
            times = []
            for _ in range(args.runs):
                t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1000)
            out["queries"][name] = round(statistics.median(times), 2)
        except BaseException as e:  # a peer that cannot run a query (pyo3 panics included) is reported, not hidden
            out["queries"][name] = "error: " + str(e)[:80]
    shutil.rmtree(path, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
