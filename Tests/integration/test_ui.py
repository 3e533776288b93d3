"""The web page (issue 19, first part): driven in Debian's chromium by `ui_driver.py`, its
totals, histogram, filters, zoom and links are checked against `_count` and `_search` on the
same data (a few thousand seed-shaped records over two days). Screenshots of each state are
kept in the test's output folder."""
import json
import os
import random
import shutil
import subprocess
import time

import pytest

from conftest import FIXTURES

HERE = os.path.dirname(__file__)
NEEDED = ["/usr/bin/chromium", "/usr/bin/chromedriver"]


def seed_records(n, now_ms):
    with open(os.path.join(FIXTURES, "seed-source.json")) as f:
        seed = json.load(f)
    rng = random.Random(7)
    pods = [("kube-system", "weave-scope-agent-56dfr", "agent"), ("default", "web-7d9f8-abcde", "nginx"),
            ("monitoring", "prometheus-0", "prometheus"), ("default", "api-5c6b7-xyz12", "api")]
    out = []
    for i in range(n):
        ns, pod, container = pods[i % len(pods)]
        ts = now_ms - rng.randint(60_000, 47 * 3600_000)
        doc = json.loads(json.dumps(seed))
        doc["@timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts / 1000)) + ".%03dZ" % (ts % 1000)
        level = "error" if i % 7 == 0 else "info"
        doc["log"] = f"{level}: request {i} to /api/{i % 13} took {rng.randint(1, 900)}ms\n"
        doc["kubernetes"].update({"namespace_name": ns, "pod_name": pod, "container_name": container})
        out.append(doc)
    return out


def count(s, st):
    """What `_count` says for the state a page URL holds."""
    must = [{"query_string": {"query": st["q"], "default_operator": "AND"}}] if st.get("q") else [{"match_all": {}}]
    flt = [{"range": {"@timestamp": {"gte": int(st["from"]), "lte": int(st["to"]), "format": "epoch_millis"}}}]
    not_ = []
    for f in json.loads(st.get("filters", "[]")):
        (not_ if f.get("neg") else flt).append({"term": {f["field"]: f["value"]}})
    r = s.post("/logstash-*/_count", {"query": {"bool": {"must": must, "filter": flt, "must_not": not_}}})
    assert r.status_code == 200, r.text
    return r.json()["count"]


def test_discover_in_a_browser(server, tmp_path):
    if not all(os.path.exists(p) for p in NEEDED) or not os.path.exists("/usr/lib/python3/dist-packages/selenium"):
        pytest.fail("chromium, chromium-driver and python3-selenium are needed: `make testdeps` (make test does) installs them")
    now = int(time.time() * 1000)
    docs = seed_records(3000, now)
    by_day = {}
    for d in docs:
        by_day.setdefault("logstash-" + d["@timestamp"][:10].replace("-", "."), []).append(d)
    for idx, ds in by_day.items():
        lines = []
        for d in ds:
            lines += [{"index": {"_index": idx}}, d]
        assert server.bulk(lines).json()["errors"] is False
    server.post("/_refresh")
    out = os.environ.get("LOGPOND_UI_SCREENSHOTS") or str(tmp_path / "screens")
    os.makedirs(out, exist_ok=True)
    frm, to = now - 48 * 3600_000, now
    url = f"{server.url}/_logpond/?index=logstash-*&from={frm}&to={to}"
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "ui_driver.py"), url, out], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    print("screenshots in", out, "; paint ms per step:", {k: v.get("paint_ms") for k, v in seen.items() if isinstance(v, dict)})

    opened = seen["opened"]
    assert opened["error"] == "" and opened["total"] == 3000 == count(server, opened["state"])
    assert 60 <= opened["bars"] <= 121 and opened["bar_sum"] == opened["total"]
    assert len(opened["hits"]) == 50
    newest = server.post("/logstash-*/_search", {"size": 50, "sort": [{"@timestamp": "desc"}], "_source": False,
                                                 "query": {"range": {"@timestamp": {"gte": frm, "lte": to, "format": "epoch_millis"}}}}).json()["hits"]["hits"]
    assert opened["hits"][:10] == [h["_id"] for h in newest][:10]

    q = seen["query"]
    assert q["state"]["q"] == "log:error" and q["total"] == count(server, q["state"]) == sum(1 for i in range(3000) if i % 7 == 0)
    assert q["bar_sum"] == q["total"]
    assert "error" in seen["detail"]["log"] and seen["detail"]["kubernetes"]["host"] == "k2-node06"

    top = seen["values"]
    assert 1 <= len(top) <= 5 and top == sorted(top, key=lambda v: -v["count"])
    f = seen["filtered"]
    assert f["filters"] and top[0]["value"] in f["filters"][0]
    assert f["total"] == count(server, f["state"]) == top[0]["count"]

    z = seen["zoomed"]
    zf, zt = int(z["state"]["from"]), int(z["state"]["to"])
    assert frm < zf < zt < to and abs((zt - zf) - (to - frm) / 2) < (to - frm) * 0.1, (zf, zt)
    assert z["total"] == count(server, z["state"]) and z["bar_sum"] == z["total"] and z["total"] < f["total"]

    again = seen["reopened"]
    assert again["state"] == z["state"] and again["total"] == z["total"] and again["query"] == "log:error"
    assert again["filters"] == z["filters"] and again["hits"] == z["hits"]

    # Surrounding lines: the hit marked, time order, one pod and container, 50 each side.
    ctx = seen["context"]
    assert [c["id"] for c in ctx if c["hit"]] == [seen["context_of"]]
    times = [c["time"] for c in ctx]
    assert times == sorted(times)
    docs = server.post("/logstash-*/_search", {"size": 200, "query": {"ids": {"values": [c["id"] for c in ctx]}}}).json()["hits"]["hits"]
    assert len(docs) == len(ctx)
    pods = {(h["_source"]["kubernetes"]["pod_name"], h["_source"]["kubernetes"]["container_name"]) for h in docs}
    assert len(pods) == 1
    hit = next(h for h in docs if h["_id"] == seen["context_of"])
    pod, container = next(iter(pods))
    same = [{"term": {"kubernetes.pod_name": pod}}, {"term": {"kubernetes.container_name": container}}]
    def n(op):
        return server.post("/logstash-*/_count", {"query": {"bool": {"filter": same + [{"range": {"@timestamp": {op: hit["_source"]["@timestamp"]}}}]}}}).json()["count"]
    hit_at = [c["hit"] for c in ctx].index(True)
    assert hit_at == min(50, n("lt")) and len(ctx) - hit_at - 1 == min(50, n("gt"))
    assert seen["context_more"] == len(ctx) + min(50, max(0, n("lt") - 50))

    # Patterns: counts add up to the lines looked at (the matches, up to 10,000); the test's
    # two line shapes ("error: request N to /api/K took Mms" and the info one) come out as two.
    for key in ("patterns", "patterns_all"):
        p = seen[key]
        assert sum(p["counts"]) == p["lines"] == min(10000, count(server, p["view"]["state"])), key
        assert p["counts"] == sorted(p["counts"], reverse=True)
    assert len(seen["patterns"]["counts"]) == 1 and "error: request <NUM> to /api/<NUM> took <NUM>" in seen["patterns"]["texts"][0]
    assert len(seen["patterns_all"]["counts"]) == 2

    # Live tail: the document indexed after the page opened is on top within 3 s.
    lv = seen["live"]
    assert lv["seconds"] is not None and lv["seconds"] <= 3, lv
    assert lv["first_row"] == lv["id"] and lv["total"] == lv["before_total"] + 1


def test_tail_stream_and_its_errors(server):
    import requests
    assert server.get("/_logpond/tail?q=a:(").status_code == 400
    server.put("/logstash-tail")
    r = requests.get(server.url + "/_logpond/tail?index=logstash-*&q=stream-me", stream=True, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
    lines = r.iter_lines(decode_unicode=True)
    assert next(lines).startswith(": logpond tail")
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    server.post("/logstash-tail/_doc?refresh=true", {"@timestamp": now, "log": "stream-me once"})
    server.post("/logstash-tail/_doc?refresh=true", {"@timestamp": now, "log": "not this one"})
    events = []
    for l in lines:
        if l.startswith("data: "):
            events.append(json.loads(l[6:]))
            break
    r.close()
    assert events[0]["_index"] == "logstash-tail" and events[0]["_source"]["log"] == "stream-me once" and events[0]["_id"]
