"""Harness of the console's browser tests.

Starts the real `ferry` binary (built by cargo) on 127.0.0.1:0 with
credentials, and a headless Debian Chromium driven by Selenium with the
system chromedriver (Selenium Manager never downloads anything). Waits use
deadlines (WebDriverWait), never sleeps. Screenshots go to the output folder
(CONSOLE_TEST_OUTPUT, default <cargo target dir>/console-tests); with
CONSOLE_UPDATE_DOCS=1 the page screenshots are also copied to docs/console/.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "console-test"
SECRET = "console-test-secret"
REGION = "us-east-1"
WAIT = 30  # seconds: the deadline of every wait


def target_dir() -> Path:
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"])
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"])


def ferry_binary() -> Path:
    if os.environ.get("FERRY_BIN"):
        return Path(os.environ["FERRY_BIN"])
    path = target_dir() / "debug" / "ferry"
    if not path.exists():
        subprocess.run(["cargo", "build", "-p", "ferry"], cwd=ROOT, check=True)
    return path


def output_dir() -> Path:
    out = Path(os.environ.get("CONSOLE_TEST_OUTPUT") or target_dir() / "console-tests")
    out.mkdir(parents=True, exist_ok=True)
    return out


class Ferry:
    """A running `ferry serve`, with boto3 clients signed like the console."""

    def __init__(self, credentials=True):
        self.dir = tempfile.TemporaryDirectory(prefix="ferry-console-")
        auth = ["--credentials", f"{ACCESS_KEY}:{SECRET}"] if credentials else []
        self.proc = subprocess.Popen(
            [str(ferry_binary()), "serve", "--listen", "127.0.0.1:0",
             "--data-dir", self.dir.name, "--test-clock", *auth],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self._first_line()
        prefix = "ferry listening on "
        assert line.startswith(prefix), f"unexpected first line: {line!r}"
        self.endpoint = line[len(prefix):].strip()
        self.console = self.endpoint + "/_console/"
        session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET, region_name=REGION)
        self.ddb = session.client("dynamodb", endpoint_url=self.endpoint)
        self.s3 = session.client("s3", endpoint_url=self.endpoint)

    def _first_line(self) -> str:
        result = {}

        def read():
            result["line"] = self.proc.stdout.readline()

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(WAIT)
        if "line" not in result:
            self.proc.kill()
            raise AssertionError("ferry did not print its address in time")
        return result["line"]

    def advance_clock(self, seconds: int):
        """Move the server's clock forward (the test-only FerryTest.AdvanceClock)."""
        body = json.dumps({"Micros": seconds * 1_000_000})
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=self.endpoint + "/", data=body,
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "FerryTest.AdvanceClock"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET), "dynamodb", REGION).add_auth(req)
        prepared = req.prepare()
        http = urllib.request.Request(prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST")
        with urllib.request.urlopen(http, timeout=WAIT) as resp:
            assert resp.status == 200

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


@pytest.fixture(scope="session")
def ferry():
    f = Ferry()
    yield f
    f.stop()


class Browser:
    """Chromium with helpers: wait for elements, fill fields, screenshots."""

    def __init__(self, ferry: Ferry):
        self.ferry = ferry
        self.profile = tempfile.TemporaryDirectory(prefix="ferry-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
        for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={self.profile.name}", "--window-size=1280,900"]:
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_page_load_timeout(WAIT)

    def go(self, hash_path: str):
        url = self.ferry.console + "#" + hash_path
        if self.driver.current_url == url:
            self.driver.refresh()  # the same hash would not route again
        else:
            self.driver.get(url)

    def wait(self, condition, timeout=WAIT):
        return WebDriverWait(self.driver, timeout).until(condition)

    def find(self, css: str, timeout=WAIT):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout)

    def click(self, css: str):
        el = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        el.click()
        return el

    def click_text(self, tag: str, text: str):
        xpath = f"//{tag}[normalize-space(.)={json.dumps(text, ensure_ascii=False)}]"
        el = self.wait(EC.element_to_be_clickable((By.XPATH, xpath)))
        el.click()
        return el

    def fill(self, css: str, text: str):
        el = self.find(css)
        el.clear()
        el.send_keys(text)
        return el

    def set_value(self, css: str, value: str):
        """Set an input's value by script (datetime-local fields) and fire `input`/`change`."""
        el = self.find(css)
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", el, value)

    def choose(self, name: str, value: str):
        self.click(f"input[name='{name}'][value='{value}']")

    def text_of(self, css: str) -> str:
        return self.find(css).text

    def wait_text(self, css: str, text: str, timeout=WAIT):
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), timeout)
        return self.find(css).text

    def shot(self, name: str, doc: bool = False):
        """Screenshot into the output folder; `doc` also copies it to docs/console/."""
        path = output_dir() / f"{name}.png"
        if doc:
            # Documentation pictures show the page, not the passing notifications.
            self.driver.execute_script("document.getElementById('toasts').replaceChildren()")
        self.driver.save_screenshot(str(path))
        if doc and os.environ.get("CONSOLE_UPDATE_DOCS") == "1":
            docs = ROOT / "docs" / "console"
            docs.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, docs / f"{name}.png")
        return path

    def sign_in(self):
        self.go("/tables")
        self.fill("input[name=accessKeyId]", ACCESS_KEY)
        self.fill("input[name=secretAccessKey]", SECRET)
        self.click("#login button[type=submit]")
        self.find("#create-table")

    def script_errors(self):
        """Errors the page logged (script errors, CSP refusals), except the
        HTTP error answers the tests ask for on purpose."""
        return [e["message"] for e in self.driver.get_log("browser")
                if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]

    def quit(self):
        self.driver.quit()
        self.profile.cleanup()


@pytest.fixture
def open_ferry():
    """A second server, started without --credentials (it accepts any key)."""
    f = Ferry(credentials=False)
    yield f
    f.stop()


@pytest.fixture
def browser(ferry, request):
    b = Browser(ferry)
    yield b
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        b.shot(f"FAILED-{request.node.name}")
    errors = b.script_errors()
    b.quit()
    assert errors == [], f"the page logged errors: {errors}"


@pytest.fixture
def signed_in(browser):
    browser.sign_in()
    return browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.when == "call":
        item.rep_call = rep
    return rep


def deadline_until(check, timeout=WAIT, what="condition"):
    """Poll `check()` until it is truthy or the deadline passes (server-side state)."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
