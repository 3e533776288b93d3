"""Time from pressing Enter to the painted histogram and first 50 rows, as the page measures it
(`window.__lastPaintMs`, performance.now()), in Debian's headless chromium. Run with Debian's
python3 (python3-selenium) against a server holding the records:

    python3 Benchmarks/ingest.py --docs 1000000 --days 3 --keep      # prints nothing of the path:
    .build/release/logpond serve --data /tmp/logpond-bench-XXXX --port 9395 &
    /usr/bin/python3 Benchmarks/ui_paint.py --url http://127.0.0.1:9395 --from 1705363200000 --to 1705449600000

The corpus spans 2024-01-15 .. 2024-01-17; the range above is one whole day of it (a third of
the records), what "the last 24 hours" asks of live data.
"""
import argparse
import json
import statistics
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ap = argparse.ArgumentParser()
ap.add_argument("--url", default="http://127.0.0.1:9395")
ap.add_argument("--from", dest="frm", type=int, default=1705363200000)
ap.add_argument("--to", type=int, default=1705449600000)
ap.add_argument("--runs", type=int, default=7)
args = ap.parse_args()

o = webdriver.ChromeOptions()
o.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"]:
    o.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def wait(n):
    end = time.time() + 30
    while time.time() < end and d.execute_script("return window.__runs || 0") <= n:
        time.sleep(0.02)


d.get(f"{args.url}/_logpond/?index=logstash-*&from={args.frm}&to={args.to}")
wait(0)
res = {}
for q in ["", "error", "kubernetes.namespace_name:kube-system"]:
    ms = []
    for _ in range(args.runs):
        n = d.execute_script("return window.__runs || 0")
        box = d.find_element(By.CSS_SELECTOR, '[data-test="query"]')
        box.clear()
        box.send_keys(q, Keys.ENTER)
        wait(n)
        ms.append(d.execute_script("return window.__lastPaintMs"))
    res[q or "(all)"] = {"median_ms": round(statistics.median(ms), 1), "max_ms": round(max(ms), 1),
                         "total": d.find_element(By.CSS_SELECTOR, '[data-test="total"]').text}
d.quit()
print(json.dumps(res, indent=1))
