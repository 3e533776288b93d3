"""Deterministic corpus of fluent-bit-shaped Kubernetes log records, messages drawn from
../shared/data/loghub when present, built-in templates otherwise.

Two shapes: `seed` (the default) is the seed's stored document: per pod 1–4 annotations whose
keys hold `.` and `/` and whose values include JSON in a string, labels beyond the four the
template maps, `time` with nanoseconds, messages in runs per source as real logs come, `index`
and `create` actions. `lean` is the earlier corpus (four labels, no annotations, every message
drawn independently, `create` actions), kept to show that it does not get slower."""
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


ANNOTATION_KEYS = ["kubernetes.io/config.seen", "kubernetes.io/config.source", "prometheus.io/scrape", "prometheus.io/port",
                   "checksum/config", "seccomp.security.alpha.kubernetes.io/pod", "cluster-autoscaler.kubernetes.io/safe-to-evict"]


def seed_pod_extras(rnd, i, app, ns, pod_name):
    """The labels and annotations a seed-shaped pod carries beyond the lean four."""
    labels = {"controller-revision-hash": "%d" % rnd.randrange(10**9, 10**10), "pod-template-generation": str(rnd.randrange(1, 9)),
              "name": app + "-agent"}
    if rnd.random() < 0.3:
        labels["statefulset.kubernetes.io/pod-name"] = pod_name
    if rnd.random() < 0.5:
        labels[rnd.choice(["weave-cloud-component", "component", "tier"])] = rnd.choice(["scope", "frontend", "backend", "control-plane"])
    owner_uid = "%08x-%04x-11e7-b0d2-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(48))
    created_by = json.dumps({"kind": "SerializedReference", "apiVersion": "v1", "reference": {
        "kind": rnd.choice(["DaemonSet", "ReplicaSet", "StatefulSet"]), "namespace": ns, "name": app, "uid": owner_uid,
        "apiVersion": "extensions", "resourceVersion": str(rnd.randrange(100, 99999))}}, separators=(",", ":")) + "\n"
    annotations = {"kubernetes_io/created-by": created_by}
    for key in rnd.sample(ANNOTATION_KEYS, rnd.randrange(0, 4)):
        annotations[key] = {"kubernetes.io/config.seen": "2024-01-1%dT0%d:%02d:%02d.%09dZ" % (rnd.randrange(10), rnd.randrange(10), rnd.randrange(60), rnd.randrange(60), rnd.randrange(10**9)),
                            "kubernetes.io/config.source": "api", "prometheus.io/scrape": "true", "prometheus.io/port": str(rnd.choice([8080, 9090, 9100])),
                            "checksum/config": "%064x" % rnd.getrandbits(256), "seccomp.security.alpha.kubernetes.io/pod": "docker/default",
                            "cluster-autoscaler.kubernetes.io/safe-to-evict": "true"}[key]
    return labels, annotations


def generate(n, days=3, seed=42, loghub_dir=None, start="2024-01-15", shape="seed"):
    """Yields (index_name, record_dict) in time order across `days` UTC days."""
    assert shape in ("seed", "lean"), shape
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
        if shape == "seed":
            labels, annotations = seed_pod_extras(rnd, i, app, ns, pods[-1]["pod_name"])
            pods[-1]["labels"].update(labels)
            # Key order as Fluent Bit's kubernetes filter writes it.
            p = pods[-1]
            pods[-1] = {"pod_name": p["pod_name"], "namespace_name": ns, "pod_id": p["pod_id"], "labels": p["labels"],
                        "annotations": annotations, "host": p["host"], "container_name": p["container_name"], "docker_id": p["docker_id"]}
    run_left, pod, cursor = 0, None, 0
    for k in range(n):
        ns_time = t0 * 10**9 + k * span_ns // n + rnd.randrange(10**6)
        secs, frac = divmod(ns_time, 10**9)
        tm = time.gmtime(secs)
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
        if shape == "lean":
            pod, message = pods[rnd.randrange(len(pods))], msgs[rnd.randrange(len(msgs))]
        else:
            # A source writes a run of consecutive lines (1–20), then another source takes over.
            if run_left == 0:
                pod, cursor, run_left = pods[rnd.randrange(len(pods))], rnd.randrange(len(msgs)), rnd.randrange(1, 21)
            message = msgs[cursor % len(msgs)]
            cursor += 1
            run_left -= 1
        rec = {
            "@timestamp": f"{ts}.{frac // 10**6:03d}Z",
            "log": message + "\n",
            "stream": "stderr" if rnd.random() < 0.2 else "stdout",
            "time": f"{ts}.{frac:09d}Z",
            "kubernetes": pod,
        }
        yield "logstash-" + time.strftime("%Y.%m.%d", tm), rec


def bulk_bodies(n, batch=2000, shape="seed", **kw):
    """NDJSON `_bulk` bodies in Fluent Bit's wire form (actions with `_type`)."""
    return to_bulk(generate(n, shape=shape, **kw), batch=batch, shape=shape)


def to_bulk(records, batch=2000, shape="seed"):
    """`_bulk` bodies of (index, record) pairs: `create` actions for the lean shape; for the
    seed shape `index` (Fluent Bit's default, fluentd's) in three batches of four and `create`
    (Fluent Bit's `Write_Operation create`) in the fourth."""
    lines = []
    count = 0
    batches = 0
    for index, rec in records:
        action = "create" if shape == "lean" or batches % 4 == 3 else "index"
        lines.append('{"%s":{"_index":"%s","_type":"_doc"}}' % (action, index))
        lines.append(json.dumps(rec, separators=(",", ":"), ensure_ascii=False))
        count += 1
        if count == batch:
            yield ("\n".join(lines) + "\n").encode()
            lines, count = [], 0
            batches += 1
    if lines:
        yield ("\n".join(lines) + "\n").encode()
