"""What the browser drivers share: Debian's chromium through chromium-driver, and waiting for
the page. Run by Debian's python3, which has python3-selenium."""
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900", "--disable-gpu"]:
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def wait_js(d, script, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if d.execute_script(script):
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for: " + script)
