"""Logging through swift-log (issue 18 item 5): text lines in Elasticsearch's layout by default,
JSON lines with `--log-format json`, `--log-level` and `logger.level`, and the search and
indexing slow logs at their `warn` thresholds (server-wide or the index's own)."""
import json
import re
import subprocess

from conftest import BIN, Server, free_port


def lines(s):
    return [l for l in s.log_text().splitlines() if l.strip()]


def test_text_lines_have_time_level_and_logger(make_server):
    s = make_server().start()
    s.put("/gone"); s.delete("/gone")
    got = lines(s)
    pat = re.compile(r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\]\[(TRACE|DEBUG|INFO |WARN |ERROR|FATAL)\]\[[a-z.]+\] ")
    assert got and all(pat.match(l) for l in got), [l for l in got if not pat.match(l)][:3]
    assert any("[INFO ][logpond] listening on http://127.0.0.1" in l for l in got)
    assert any("[INFO ][logpond] deleted index [gone]" in l for l in got)


def test_json_lines(tmp_path):
    s = Server(str(tmp_path / "d"), extra_args=["--log-format", "json"]).start()
    try:
        s.put("/gone"); s.delete("/gone")
        objs = [json.loads(l) for l in lines(s)]   # every line is one JSON object
        assert all({"@timestamp", "log.level", "log.logger", "message"} <= set(o) for o in objs)
        assert any(o["message"].startswith("deleted index [gone] (uuid ") and o["log.level"] == "INFO" for o in objs)
        assert any(o["message"].startswith("listening on http://127.0.0.1") for o in objs)
    finally:
        s.stop()


def test_level_filters_lines(tmp_path):
    s = Server(str(tmp_path / "d"), "logger.level: warn\n").start()
    try:
        s.put("/gone"); s.delete("/gone")
        assert not any("deleted index" in l or "listening on" in l for l in lines(s))
    finally:
        s.stop()
    s = Server(str(tmp_path / "d2"), extra_args=["--log-level", "debug"]).start()
    try:
        s.put("/gone"); s.delete("/gone")
        assert any("deleted index [gone]" in l for l in lines(s))
    finally:
        s.stop()
    r = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d3"), "--port", str(free_port()), "--log-level", "loud"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "not a level" in r.stdout + r.stderr
    r = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d3"), "--port", str(free_port()), "--log-format", "xml"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "use text or json" in r.stdout + r.stderr
    # A slow-log threshold is read at start as it is per request: "1w" is no time value there.
    cfg = tmp_path / "slow.yml"
    cfg.write_text("index.search.slowlog.threshold.query.warn: 1w\n")
    r = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d3"), "--port", str(free_port()), "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "index.search.slowlog.threshold.query.warn: cannot read [1w]" in r.stdout + r.stderr


def test_slow_logs(tmp_path):
    cfg = "index.search.slowlog.threshold.query.warn: 0ms\nindex.indexing.slowlog.threshold.index.warn: 0ms\n"
    s = Server(str(tmp_path / "d"), cfg).start()
    try:
        s.bulk([{"index": {"_index": "slow-a"}}, {"n": 1}, {"index": {"_index": "slow-b"}}, {"n": 2}], refresh="true")
        s.search("slow-a", {"query": {"term": {"n": 1}}})
        got = lines(s)
        q = [l for l in got if "[index.search.slowlog.query]" in l]
        assert len(q) == 1 and "[WARN ]" in q[0] and "[slow-a]" in q[0] and 'source[{"query": {"term": {"n": 1}}}]' in q[0], q
        b = [l for l in got if "[index.indexing.slowlog.index]" in l]
        assert len(b) == 1 and "[slow-a,slow-b]" in b[0] and "items[2]" in b[0], b
    finally:
        s.stop()
    # Off server-wide, on for one index through its own dynamic setting.
    s = Server(str(tmp_path / "d2")).start()
    try:
        s.bulk([{"index": {"_index": "quiet"}}, {"n": 1}, {"index": {"_index": "watched"}}, {"n": 2}], refresh="true")
        s.put("/watched/_settings", {"index": {"search": {"slowlog": {"threshold": {"query": {"warn": "0ms"}}}}}})
        s.search("quiet", {}); s.search("watched", {})
        q = [l for l in lines(s) if "[index.search.slowlog.query]" in l]
        assert len(q) == 1 and "[watched]" in q[0], q
        s.put("/watched/_settings", {"index.search.slowlog.threshold.query.warn": "1h"})
        s.search("watched", {})
        assert len([l for l in lines(s) if "[index.search.slowlog.query]" in l]) == 1
    finally:
        s.stop()
