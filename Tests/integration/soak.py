"""A soak of several bulk senders and a reader against the real binary, kill -9 in the middle,
restart, then every acknowledged document must be found exactly once (issue 16).

    python3 Tests/integration/soak.py --minutes 10 --senders 3
The pytest wrapper (test_soak.py) runs it for 20 seconds in `make test`.
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

INDEX = "logstash-2024.01.15"


def sender(server, name, acked, stop, errors, pause):
    s = requests.Session()
    n = 0
    while not stop.is_set():
        # A steady load, not a flood: the check at the end pages through every document.
        time.sleep(pause)
        keys, lines = [], []
        for _ in range(random.randint(20, 200)):
            key = f"{name}-{n}"
            n += 1
            keys.append(key)
            lines.append('{"create":{"_index":"%s"}}' % INDEX)
            lines.append(json.dumps({"@timestamp": "2024-01-15T10:%02d:%02dZ" % (n % 60, n % 60), "key": key,
                                     "log": f"GET /api/{n} connection refused {name}",
                                     "kubernetes": {"pod_name": f"pod-{n % 7}", "labels": {"app": name}}}))
        try:
            r = s.post(server.url + "/_bulk", data="\n".join(lines) + "\n",
                       headers={"Content-Type": "application/x-ndjson"}, timeout=30)
        except requests.RequestException:
            continue
        if r.status_code == 200:
            for key, item in zip(keys, r.json()["items"]):
                if item["create"]["status"] == 201:
                    acked.add(key)
        elif r.status_code >= 500:
            errors.append(f"bulk {r.status_code}: {r.text[:200]}")


def reader(server, stop, errors):
    s = requests.Session()
    bodies = [
        {"query": {"match": {"log": "refused"}}, "size": 5, "sort": [{"@timestamp": "desc"}]},
        {"size": 0, "aggs": {"p": {"terms": {"field": "kubernetes.pod_name.keyword"}},
                             "h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1m"}}}},
        {"query": {"query_string": {"query": "log:GET AND kubernetes.pod_name:pod-3"}}, "size": 1},
    ]
    while not stop.is_set():
        try:
            r = s.post(server.url + f"/{INDEX}/_search", json=random.choice(bodies), timeout=30)
            if r.status_code >= 500:
                errors.append(f"search {r.status_code}: {r.text[:200]}")
        except requests.RequestException:
            pass
        time.sleep(0.05)


def all_keys(server):
    keys, last = [], None
    server.post(f"/{INDEX}/_refresh")
    while True:
        body = {"size": 5000, "sort": [{"key.keyword": "asc"}], "_source": ["key"]}
        if last is not None:
            body["search_after"] = [last]
        hits = server.search(INDEX, body).json()["hits"]["hits"]
        if not hits:
            return keys
        keys += [h["_source"]["key"] for h in hits]
        last = hits[-1]["sort"][0]


def soak(data_dir, seconds, senders=3, pause=0.0):
    """Runs the load for `seconds`, kill -9 halfway, restart, load again; returns a report."""
    server = Server(data_dir).start()
    acked, errors = set(), []
    try:
        for phase in range(2):
            stop = threading.Event()
            threads = [threading.Thread(target=sender, args=(server, f"p{phase}s{i}", acked, stop, errors, pause)) for i in range(senders)]
            threads.append(threading.Thread(target=reader, args=(server, stop, errors)))
            for t in threads:
                t.start()
            time.sleep(seconds / 2)
            if phase == 0:
                server.kill9()
            stop.set()
            for t in threads:
                t.join()
            if phase == 0:
                assert "Fatal error" not in server.log_text(), server.log_text()[-2000:]
                server.start()
        alive = server.alive()
        keys = all_keys(server)
        log = server.log_text()
        return {"acked": len(acked), "found": len(keys), "unique": len(set(keys)),
                "missing": len(acked - set(keys)), "alive": alive, "errors": errors[:5],
                "trap": "Fatal error" in log or "arithmetic overflow" in log}
    finally:
        server.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--senders", type=int, default=3)
    ap.add_argument("--pause", type=float, default=0.2, help="seconds each sender waits between bulks")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        rep = soak(os.path.join(d, "data"), a.minutes * 60, a.senders, a.pause)
    print(json.dumps(rep))
    ok = rep["missing"] == 0 and rep["found"] == rep["unique"] and rep["alive"] and not rep["errors"] and not rep["trap"]
    sys.exit(0 if ok else 1)
