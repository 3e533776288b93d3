#!/usr/bin/env python3
"""End-to-end ingest benchmark: starts the release server on a fresh data folder, sends a
deterministic fluent-bit corpus over HTTP `_bulk` with N concurrent senders, and reports
docs/s, MB/s, bytes on disk vs raw NDJSON and peak RSS.

    python3 Benchmarks/ingest.py --docs 1000000 --senders 2
"""
import argparse
import base64
import gzip
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import resource
import requests

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402
import floor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def stat_cpu(raw):
    """User + system CPU seconds from the text of a /proc .../stat file."""
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/<pid>/stat): steadier than docs/s on
    a noisy machine when comparing two builds."""
    with open(f"/proc/{pid}/stat") as f:
        return stat_cpu(f.read())


def thread_cpu(pid):
    """CPU seconds per thread name (pool threads share one): which part of the server an
    ingest change moved, steadier than the total on a shared machine."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        out[name] = out.get(name, 0) + stat_cpu(raw)
    return out


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def start_on(binary, data, port, extra=()):
    """The server on `data` and `port` (more arguments in `extra`), once `GET /` answers 200;
    returns (process, seconds it took to answer)."""
    proc = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc, time.perf_counter() - t0
        except requests.ConnectionError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the server exited at start (data folder {data})")
        time.sleep(0.01)
    proc.kill()
    raise SystemExit(f"the server did not answer within 120 s (data folder {data})")


def start_server(binary, data=None, config=None):
    """The release server on a data folder (a fresh one unless given) and a free port, with a
    config file when given; returns (folder, process, url)."""
    data = data or tempfile.mkdtemp(prefix="logpond-bench-")
    port = floor.free_port()
    proc, _ = start_on(binary, data, port, ("--config", config) if config else ())
    return data, proc, f"http://127.0.0.1:{port}"


def secure(binary, data, url, mode):
    """Adds a superuser (and for `apikey` makes a key) and returns the headers to send."""
    if mode == "none":
        return {}
    pw = "bench-password"
    subprocess.run([binary, "users", "add", "bench", "--role", "superuser", "--password-stdin", "--data", data],
                   input=pw + "\n", text=True, check=True, capture_output=True)
    basic = {"Authorization": "Basic " + base64.b64encode(f"bench:{pw}".encode()).decode()}
    for _ in range(100):                       # the server notices a new user within a second
        if requests.get(url + "/", timeout=5).status_code == 401:
            break
        time.sleep(0.05)
    if mode == "basic":
        return basic
    key = requests.post(url + "/_security/api_key", json={"name": "bench"}, headers=basic, timeout=30).json()
    return {"Authorization": "ApiKey " + key["encoded"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--senders", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--shape", choices=["seed", "lean"], default="seed", help="corpus shape (Benchmarks/corpus.py)")
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "logpond"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out", "ingest.json"))
    ap.add_argument("--keep", action="store_true", help="keep the data folder")
    ap.add_argument("--config", help="a config file for the server (e.g. indices.memory.index_buffer_size)")
    ap.add_argument("--auth", choices=["none", "basic", "apikey"], default="none",
                    help="send every request with Basic credentials or an API key (a superuser made at start)")
    args = ap.parse_args()

    loghub = os.path.join(ROOT, "..", "shared", "data", "loghub")
    print(f"generating {args.docs:,} records ...", file=sys.stderr)
    # The corpus is deterministic: made once per parameters and kept in bench-out/ (generating
    # a million seed-shaped records takes Python about a minute, alternating runs repeat it).
    cache = os.path.join(ROOT, "bench-out", f"corpus-{args.shape}-{args.docs}-{args.days}-{args.seed}-{args.batch}.pickle")
    if os.path.exists(cache):
        with open(cache, "rb") as f:
            bodies = pickle.load(f)
    else:
        bodies = list(corpus.bulk_bodies(args.docs, batch=args.batch, days=args.days, seed=args.seed, loghub_dir=loghub, shape=args.shape))
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache + ".tmp", "wb") as f:
            pickle.dump(bodies, f)
        os.replace(cache + ".tmp", cache)
    raw_bytes = sum(len(b) for b in bodies)
    if args.gzip:
        bodies = [gzip.compress(b, 1) for b in bodies]

    data, proc, url = start_server(args.bin, config=args.config)
    auth = secure(args.bin, data, url, args.auth)

    errors = []
    peak = [0]
    parts_peak = {"RssAnon": 0, "RssFile": 0}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(proc.pid, "VmRSS"))
            for k in parts_peak:
                parts_peak[k] = max(parts_peak[k], rss_kb(proc.pid, k))
            time.sleep(0.05)

    def send(part):
        sess = requests.Session()
        headers = dict(auth, **{"Content-Type": "application/x-ndjson"})
        if args.gzip:
            headers["Content-Encoding"] = "gzip"
        for b in part:
            r = sess.post(url + "/_bulk", data=b, headers=headers, timeout=300)
            if r.status_code != 200 or b'"errors":false' not in r.content[:64]:
                errors.append(r.text[:200])

    w = threading.Thread(target=watch); w.start()
    parts = [bodies[i::args.senders] for i in range(args.senders)]
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=send, args=(p,)) for p in parts]
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    ingest_cpu = cpu_seconds(proc.pid)
    by_thread = thread_cpu(proc.pid)
    ingest_peak = peak[0]
    ingest_parts = dict(parts_peak)
    requests.post(url + "/_refresh", headers=auth); requests.post(url + "/_flush", headers=auth)
    t1 = time.perf_counter()
    requests.post(url + "/_forcemerge?max_num_segments=1", timeout=3600, headers=auth)
    merge_s = time.perf_counter() - t1
    stop.set(); w.join()
    count = requests.get(url + "/logstash-*/_count", headers=auth).json()["count"]
    idle_rss = rss_kb(proc.pid, "VmRSS")
    hwm = rss_kb(proc.pid, "VmHWM")
    disk = du(data)
    proc.send_signal(signal.SIGTERM); proc.wait(timeout=60)
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)

    res = {
        "docs": args.docs, "senders": args.senders, "batch": args.batch, "gzip": args.gzip, "auth": args.auth, "shape": args.shape,
        "seconds": round(elapsed, 2), "docs_per_s": round(args.docs / elapsed), "mb_per_s": round(raw_bytes / elapsed / 1e6, 1),
        "raw_ndjson_bytes": raw_bytes, "disk_bytes": disk, "disk_ratio": round(disk / raw_bytes, 4),
        "peak_rss_ingest_mb": round(ingest_peak / 1024, 1),
        "peak_anon_ingest_mb": round(ingest_parts["RssAnon"] / 1024, 1), "peak_file_ingest_mb": round(ingest_parts["RssFile"] / 1024, 1), "peak_rss_with_merge_mb": round(peak[0] / 1024, 1), "vmhwm_mb": round(hwm / 1024, 1), "idle_rss_mb": round(idle_rss / 1024, 1),
        "server_cpu_s_ingest": round(ingest_cpu, 2), "server_cpu_us_per_doc": round(ingest_cpu * 1e6 / args.docs, 2),
        "server_cpu_us_per_doc_by_thread": " ".join(f"{k}={v * 1e6 / args.docs:.2f}" for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1]) if v * 1e6 / args.docs >= 0.05),
        "client_cpu_s_ingest": round(client_cpu, 2),
        "forcemerge_s": round(merge_s, 1), "count": count, "errors": len(errors),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=2)
    for k, v in res.items():
        print(f"{k:22} {v}")
    if errors:
        print("first error:", errors[0], file=sys.stderr)
    return 0 if count == args.docs and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
