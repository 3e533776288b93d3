"""The page's indices view and signing in (issue 19, items 1 and 6): with users configured, the
page asks for Basic credentials (the browser's prompt), a viewer sees every index with its
documents, size, dates and the retention rule that will delete it but no delete button, and a
curator deletes an index with the page's button. Each value is checked against the API."""
import calendar
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import Server
from test_security import add_user
from test_ui import HERE, NEEDED

CONFIG = """
logpond:
  retention:
    check_interval: 1h
    max_total_size: 10gb
    budget_pattern: "logstash-*"
    policies:
      - {pattern: "logstash-*", max_age: 30d}
      - {pattern: "audit-*", max_age: 10d, source: creation_date}
"""


def drive(url, user, password, out, delete=None):
    args = ["/usr/bin/python3", os.path.join(HERE, "ui_indices_driver.py"), url, user, password, out] + ([delete] if delete else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=HERE)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_indices_page_signed_in(tmp_path):
    if not all(os.path.exists(p) for p in NEEDED) or not os.path.exists("/usr/lib/python3/dist-packages/selenium"):
        pytest.fail("chromium, chromium-driver and python3-selenium are needed: `make testdeps` (make test does) installs them")
    data = str(tmp_path / "data")
    s = Server(data, config_text=CONFIG).start()
    try:
        now = time.time()
        day = lambda ago: time.strftime("%Y.%m.%d", time.gmtime(now - ago * 86400))
        names = {f"logstash-{day(0)}": 5, f"logstash-{day(1)}": 3, "audit-log": 2, "other": 1}
        for ix, n in names.items():
            lines = []
            for i in range(n):
                ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - 60 * (i + 1))) + ".000Z"
                lines += [{"index": {"_index": ix}}, {"@timestamp": ts, "log": f"line {i}"}]
            assert s.bulk(lines).json()["errors"] is False
        s.post("/_flush")
        add_user(data, "grafana", "viewer", "s3cret-viewer")
        add_user(data, "cron", "curator", "s3cret-curator")
        deadline = time.time() + 5
        while requests.get(s.url + "/", timeout=10).status_code != 401:
            assert time.time() < deadline, "users were not picked up"
            time.sleep(0.1)

        # What makes a browser show its sign-in prompt: a 401 with a Basic challenge.
        for path in ("/_logpond/", "/_logpond/indices", "/_logpond/api/indices"):
            r = requests.get(s.url + path, headers={"Accept": "text/html"}, timeout=10)
            assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith('Basic realm="security"'), (path, r.status_code)
        viewer, curator = ("grafana", "s3cret-viewer"), ("cron", "s3cret-curator")
        api = requests.get(s.url + "/_logpond/api/indices", auth=viewer, timeout=10)
        assert api.status_code == 200 and api.json()["can_delete"] is False
        assert requests.get(s.url + "/_logpond/api/indices", auth=curator, timeout=10).json()["can_delete"] is True
        assert requests.post(s.url + "/_logpond/api/indices", auth=curator, timeout=10).status_code == 405

        out = str(tmp_path / "screens")
        os.makedirs(out, exist_ok=True)
        seen = drive(f"{s.url}/_logpond/indices", *viewer, out)
        print("screenshots in", out)
        assert seen["error"] == ""
        cat = {r["index"]: r for r in requests.get(s.url + "/_cat/indices?format=json&bytes=b&h=index,docs.count,store.size,creation.date",
                                                     auth=viewer, timeout=10).json()}
        rows = {r["index"]: r for r in seen["rows"]}
        assert set(rows) == set(cat) == set(names)
        for ix, r in rows.items():
            assert r["docs"] == int(cat[ix]["docs.count"]) == names[ix], ix
            assert r["bytes"] == int(cat[ix]["store.size"]) > 0, ix
            assert r["created"] == int(cat[ix]["creation.date"]), ix
            newest = requests.post(s.url + f"/{ix}/_search", auth=viewer, timeout=10,
                                   json={"size": 0, "aggs": {"t": {"max": {"field": "@timestamp"}}}}).json()["aggregations"]["t"]["value"]
            assert int(r["newest"]) == int(newest), ix
            assert r["can_delete"] is False
        # By name: the day in the name plus 30 days; by creation date: created plus 10 days.
        for d in (0, 1):
            midnight = calendar.timegm(time.strptime(day(d), "%Y.%m.%d")) * 1000
            r = rows[f"logstash-{day(d)}"]
            assert int(r["delete_after"]) == midnight + 30 * 86400_000 and "policy logstash-*" in r["retention"]
            assert "oldest first when data passes 10 GB" in r["retention"]
        assert int(rows["audit-log"]["delete_after"]) == rows["audit-log"]["created"] + 10 * 86400_000
        assert "creation date" in rows["audit-log"]["retention"]
        assert rows["other"]["delete_after"] == "" and rows["other"]["retention"] == "never (no policy matches)"
        assert "may not delete" in seen["summary"]
        assert seen["filtered"] == sorted(i for i in names if i.startswith("logstash-"))
        assert seen["discover"] == {"total": sum(n for i, n in names.items() if i.startswith("logstash-")), "error": ""}

        # A curator deletes one with the button (asked twice); the index is gone.
        seen = drive(f"{s.url}/_logpond/indices", *curator, out, delete="other")
        assert all(r["can_delete"] for r in seen["rows"]) and "may not delete" not in seen["summary"]
        assert "other" in seen["armed"] and seen["error_after"] == ""
        assert "other" not in seen["after_delete"] and len(seen["after_delete"]) == 3
        assert requests.get(s.url + "/other", auth=curator, timeout=10).status_code == 404
    finally:
        s.stop()
