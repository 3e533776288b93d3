"""Drives the web page as a person does, with Debian's chromium, chromium-driver and
python3-selenium (run by Debian's python3: `python3 ui_driver.py URL OUTDIR`). Prints one JSON
object of what it saw at each step; test_ui.py checks it against the API. Screenshots of each
state go to OUTDIR."""
import json
import sys
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ui_driver_common import browser, wait_js

URL, OUT = sys.argv[1], sys.argv[2]


def runs(d):
    return d.execute_script("return window.__runs || 0")


def wait_run(d, before, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if runs(d) > before:
            return
        time.sleep(0.05)
    raise AssertionError("the page did not finish a search in time; error: " + d.find_element(By.ID, "error").text)


def view(d):
    """What the page shows now, and the state in its URL."""
    bars = d.find_elements(By.CSS_SELECTOR, '[data-test="histogram-bar"]')
    q = parse_qs(urlparse(d.current_url).query)
    return {
        "url": d.current_url,
        "state": {k: v[0] for k, v in q.items()},
        "total": int(d.find_element(By.CSS_SELECTOR, '[data-test="total"]').text),
        "bars": len(bars),
        "bar_sum": sum(int(b.get_attribute("data-count")) for b in bars),
        "hits": [h.get_attribute("data-id") for h in d.find_elements(By.CSS_SELECTOR, '[data-test="hit"]')],
        "filters": [f.text for f in d.find_elements(By.CSS_SELECTOR, '[data-test="filter"]')],
        "query": d.find_element(By.CSS_SELECTOR, '[data-test="query"]').get_attribute("value"),
        "paint_ms": d.execute_script("return window.__lastPaintMs"),
        "error": d.find_element(By.ID, "error").text,
    }


def main():
    d = browser()
    seen = {}
    try:
        d.get(URL)
        wait_run(d, 0, timeout=30)
        seen["opened"] = view(d)
        d.save_screenshot(OUT + "/1-opened.png")

        # A query typed and Enter pressed.
        before = runs(d)
        box = d.find_element(By.CSS_SELECTOR, '[data-test="query"]')
        box.clear()
        box.send_keys("log:error", Keys.ENTER)
        wait_run(d, before)
        seen["query"] = view(d)
        d.save_screenshot(OUT + "/2-query.png")

        # A row expands to the whole document.
        d.find_element(By.CSS_SELECTOR, '[data-test="hit"]').click()
        seen["detail"] = json.loads(d.find_element(By.CSS_SELECTOR, '[data-test="json"]').text)
        d.save_screenshot(OUT + "/3-detail.png")

        # A field's top values, one clicked: a filter pill, the search again.
        d.find_element(By.CSS_SELECTOR, '[data-test="field"][data-field="kubernetes.namespace_name"]').click()
        end = time.time() + 10
        while time.time() < end and not d.find_elements(By.CSS_SELECTOR, '[data-test="field-value"]'):
            time.sleep(0.05)
        values = d.find_elements(By.CSS_SELECTOR, '[data-test="field-value"]')
        seen["values"] = [{"value": v.get_attribute("data-value"), "count": int(v.get_attribute("data-count"))} for v in values]
        d.save_screenshot(OUT + "/4-field-values.png")
        before = runs(d)
        values[0].click()
        wait_run(d, before)
        seen["filtered"] = view(d)
        d.save_screenshot(OUT + "/5-filtered.png")

        # Drag across the middle half of the histogram: the range zooms to it.
        svg = d.find_element(By.CSS_SELECTOR, '[data-test="histogram"]')
        w = svg.size["width"]
        before = runs(d)
        ActionChains(d).move_to_element_with_offset(svg, int(-w * 0.25), 0).click_and_hold().move_by_offset(int(w * 0.5), 0).release().perform()
        wait_run(d, before)
        seen["zoomed"] = view(d)
        d.save_screenshot(OUT + "/6-zoomed.png")

        # The URL reproduces the view in a new tab.
        url = d.current_url
        d.switch_to.new_window("tab")
        d.get(url)
        wait_run(d, 0, timeout=30)
        seen["reopened"] = view(d)
        d.save_screenshot(OUT + "/7-reopened.png")

        # Surrounding lines of a hit: from its pod and container, in time order, more on demand.
        hits = d.find_elements(By.CSS_SELECTOR, '[data-test="hit"]')
        target = hits[min(3, len(hits) - 1)]
        seen["context_of"] = target.get_attribute("data-id")
        target.click()
        before = d.execute_script("return window.__contextRuns || 0")
        d.find_element(By.CSS_SELECTOR, '[data-test="context"]').click()
        wait_js(d, "return (window.__contextRuns || 0) > " + str(before))
        lines = d.find_elements(By.CSS_SELECTOR, '[data-test="context-line"]')
        seen["context"] = [{"id": l.get_attribute("data-id"), "time": l.get_attribute("data-time"), "hit": l.get_attribute("data-hit") == "true"} for l in lines]
        d.save_screenshot(OUT + "/8-context.png")
        before = d.execute_script("return window.__contextRuns || 0")
        d.find_element(By.CSS_SELECTOR, '[data-test="context-earlier"]').click()
        wait_js(d, "return (window.__contextRuns || 0) > " + str(before))
        seen["context_more"] = len(d.find_elements(By.CSS_SELECTOR, '[data-test="context-line"]'))
        d.find_element(By.CSS_SELECTOR, '[data-test="context-close"]').click()

        # Patterns of the current matches, then of everything in the range.
        before = d.execute_script("return window.__patternRuns || 0")
        d.find_element(By.CSS_SELECTOR, '[data-test="patterns"]').click()
        wait_js(d, "return (window.__patternRuns || 0) > " + str(before))
        seen["patterns"] = {"view": view(d), "counts": [int(p.get_attribute("data-count")) for p in d.find_elements(By.CSS_SELECTOR, '[data-test="pattern"]')],
                            "texts": [p.text for p in d.find_elements(By.CSS_SELECTOR, '[data-test="pattern"]')],
                            "lines": int(d.find_element(By.CSS_SELECTOR, '[data-test="patterns-summary"]').get_attribute("data-lines"))}
        before_p, before_r = d.execute_script("return window.__patternRuns || 0"), runs(d)
        for f in d.find_elements(By.CSS_SELECTOR, '[data-test="filter-remove"]'):
            f.click()
            break
        box = d.find_element(By.CSS_SELECTOR, '[data-test="query"]')
        box.clear()
        box.send_keys(Keys.ENTER)
        wait_js(d, "return (window.__patternRuns || 0) > " + str(before_p + 1))
        seen["patterns_all"] = {"view": view(d), "counts": [int(p.get_attribute("data-count")) for p in d.find_elements(By.CSS_SELECTOR, '[data-test="pattern"]')],
                                "texts": [p.text for p in d.find_elements(By.CSS_SELECTOR, '[data-test="pattern"]')],
                                "lines": int(d.find_element(By.CSS_SELECTOR, '[data-test="patterns-summary"]').get_attribute("data-lines"))}
        d.save_screenshot(OUT + "/9-patterns.png")

        # Live tail: a document indexed after the page opened appears within 3 s.
        base = URL.split("/_logpond/")[0]
        d.get(base + "/_logpond/?index=logstash-*&q=livetail&from=now-15m&to=now")
        wait_run(d, 0, timeout=30)
        before_total = int(d.find_element(By.CSS_SELECTOR, '[data-test="total"]').text)
        d.find_element(By.CSS_SELECTOR, '[data-test="live"]').click()
        time.sleep(1.2)   # the tail's first poll
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        req = urllib.request.Request(base + "/logstash-" + now[:10].replace("-", ".") + "/_doc?refresh=true", method="POST",
                                     data=json.dumps({"@timestamp": now, "log": "livetail line", "kubernetes": {"pod_name": "live-pod"}}).encode(),
                                     headers={"Content-Type": "application/json"})
        posted = time.time()
        new_id = json.loads(urllib.request.urlopen(req).read())["_id"]
        appeared = None
        while time.time() - posted < 10:
            if d.find_elements(By.CSS_SELECTOR, '[data-test="hit"][data-id="' + new_id + '"]'):
                appeared = time.time() - posted
                break
            time.sleep(0.05)
        seen["live"] = {"id": new_id, "seconds": appeared, "before_total": before_total,
                        "total": int(d.find_element(By.CSS_SELECTOR, '[data-test="total"]').text),
                        "first_row": d.find_elements(By.CSS_SELECTOR, '[data-test="hit"]')[0].get_attribute("data-id") if appeared else None}
        d.save_screenshot(OUT + "/10-live.png")
    finally:
        d.quit()
    print(json.dumps(seen))


main()
