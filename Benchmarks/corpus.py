"""Deterministic corpus of fluent-bit-shaped Kubernetes log records (the seed's stored document
shape), messages drawn from ../shared/data/loghub when present, built-in templates otherwise."""
import glob
import json
import os
import random
import time

BUILTIN = [
    "GET /healthz 200 1ms", "connection refused while connecting to upstream", "Started container",
    "Liveness probe failed: HTTP probe failed with statuscode: 500", "pulling image nginx:1.25",
    "error: could not resolve host", "request completed in 35ms", "WARN: slow query took 1200ms",
]
NAMESPACES = ["default", "kube-system", "monitoring", "logging", "ingress-nginx", "payments", "search", "auth"]
APPS = ["web", "api", "worker", "db-proxy", "cache", "scheduler", "fluent-bit", "coredns", "prometheus", "nginx"]


def load_messages(loghub_dir):
    msgs = []
    for path in sorted(glob.glob(os.path.join(loghub_dir, "*.log"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            msgs += [l.rstrip("\r\n") for l in f if l.strip()]
    return msgs or BUILTIN


def generate(n, days=3, seed=42, loghub_dir=None, start="2024-01-15"):
    """Yields (index_name, record_dict) in time order across `days` UTC days."""
    rnd = random.Random(seed)
    msgs = load_messages(loghub_dir) if loghub_dir and os.path.isdir(loghub_dir) else BUILTIN
    t0 = int(time.mktime(time.strptime(start, "%Y-%m-%d"))) - time.timezone
    span_ns = days * 86400 * 10**9
    pods = []
    for i in range(200):
        ns = NAMESPACES[i % len(NAMESPACES)]
        app = APPS[(i * 7) % len(APPS)]
        suffix = "".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        pods.append({
            "pod_name": f"{app}-{rnd.randrange(10**9):x}-{suffix}", "namespace_name": ns,
            "pod_id": "%08x-%04x-%04x-%04x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(16), rnd.getrandbits(16), rnd.getrandbits(48)),
            "labels": {"app": app, "pod-template-hash": "%x" % rnd.getrandbits(32), "release": rnd.choice(["stable", "canary"])},
            "host": f"node-{i % 12:02d}", "container_name": app,
            "docker_id": "%064x" % rnd.getrandbits(256),
        })
    for k in range(n):
        ns_time = t0 * 10**9 + k * span_ns // n + rnd.randrange(10**6)
        secs, frac = divmod(ns_time, 10**9)
        tm = time.gmtime(secs)
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
        pod = pods[rnd.randrange(len(pods))]
        rec = {
            "@timestamp": f"{ts}.{frac // 10**6:03d}Z",
            "log": msgs[rnd.randrange(len(msgs))] + "\n",
            "stream": "stderr" if rnd.random() < 0.2 else "stdout",
            "time": f"{ts}.{frac:09d}Z",
            "kubernetes": pod,
        }
        yield "logstash-" + time.strftime("%Y.%m.%d", tm), rec


def bulk_bodies(n, batch=2000, **kw):
    """NDJSON `_bulk` bodies in Fluent Bit's wire form (create actions with `_type`)."""
    lines = []
    count = 0
    for index, rec in generate(n, **kw):
        lines.append('{"create":{"_index":"%s","_type":"_doc"}}' % index)
        lines.append(json.dumps(rec, separators=(",", ":"), ensure_ascii=False))
        count += 1
        if count == batch:
            yield ("\n".join(lines) + "\n").encode()
            lines, count = [], 0
    if lines:
        yield ("\n".join(lines) + "\n").encode()
