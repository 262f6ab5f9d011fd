"""The web console in a real browser: Debian's Chromium driven through chromedriver (WebDriver) by Selenium.

Starts the built `hookline serve` on free loopback ports with its own folders, posts real fixture bytes to the
webhook, and checks what the console's pages show. Run by tools/browser-test.sh (which makes the virtualenv);
every page visited is saved as a screenshot into $SCREENSHOTS (default .build/console-screenshots).
Prints 'N passed, N failed' and exits non-zero when any test failed or the browser cannot be started.
"""
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests/Fixtures/interactly/fixtures")
BINARY = os.environ.get("HOOKLINE_BINARY", os.path.join(ROOT, ".build/debug/hookline"))
SCREENSHOTS = os.environ.get("SCREENSHOTS", os.path.join(ROOT, ".build/console-screenshots"))
SECRET = "s3cret"
TOKEN = "browser-test-console-token-0123456789"
FAILING = 'error("crm is down")\n'
FIXED = 'log.info("pushed to the crm")\n'
XSS_SCRIPT = "<script>window.__xss = 'script ran'</script>"
XSS_IMG = "\"><img src=x onerror=\"window.__xss = 'onerror ran'\">"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, condition, timeout=20.0):
    deadline = time.time() + timeout
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # the page may be between loads
            if time.time() > deadline:
                raise
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Hookline:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="hookline-browser-")
        self.scripts = os.path.join(self.folder, "scripts")
        os.makedirs(self.scripts)
        self.write_script("conversation-update.lua", FAILING)
        self.write_script("end-of-call-report.lua", 'log.info("report")\n')
        self.write_script("status-update.lua", 'timer.set("follow-up", 3600, { note = "<b>call back</b>" })\n')
        os.makedirs(os.path.join(self.scripts, "timers"))
        self.write_script("timers/follow-up.lua", 'log.info("follow up")\n')
        self.port, self.console_port = free_port(), free_port()
        self.log = open(os.path.join(self.folder, "serve.log"), "w")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), "--console-port", str(self.console_port), "--secret", SECRET,
             "--console-token", TOKEN, "--scripts", self.scripts, "--data", os.path.join(self.folder, "data"),
             "--retries", "0", "--reload-interval", "200ms"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("the console to listen", lambda: self.listening(), timeout=30)

    def listening(self):
        try:
            urllib.request.urlopen(self.console + "/console/login", timeout=2)
            return True
        except urllib.error.URLError:
            return False

    @property
    def console(self):
        return f"http://127.0.0.1:{self.console_port}"

    def write_script(self, name, source):
        with open(os.path.join(self.scripts, name), "w") as f:
            f.write(source)

    def post(self, body):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/webhook", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "x-interactly-secret": SECRET})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        check(answer.get("accepted") is True, f"the webhook accepted the event: {answer}")
        return int(answer["id"])

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def fixture(name, call_id):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        body = json.load(f)
    body["message"]["call"]["id"] = call_id
    body["message"]["timestamp"] = int(time.time() * 1000)
    return body


