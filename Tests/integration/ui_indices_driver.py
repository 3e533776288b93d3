"""Drives the indices page (`/_logpond/indices`) in Debian's chromium, signed in as a user:
`python3 ui_indices_driver.py URL USER PASSWORD OUTDIR [DELETE]`. The page is opened as
http://USER:PASSWORD@host/...: chromium answers the server's Basic challenge with them and keeps
them in its auth cache, as it does with what a person types into its prompt (which headless
chromium cannot show), so the page's own requests are signed in as they would be. Prints one
JSON object of what the page showed (and, with DELETE, after deleting that index with its
button)."""
import json
import sys
import time
from urllib.parse import quote

from selenium.webdriver.common.by import By

from ui_driver_common import browser, wait_js

URL, USER, PASSWORD, OUT = sys.argv[1:5]
DELETE = sys.argv[5] if len(sys.argv) > 5 else None


def rows(d):
    out = []
    for tr in d.find_elements(By.CSS_SELECTOR, '[data-test="index-row"]'):
        f = lambda t: tr.find_element(By.CSS_SELECTOR, f'[data-test="{t}"]')
        out.append({"index": tr.get_attribute("data-index"), "docs": int(f("index-docs").get_attribute("data-docs")),
                    "bytes": int(f("index-size").get_attribute("data-bytes")), "created": int(f("index-created").get_attribute("data-ms")),
                    "newest": f("index-newest").get_attribute("data-ms"), "retention": f("index-retention").text,
                    "delete_after": f("index-retention").get_attribute("data-delete-after"),
                    "can_delete": len(tr.find_elements(By.CSS_SELECTOR, '[data-test="index-delete"]')) == 1})
    return out


def main():
    d = browser()
    seen = {}
    try:
        d.get(URL.replace("://", f"://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@", 1))
        wait_js(d, "return document.body.dataset.loaded !== undefined || document.getElementById('error').textContent !== ''")
        d.save_screenshot(f"{OUT}/indices-{USER}.png")
        seen["rows"] = rows(d)
        seen["error"] = d.find_element(By.ID, "error").text
        seen["summary"] = d.find_element(By.CSS_SELECTOR, '[data-test="retention-summary"]').text
        if DELETE:
            tr = d.find_element(By.CSS_SELECTOR, f'[data-test="index-row"][data-index="{DELETE}"]')
            tr.find_element(By.CSS_SELECTOR, '[data-test="index-delete"]').click()
            seen["armed"] = [r["index"] for r in rows(d)]     # the first click only asks again
            before = d.execute_script("return document.body.dataset.loaded")
            tr.find_element(By.CSS_SELECTOR, '[data-test="index-delete-confirm"]').click()
            wait_js(d, f"return document.body.dataset.loaded !== '{before}' || document.getElementById('error').textContent !== ''")
            d.save_screenshot(f"{OUT}/indices-after-delete.png")
            seen["after_delete"] = [r["index"] for r in rows(d)]
            seen["error_after"] = d.find_element(By.ID, "error").text
        d.find_element(By.CSS_SELECTOR, '[data-test="index-filter"]').send_keys("logstash-*")
        seen["filtered"] = [r["index"] for r in rows(d)]
        # Discover, signed in the same way: its searches run as this user.
        d.find_element(By.CSS_SELECTOR, '[data-test="nav-discover"]').click()
        wait_js(d, "return (window.__runs || 0) > 0 || document.getElementById('error').textContent !== ''")
        d.save_screenshot(f"{OUT}/discover-{USER}.png")
        seen["discover"] = {"total": int(d.find_element(By.CSS_SELECTOR, '[data-test="total"]').text), "error": d.find_element(By.ID, "error").text}
    finally:
        d.quit()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