class ConsoleTests:
    def __init__(self, hookline, browser):
        self.hookline = hookline
        self.browser = browser
        self.call_id = f"CA-browser-{int(time.time())}"
        self.failed_event = None

    def go(self, path):
        self.browser.get(self.hookline.console + path)

    def shot(self, name):
        self.browser.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))

    def login(self, token):
        self.go("/console/login")
        field = self.browser.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        self.browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    # --- the tests, in order ---

    def test_a_wrong_token_is_refused(self):
        self.login("not-the-token")
        problem = wait_for("the login problem", lambda: self.browser.find_element(By.ID, "login-problem"))
        check("not the console token" in problem.text, f"the refusal says why: {problem.text!r}")
        check(not self.browser.find_elements(By.CSS_SELECTOR, "nav a[href='/console/events']"), "no console page after a wrong token")
        self.shot("login-refused")
        self.go("/console/events")
        check(self.browser.current_url.endswith("/console/login"), f"events without a session lead to login: {self.browser.current_url}")

    def test_b_login(self):
        self.login(TOKEN)
        wait_for("the events page", lambda: self.browser.current_url.endswith("/console/events"))
        check(self.browser.find_element(By.TAG_NAME, "h1").text == "Events", "the events page after login")
        cookie = next(c for c in self.browser.get_cookies() if c["name"] == "hookline_console")
        check(cookie["httpOnly"] and cookie.get("sameSite") == "Strict", f"the session cookie is HttpOnly, SameSite=Strict: {cookie}")

    def test_c_an_event_appears_live_and_opens(self):
        self.go("/console/events")
        self.browser.find_element(By.ID, "live-toggle").click()
        wait_for("the live stream to open", lambda: self.browser.find_element(By.ID, "live-status").text == "live")
        event_id = self.hookline.post(fixture("status-update-ongoing", self.call_id))
        row = wait_for("the new event's row", lambda: self.browser.find_element(By.CSS_SELECTOR, f"tr[data-id='{event_id}']"))
        check(self.call_id in row.text, f"the live row shows the call: {row.text!r}")
        check("live=1" in self.browser.current_url, "the live toggle is in the URL")
        self.shot("events")
        row.find_element(By.LINK_TEXT, str(event_id)).click()
        wait_for("the event page", lambda: self.browser.find_element(By.TAG_NAME, "h1").text.startswith(f"Event {event_id}"))
        payload = self.browser.find_element(By.ID, "payload").text
        check(self.call_id in payload and "status-update" in payload, "the payload tree shows the event's fields")

    def test_d_the_call_and_its_transcript(self):
        self.failed_event = self.hookline.post(fixture("conversation-update-long", self.call_id))
        self.hookline.post(fixture("end-of-call-report", self.call_id))
        self.go(f"/console/events/{self.failed_event}")
        self.browser.find_element(By.ID, "call-link").click()
        wait_for("the call page", lambda: self.call_id in self.browser.find_element(By.TAG_NAME, "h1").text)
        messages = self.browser.find_elements(By.CSS_SELECTOR, "#transcript .message")
        check(len(messages) > 10, f"the transcript has the conversation's messages ({len(messages)})")
        check("Thanks for calling Lakeside Family Clinic" in messages[0].text, f"the first message: {messages[0].text!r}")
        check("message-user" in messages[1].get_attribute("class"), "the caller's messages are marked as the user's")
        summary = self.browser.find_element(By.ID, "report-summary").text
        check("Marcus Delgado" in summary, f"the report's summary: {summary!r}")
        timers = wait_for("the call's pending timer", lambda: self.refreshed_text("#timers-heading + table"))
        check("follow-up" in timers and '"<b>call back</b>"' in timers, f"the timer the status update set, its data as text: {timers!r}")
        self.shot("call")

    def test_e_a_fixed_script_is_replayed_from_failures(self):
        self.go(f"/console/events/{self.failed_event}")
        wait_for("the run to be dead", lambda: self.refreshed_state() == "failed")
        error = self.browser.find_element(By.CSS_SELECTOR, ".run-dead .error").text
        check("conversation-update.lua:1" in error and "crm is down" in error, f"the error with script:line: {error!r}")
        line = self.browser.find_element(By.CSS_SELECTOR, ".run-dead .source-line").text
        check(line.strip() == FAILING.strip(), f"the failing source line is shown: {line!r}")
        self.shot("event")
        self.go("/console/failures")
        check("crm is down" in self.browser.find_element(By.TAG_NAME, "main").text, "the failure is listed with its error")
        self.shot("failures")
        self.hookline.write_script("conversation-update.lua", FIXED)
        self.go("/console/scripts")
        wait_for("the fixed script to be loaded", lambda: self.reloaded_scripts_show("pushed to the crm"))
        strings = [e.get_attribute("textContent") for e in self.browser.find_elements(By.CSS_SELECTOR, "pre.source .lua-string")]
        check('"pushed to the crm"' in strings, f"the source is highlighted (its strings): {strings}")
        self.shot("scripts")
        self.go("/console/failures")
        self.browser.find_element(By.CSS_SELECTOR, "button.replay-script[data-script='conversation-update.lua']").click()
        self.browser.switch_to.alert.accept()
        # the notice's text read inside the wait: the page may load again between finding it and reading it
        notice = wait_for("the replay notice", lambda: self.browser.find_element(By.ID, "replayed").text)
        check(notice.startswith("1 failed events of conversation-update.lua"), f"one event replayed: {notice!r}")
        self.go(f"/console/events/{self.failed_event}")
        wait_for("the replayed event to be done", lambda: self.refreshed_state() == "done")
        outcomes = [e.text for e in self.browser.find_elements(By.CSS_SELECTOR, ".run .outcome")]
        check(outcomes[-1] == "ok" and "dead" in outcomes, f"the dead run, then an ok one: {outcomes}")

    def refreshed_state(self):
        self.browser.refresh()
        return self.browser.find_element(By.ID, "event-state").text

    def refreshed_text(self, selector):
        self.browser.refresh()
        return self.browser.find_element(By.CSS_SELECTOR, selector).text

    def reloaded_scripts_show(self, text):
        self.browser.refresh()
        return text in self.browser.find_element(By.TAG_NAME, "main").get_attribute("textContent")

    def test_f_a_post_without_the_csrf_token_is_refused(self):
        jar = http.cookiejar.CookieJar()
        for c in self.browser.get_cookies():
            jar.set_cookie(http.cookiejar.Cookie(0, c["name"], c["value"], None, False, "127.0.0.1", False, False,
                                                 c["path"], True, False, None, False, None, None, {}))
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
        replay = f"{self.hookline.console}/console/events/{self.failed_event}/replay"
        try:
            opener.open(urllib.request.Request(replay, data=b"", method="POST"), timeout=10)
            raise AssertionError("a replay without the CSRF token was accepted")
        except urllib.error.HTTPError as refusal:
            check(refusal.code == 403, f"refused with 403: {refusal.code}")
            check(json.loads(refusal.read())["error"]["code"] == "csrf_token_missing", "the refusal names the problem")
        self.go(f"/console/events/{self.failed_event}")
        csrf = self.browser.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
        try:
            opener.open(urllib.request.Request(replay, data=f"csrf={csrf}".encode(), method="POST"), timeout=10)
            raise AssertionError("the replay did not redirect")
        except urllib.error.HTTPError as answer:
            check(answer.code == 303, f"with the token the same post is accepted (303): {answer.code}")

    def test_g_hostile_texts_render_as_text(self):
        body = fixture("conversation-update-short", self.call_id + "-xss")
        body["message"]["messages"][0]["text"] = XSS_SCRIPT
        body["message"]["messages"][1]["text"] = XSS_IMG
        body["message"]["call"]["metadata"]["source"] = XSS_IMG
        event_id = self.hookline.post(body)
        self.browser.get_log("browser")  # drop what was logged before
        searched = "/console/events?text=" + urllib.parse.quote(XSS_IMG)
        for path, container in [(f"/console/events/{event_id}", "payload"), (f"/console/calls/{self.call_id}-xss", "transcript"),
                                (f"/console/events?call={self.call_id}-xss", "events-table"), (searched, "events-table")]:
            self.go(path)
            text = self.browser.find_element(By.ID, container).get_attribute("textContent")
            if container != "events-table":
                check(XSS_SCRIPT in text and XSS_IMG in text, f"{path} shows the hostile texts as text")
            check(not self.browser.find_elements(By.CSS_SELECTOR, f"#{container} img, #{container} script"),
                  f"{path}: no element was made from the texts")
            check(self.browser.execute_script("return window.__xss === undefined"), f"{path}: no script ran")
        ids = [row.get_attribute("data-id") for row in self.browser.find_elements(By.CSS_SELECTOR, "#events-body tr")]
        check(ids == [str(event_id)], f"the search for the text in payloads finds that event alone: {ids}")
        check(XSS_IMG in self.browser.find_element(By.NAME, "text").get_attribute("value"), "the search box keeps the text")
        self.shot("events-search")
        self.go(f"/console/events/{event_id}")
        self.shot("event-hostile-texts")
        logs = [entry["message"] for entry in self.browser.get_log("browser")]
        check(not any("__xss" in m or "Content Security Policy" in m or "onerror" in m for m in logs),
              f"the browser's console shows no attempt to run them: {logs}")

    def test_h_overview(self):
        self.go("/console/overview")
        check(self.browser.find_element(By.TAG_NAME, "h1").text == "Overview", "the overview page")
        charts = self.browser.find_elements(By.CSS_SELECTOR, ".bars")
        check(charts and len(charts) % 2 == 0, f"a chart per type for the last hour and one for the last day ({len(charts)})")
        check(len(charts[0].find_elements(By.TAG_NAME, "span")) == 60 and len(charts[-1].find_elements(By.TAG_NAME, "span")) == 48,
              "60 bars of a minute, 48 of half an hour")
        self.shot("overview")
        self.browser.set_window_size(390, 844)
        try:
            self.go("/console/events")
            width = self.browser.execute_script("return document.documentElement.scrollWidth")
            check(width <= 390, f"the events page fits a phone's width (scroll width {width})")
            self.shot("events-phone")
        finally:
            self.browser.set_window_size(1280, 900)

    def test_i_logout(self):
        self.go("/console/events")
        self.browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
        wait_for("the login page", lambda: self.browser.current_url.endswith("/console/login"))
        self.shot("login")
        self.go("/console/events")
        check(self.browser.current_url.endswith("/console/login"), "after logout the events page needs a login")

    def test_j_logins_are_rate_limited(self):
        statuses = []
        for _ in range(7):
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(self.hookline.console + "/console/login", timeout=10).read().decode()
            csrf = page.split('name="csrf" value="')[1].split('"')[0]
            try:
                opener.open(urllib.request.Request(self.hookline.console + "/console/login",
                                                   data=f"csrf={csrf}&token=guess".encode()), timeout=10)
                statuses.append(200)
            except urllib.error.HTTPError as refusal:
                statuses.append(refusal.code)
        check(statuses[:5] == [401] * 5 and statuses[5:] == [429, 429], f"5 wrong tokens, then 429: {statuses}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        print("the browser tests need Debian's chromium and chromium-driver: run tools/setup.sh --tests", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    os.makedirs(SCREENSHOTS, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    hookline = Hookline()
    browser = None
    passed, failed = 0, 0
    try:
        browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        tests = ConsoleTests(hookline, browser)
        for name in sorted(n for n in dir(tests) if n.startswith("test_")):
            try:
                getattr(tests, name)()
                passed += 1
                print(f"PASS {name}")
            except Exception:
                failed += 1
                print(f"FAIL {name}")
                traceback.print_exc()
                try:
                    tests.shot("FAILED-" + name)
                except Exception:
                    pass
    finally:
        if browser:
            browser.quit()
        hookline.stop()
    if failed:
        print(f"hookline's log: {hookline.log.name}")
    print(f"screenshots in {SCREENSHOTS}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
