#!/usr/bin/python3
"""browser.py - the verification page in Debian's chromium, driven through
chromedriver (Debian's chromium-driver) with Debian's python3-selenium,
against web_testd on loopback. Nothing here comes from npm or any network.

Every check prints "ok N - ..."; the first failure ends the run with a
non-zero exit. The test servers, chromedriver and chromium are started here
and ended however the run ends (web_browser.sh also puts them in a PID
namespace of their own when it can, and ends this process's session when
it cannot). Requests are read from chromium's performance log
(Network.requestWillBeSent through goog:loggingPrefs), the console from the
browser log, the rest through WebDriver and chromedriver's CDP command.

Usage: browser.py cases.json [--netns]
"""
import base64
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

# Nothing of ours goes through a proxy: not selenium's calls to
# chromedriver, not chromium (it also gets --no-proxy-server).
for _k in list(os.environ):
    if _k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"):
        del os.environ[_k]

from selenium import webdriver  # noqa: E402  (after the proxy variables are gone)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CASES = json.load(open(sys.argv[1], encoding="utf-8"))
NETNS = "--netns" in sys.argv[2:]
LANGS = ["az", "ru", "en"]
CAT = {}
for _l in LANGS:
    with open(os.path.join(CASES["i18n"], _l + ".json"), encoding="utf-8") as _f:
        CAT[_l] = json.load(_f)
A11Y_JS = open(CASES["a11y"], encoding="utf-8").read()
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

N = 0


class Failed(Exception):
    pass


def ok(cond, what):
    global N
    N += 1
    if not cond:
        raise Failed("FAILED %d - %s" % (N, what))
    print("ok %d - %s" % (N, what), flush=True)


def note(what):
    print("# " + what, flush=True)


# ---------------------------------------------------------------- processes

SERVERS = []


def start_servers():
    bases = {}
    log = open(CASES["server_log"], "ab")
    for name, s in CASES["servers"].items():
        if os.path.exists(s["port_file"]):
            os.unlink(s["port_file"])
        p = subprocess.Popen(s["argv"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        SERVERS.append(p)
        deadline = time.time() + 15
        while time.time() < deadline:
            if os.path.exists(s["port_file"]) and os.path.getsize(s["port_file"]) > 0:
                break
            if p.poll() is not None:
                break
            time.sleep(0.05)
        if not (os.path.exists(s["port_file"]) and os.path.getsize(s["port_file"]) > 0):
            sys.stderr.write(open(CASES["server_log"], encoding="utf-8", errors="replace").read())
            raise Failed("the test server %s did not start" % name)
        port = int(open(s["port_file"]).read().strip())
        bases[name] = "http://127.0.0.1:%d" % port
    return bases


def descendants(root):
    """Every process below root, from /proc (ps may not be there)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def kill_all(driver, service):
    procs = []
    if service is not None and service.process is not None:
        procs = [service.process.pid] + descendants(service.process.pid)
    if driver is not None:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001  (ending anyway)
            pass
    for pid in procs:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if service is not None and service.process is not None:
        try:
            service.process.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass
    if not NETNS and os.getsid(0) == os.getpid():
        # what left chromedriver's tree (chromium's crash handler detaches):
        # everything else in our own session
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != os.getpid() and all(int(d) != p.pid for p in SERVERS):
                try:
                    if os.getsid(int(d)) == os.getpid():
                        os.kill(int(d), signal.SIGKILL)
                except OSError:
                    pass
    for p in SERVERS:
        if p.poll() is None:
            p.terminate()
    for p in SERVERS:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    # reap what was orphaned to us (we are a subreaper): no zombie stays
    end = time.time() + 5
    while time.time() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.05)


def subreaper():
    """Orphans of chromium (its crash handler detaches) become our
    children, not init's: they stay in reach and are reaped here."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------- the browser

class Browser:
    def __init__(self, service):
        shutil.rmtree(CASES["profile"], ignore_errors=True)  # a fresh profile, every run
        o = webdriver.ChromeOptions()
        o.binary_location = CASES["chromium"]
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--user-data-dir=" + CASES["profile"], "--no-proxy-server", "--window-size=1024,800",
                  "--hide-scrollbars", "--lang=en-US"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        o.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
        self.service = service
        self.d = webdriver.Chrome(service=service, options=o)
        self.d.set_script_timeout(60)
        self.d.set_page_load_timeout(30)
        self.width = None
        # the tab starts on chromium's own new-tab page (chrome:// requests):
        # leave it, and forget what it loaded
        self.d.get("about:blank")
        time.sleep(0.3)
        self.drain()

    def cdp(self, cmd, args=None):
        return self.d.execute_cdp_cmd(cmd, args or {})

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def viewport(self, width, height=780):
        self.width = width
        self.cdp("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def drain(self):
        """Requests and console messages since the last call."""
        reqs, extra, docs = [], {}, []
        for e in self.d.get_log("performance"):
            m = json.loads(e["message"])["message"]
            p = m.get("params", {})
            if m["method"] == "Network.requestWillBeSent":
                r = p["request"]
                reqs.append({"id": p.get("requestId"), "url": r["url"], "method": r["method"],
                             "body": bool(r.get("hasPostData") or r.get("postData") or r.get("postDataEntries")),
                             "headers": r.get("headers", {})})
            elif m["method"] == "Network.requestWillBeSentExtraInfo":
                extra[p.get("requestId")] = p.get("headers", {})
            elif m["method"] == "Network.webSocketCreated":
                reqs.append({"id": None, "url": p["url"], "method": "WEBSOCKET", "body": True, "headers": {}})
            elif m["method"] == "Network.responseReceived" and p.get("type") == "Document":
                docs.append(p["response"])
        for r in reqs:
            if r["id"] in extra:
                r["sent"] = extra[r["id"]]
        console = ["%s %s" % (e["level"], e["message"]) for e in self.d.get_log("browser")
                   if e["level"] in ("SEVERE", "WARNING")]
        return {"requests": reqs, "console": console, "documents": docs}

    def open(self, url, width=360, height=780):
        self.drain()
        if self.width != width:
            self.viewport(width, height)
        self.d.get(url)

    def attr(self, sel, name):
        return self.js("var e=document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
                       sel, name)

    def text(self, sel):
        return self.js("var e=document.querySelector(arguments[0]); return e ? e.textContent : null;", sel)

    def wait(self, script, timeout=10, *args):
        """Polls a script until it returns something true; returns that."""
        end = time.time() + timeout
        last = None
        while time.time() < end:
            try:
                last = self.js(script, *args)
            except Exception:  # noqa: BLE001  (a navigation in between)
                last = None
            if last:
                return last
            time.sleep(0.05)
        return last

    def screenshot(self, path):
        m = self.cdp("Page.getLayoutMetrics")
        cs = m["cssContentSize"]
        shot = self.cdp("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": cs["width"], "height": cs["height"], "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return os.path.getsize(path)

    def keys(self, *k):
        ActionChains(self.d).send_keys(*k).perform()

    def a11y(self, what, opts=None):
        return self.js(A11Y_JS + "\nreturn mhA11y(arguments[0], arguments[1]);", what, opts or {})


def header(headers, name):
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


# ---------------------------------------------------------------- the cases

VERDICTS = ["valid", "revoked", "voided", "unknown", "forged", "revunknown", "wronghost"]
RECEIPT_CHECK = {"valid": "ok", "revoked": "ok", "voided": "ok", "unknown": "ok", "forged": "nokey",
                 "revunknown": "ok", "wronghost": "ok"}
A11Y_RAN = {}


def a11y_static(b, where, lang=None, live=("#file-result", "#checks")):
    """Our own WCAG 2.2 AA checks of the page as it is now (a11y.js)."""
    # 24 px is WCAG's (2.5.8); 44 px the page's own goal on a phone
    res = b.a11y("static", {"lang": lang, "minTarget": 24, "ownTarget": 44 if b.width <= 480 else 0,
                            "live": list(live)})
    for c in res:
        A11Y_RAN[c["id"]] = c["name"]
        ok(c["ok"], "%s: %s (%s)" % (where, c["name"], c["detail"]))


def no_foreign(reqs, own):
    return [r["url"] for r in reqs if not r["url"].startswith(own + "/")]


def verdict_pages(b, bases):
    for lang in LANGS:
        for v in VERDICTS:
            base = bases["base_nocrl"] if v == "revunknown" else bases["base"]
            p = CASES["paths"]["valid"] if v == "revunknown" else CASES["paths"][v]
            b.open(base + p + "?lang=" + lang)
            got = b.attr("#verdict", "data-verdict")
            ok(got == v, "%s/%s: the verdict is %s (got %s)" % (lang, v, v, got))
            title = b.text("#verdict-title")
            ok(title == CAT[lang]["msg"]["verdict." + v + ".title"], '%s/%s: the verdict reads "%s"' % (lang, v, title))
            ok(b.js("return document.documentElement.lang") == lang, '%s/%s: <html lang="%s">' % (lang, v, lang))
            rc = b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
            ok(rc == RECEIPT_CHECK[v], "%s/%s: the browser's own receipt check says %s" % (lang, v, rc))
            if v in ("valid", "revoked", "revunknown"):
                fields = b.text("#fields")
                num = "2024/18" if v == "revoked" else "2024/17"
                ok(num in fields, "%s/%s: the paper's number %s is shown" % (lang, v, num))
                date = {"az": "2 may 2024", "ru": "2 мая 2024 г.", "en": "2 May 2024"}[lang]
                if v != "revoked":
                    ok(date in fields, '%s/%s: the date is written "%s"' % (lang, v, date))
                ok(("Vəkalətnamə" if v == "revoked" else "Etibarnamə") in fields,
                   "%s/%s: the title as printed" % (lang, v))
            if v == "valid":
                pc = b.wait("return document.documentElement.getAttribute('data-proof-check')", 10)
                ok(pc == "ok", "%s/valid: the browser checked the inclusion proof and the signed checkpoint" % lang)
                ok(b.attr("#ledger", "class") == "ok", "%s/valid: the server proved the entry" % lang)
            if v == "revoked":
                ok(CAT[lang]["msg"]["reason.4"] in b.text("#verdict-text"), "%s/revoked: the reason is given" % lang)
            if v == "wronghost":
                t = b.text("#verdict-text")
                ok("verify.elsewhere.example" in t and "verify.mohur.test" in t,
                   "%s/wronghost: both hosts are named" % lang)
            shot = os.path.join(CASES["artifacts"], "verdict-%s-%s.png" % (v, lang))
            ok(b.screenshot(shot) > 5000, "%s/%s: screenshot %s" % (lang, v, os.path.basename(shot)))
            a11y_static(b, "%s/%s at 360 px" % (lang, v), lang)
            log = b.drain()
            docs = log["documents"]
            csp = header(docs[-1]["headers"], "content-security-policy") if docs else None
            ok(csp and "script-src 'self'" in csp and "unsafe" not in csp and "connect-src 'none'" in csp
               and "form-action 'none'" in csp, "%s/%s: a strict CSP header (%s)" % (lang, v, csp))
            own = base
            foreign = no_foreign(log["requests"], own)
            ok(len(log["requests"]) >= 4 and not foreign,
               "%s/%s: %d requests, none leaves the origin (%s)" % (lang, v, len(log["requests"]), " ".join(foreign)))
            ok(not log["console"], "%s/%s: the console is clean (%s)" % (lang, v, " | ".join(log["console"])))


def pending_pages(b, bases):
    """A first signature awaited from a notary's own key: mohurd answers 202
    and shows the client the stamped update it will sign, whose QR carries
    the receipt's URL. Until the signature comes back, that URL must not
    read VALID in a browser either (docs/trust.md, rule 9): NOT ISSUED YET,
    in every language, though the receipt itself is genuine, and no file
    check (nothing is confirmed)."""
    base = bases["base"]
    p = CASES["pending"]
    for _ in range(100):  # the ledger process has its keys
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.1)
    with open(p["pdf"], "rb") as f:
        doc = base64.b64encode(f.read()).decode()
    with open(p["cert"], encoding="utf-8") as f:
        cert = f.read()
    body = {"kind": "notary-act", "issuer": "notary", "document": doc, "certificate": cert,
            "fields": {"act": "2024/40", "title": "Etibarnamə", "date": "2024-05-04"}}
    req = urllib.request.Request(base + "/api/v1/documents", data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + p["token"],
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        st, resp = r.status, json.load(r)
    ok(st == 202, "pending: mohurd asks the notary's own key for the signature (202, not signed here)")
    appended = base64.b64decode(resp["sign"]["content"]["appended"])
    m = re.search(rb"/ContactInfo \(HTTPS://[^/)]+(/V/[A-Z2-7]+)\)", appended)
    ok(m is not None, "pending: the stamp shown to the client carries the receipt's URL")
    path = m.group(1).decode()
    for lang in LANGS:
        b.open(base + path + "?lang=" + lang)
        ok(b.attr("#verdict", "data-verdict") == "pending", "%s/pending: the verdict is pending" % lang)
        title = b.text("#verdict-title")
        ok(title == CAT[lang]["msg"]["verdict.pending.title"], '%s/pending: the verdict reads "%s"' % (lang, title))
        rc = b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
        ok(rc == "ok", "%s/pending: the browser finds the receipt genuine (its signature is the registry's)" % lang)
        ok(b.attr("#verdict", "data-verdict") == "pending" and b.text("#verdict-title") == title,
           "%s/pending: and the page still says not issued yet after its own checks" % lang)
        ok(not b.js("return !!document.getElementById('file')"),
           "%s/pending: no file check is offered for a document not issued" % lang)
        valid = CAT[lang]["msg"]["verdict.valid.title"]
        shown = b.js("return document.body.innerText")  # what a reader sees
        ok(valid not in shown, '%s/pending: "%s" appears nowhere on the page' % (lang, valid))
        a11y_static(b, "%s/pending" % lang, lang)
        b.screenshot(os.path.join(CASES["artifacts"], "verdict-pending-%s.png" % lang))


def language_choice(b, bases):
    b.cdp("Network.clearBrowserCookies")  # no cookie from the pages above
    b.cdp("Network.setExtraHTTPHeaders", {"headers": {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}})
    url = bases["base"] + CASES["paths"]["valid"]
    b.open(url)
    ok(b.js("return document.documentElement.lang") == "ru", "Accept-Language ru-RU gives the Russian page")
    sent = [r.get("sent", r["headers"]) for r in b.drain()["requests"] if "/V/" in r["url"]]
    ok(sent and header(sent[0], "accept-language") == "ru-RU,ru;q=0.9,en;q=0.5",
       "the page's request carried that Accept-Language (performance log)")
    b.open(url + "?lang=en")
    b.open(url)
    ok(b.js("return document.documentElement.lang") == "en", "the language chosen on the page is remembered (cookie)")
    reqs = [r for r in b.drain()["requests"] if "/V/" in r["url"]]
    ok(reqs and "mh_lang=en" in (header(reqs[-1].get("sent", {}), "cookie") or ""),
       "the next request sent the cookie mh_lang=en")
    cookies = b.cdp("Network.getAllCookies")["cookies"]
    ok(len(cookies) == 1 and cookies[0]["name"] == "mh_lang" and cookies[0]["httpOnly"]
       and cookies[0].get("sameSite") == "Strict",
       "the only cookie is the language choice, HttpOnly and SameSite=Strict (%s)"
       % [(c["name"], c["value"]) for c in cookies])
    b.cdp("Network.setExtraHTTPHeaders", {"headers": {}})


def file_check(b, bases):
    own = bases["base"]
    b.open(own + CASES["paths"]["valid"] + "?lang=en")
    b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
    before = b.drain()
    inp = b.d.find_element(By.ID, "file")
    for f, want in (("signed", "ok"), ("original", "ok"), ("altered", "bad"), ("other", "bad")):
        b.js("document.documentElement.removeAttribute('data-file-check')")
        inp.send_keys(CASES["files"][f])
        got = b.wait("return document.documentElement.getAttribute('data-file-check')", 10)
        ok(got == want, "the local file check: the %s PDF is %s" % (f, want))
        t = b.text("#file-result")
        ok(len(t) > 10, 'the result is said in words: "%s..."' % t[:60])
    after = b.drain()
    ok(not after["requests"], "checking files sent no request at all (%s)"
       % " ".join(r["url"] for r in after["requests"]))
    allreq = before["requests"] + after["requests"]
    ok(allreq and all(r["method"] == "GET" and not r["body"] for r in allreq),
       "no request of the page carries a body: %d requests, every one a GET" % len(allreq))
    ok(not no_foreign(allreq, own), "and none leaves the origin")
    b.screenshot(os.path.join(CASES["artifacts"], "file-check-en.png"))
    ok(not before["console"] and not after["console"],
       "the console stayed clean: " + " | ".join(before["console"] + after["console"]))


class Tamper(http.server.BaseHTTPRequestHandler):
    """A server that lies: the real page with one bit of the receipt's
    signature flipped, and everything else as the real server sends it."""
    upstream = None
    seen = None

    def do_GET(self):  # noqa: N802  (http.server's name)
        with DIRECT.open(self.upstream + self.path, timeout=10) as r:
            body, status, hdrs = r.read(), r.status, r.getheaders()
        if self.path.startswith("/V/"):
            html = body.decode("utf-8")
            m = re.search(r'"receipt":"([A-Za-z0-9+/=]+)"', html)
            Tamper.seen = m is not None
            if m:
                raw = bytearray(base64.b64decode(m.group(1)))
                raw[len(raw) - 10] ^= 0x01  # one bit of the signature
                html = html.replace(m.group(1), base64.b64encode(bytes(raw)).decode())
            body = html.encode("utf-8")
        self.send_response(status)
        for k, v in hdrs:
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def flipped_bit(b, bases):
    Tamper.upstream = bases["base"]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tamper)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        b.open(base + CASES["paths"]["valid"] + "?lang=en")
        ok(Tamper.seen, "the page carries the receipt for the browser to check")
        rc = b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
        ok(rc == "sig", "a flipped bit in the receipt: the browser finds the signature wrong, "
           "whatever the server said (%s)" % rc)
        ok(b.attr("#chk-sig", "class") == "bad", "and says so on the page")
        b.drain()
    finally:
        srv.shutdown()
        srv.server_close()


ACTIVE = """var e = document.activeElement; if (!e || e === document.body) return 'BODY';
var href = e.getAttribute('href') || '';
return e.id || (href.indexOf('?') >= 0 ? href.slice(href.indexOf('?')) : href) || e.tagName;"""


def keyboard(b, bases):
    url = bases["base"] + CASES["paths"]["valid"] + "?lang=az"
    b.open(url)
    b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
    seen = []
    for _ in range(12):
        b.keys(Keys.TAB)
        seen.append(b.js(ACTIVE))
    ok(seen[0] == "#verdict", "Tab first reaches the skip link (%s)" % ", ".join(seen))
    ok(any(s.endswith("lang=ru") for s in seen), "the language links are reachable by Tab")
    ok("file" in seen, "the file picker is reachable by Tab")
    ok("print" in seen, "the print button is reachable by Tab")
    # keys only from here: Tab to the skip link, Enter; Shift+Tab back to a
    # language link, Enter
    b.open(url)
    b.keys(Keys.TAB)
    b.keys(Keys.ENTER)
    ok(b.js("return document.activeElement.id") == "verdict", "the skip link moves focus to the verdict")
    for _ in range(8):
        b.keys(Keys.SHIFT, Keys.TAB)
        if b.js(ACTIVE).endswith("lang=ru"):
            break
    ok(b.js(ACTIVE).endswith("lang=ru"), "Shift+Tab from the verdict reaches the Russian link")
    b.keys(Keys.ENTER)
    got = b.wait("return document.readyState === 'complete' && document.documentElement.lang === 'ru'", 10)
    ok(got, "Enter on a language link switches the page")
    b.drain()


def focus_walk(b, where):
    """Tab round the whole page, from wherever focus is: the stops are every
    control in document order, focus leaves the page once and comes back
    (no trap), and every stop shows a visible focus indicator that nothing
    hides."""
    b.a11y("focus-base")
    expect = b.a11y("focusables")
    stops, bad, left = [], [], 0
    for _ in range(2 * len(expect) + 4):
        b.keys(Keys.TAB)
        r = b.a11y("focus-check")
        if r["id"] == "BODY":
            left += 1
            continue
        if stops and r["id"] == stops[0]:
            break
        stops.append(r["id"])
        if not r["ok"]:
            bad.append("%s: %s" % (r["id"], r["detail"]))
    if expect and expect[0] in stops:
        i = stops.index(expect[0])
        stops = stops[i:] + stops[:i]
    A11Y_RAN["focus-order"] = "focus order follows the DOM, focus leaves the page and comes back: no trap (2.4.3, 2.1.2)"
    A11Y_RAN["focus-visible"] = ("a visible focus indicator (2.4.7; an outline of 2 px at 3:1 with what is around "
                                 "it, as 2.4.13 measures) that nothing covers (2.4.11)")
    ok(stops == expect and left == 1,
       "%s: Tab visits every control in document order, leaves the page once and comes back (%s)"
       % (where, ", ".join(stops)))
    ok(not bad, "%s: every focused control shows a focus indicator of 2 px or more at 3:1, "
       "not hidden by anything (%s)" % (where, " | ".join(bad) or "%d stops" % len(stops)))


def accessibility(b, bases):
    """Our own WCAG 2.2 AA checks beyond the static ones run on every page
    above: focus, reflow at 320 px, text spacing, the wide layout."""
    for v, lang in (("valid", "az"), ("forged", "ru"), ("wronghost", "en")):
        b.open(bases["base"] + CASES["paths"][v] + "?lang=" + lang)
        b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
        focus_walk(b, "%s/%s" % (lang, v))
        b.viewport(320)
        r = b.a11y("reflow")
        A11Y_RAN["reflow"] = r["name"]
        ok(r["ok"], "%s/%s at 320 px: %s (%s)" % (lang, v, r["name"], r["detail"]))
        r = b.a11y("spacing")
        A11Y_RAN["spacing"] = r["name"]
        ok(r["ok"], "%s/%s: %s (%s)" % (lang, v, r["name"], r["detail"]))
        b.drain()
    b.open(bases["base"] + CASES["paths"]["revoked"] + "?lang=en", width=1024, height=800)
    b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
    a11y_static(b, "en/revoked at 1024 px", "en")
    focus_walk(b, "en/revoked at 1024 px")
    b.drain()


def axe(b, bases):
    """axe-core as well, only when a copy is already on the machine."""
    if not CASES["axe"]:
        note("axe-core did NOT run: none on this machine (MOHUR_AXE_JS or MOHUR_WEB_NPM names one); "
             "the test never installs it")
        return "not run (no copy on this machine)"
    src = open(CASES["axe"], encoding="utf-8").read()
    ver = re.search(r"axe v([0-9.]+)", src[:400])
    ver = ver.group(1) if ver else "?"
    for v, lang, width in (("valid", "az", 360), ("forged", "ru", 360), ("revoked", "en", 1024),
                           ("wronghost", "az", 360)):
        b.cdp("Page.setBypassCSP", {"enabled": True})  # to inject axe; the page's own CSP is checked above
        b.open(bases["base"] + CASES["paths"][v] + "?lang=" + lang, width=width, height=800)
        b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10)
        b.cdp("Runtime.evaluate", {"expression": src})
        res = b.d.execute_async_script("""var done = arguments[arguments.length - 1];
          window.axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
            .then(function (r) { done({passes: r.passes.length, violations: r.violations.map(function (x) {
              return x.id + ': ' + x.nodes.map(function (n) { return n.target.join(' '); }).join(', '); })}); })
            .catch(function (e) { done({error: String(e)}); });""")
        ok("error" not in res, "axe-core %s ran on %s/%s (%s)" % (ver, v, lang, res.get("error", "")))
        ok(not res["violations"], "axe-core finds no WCAG 2.2 AA violation on %s/%s at %dpx (%s)"
           % (v, lang, width, " | ".join(res["violations"])))
        ok(res["passes"] > 15, "axe-core ran %d passing rules" % res["passes"])
        b.cdp("Page.setBypassCSP", {"enabled": False})
        b.drain()
    return "ran (%s, %s)" % (ver, CASES["axe"])


def pdf_text(path):
    r = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", path, "-"], capture_output=True, check=True)
    return r.stdout.decode("utf-8")


def squeeze(s):
    return re.sub(r"\s+", "", s)


def printout(b, bases):
    for lang in ("en", "az"):
        b.open(bases["base"] + CASES["paths"]["valid"] + "?lang=" + lang)
        b.wait("return document.documentElement.getAttribute('data-proof-check')", 10)
        b.cdp("Emulation.setEmulatedMedia", {"media": "print"})
        ok(b.js("return getComputedStyle(document.getElementById('drop')).display") == "none",
           "%s: printed, the page leaves out the file picker" % lang)
        # A4 at chromium's default 1 cm margins: 718 CSS px of line
        b.viewport(718, 1043)
        r = b.a11y("print")
        A11Y_RAN["print"] = r["name"]
        want = b.a11y("print-texts")  # every text the print layout shows
        ok(r["ok"], "%s printed: %s (%s)" % (lang, r["name"], r["detail"]))
        pdf = base64.b64decode(b.cdp("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})["data"])
        out = os.path.join(CASES["artifacts"], "printout-%s.pdf" % lang)
        with open(out, "wb") as f:
            f.write(pdf)
        ok(len(pdf) > 5000, "%s: the page prints (%s)" % (lang, os.path.basename(out)))
        got = squeeze(pdf_text(out))
        missing = [t for t in want if squeeze(t) not in got]
        ok(len(want) > 10 and not missing, "%s: every line of the verdict, the paper, the signer and the ledger "
           "is in the PDF's text, %d lines (missing: %s)" % (lang, len(want), " | ".join(missing)))
        b.cdp("Emulation.setEmulatedMedia", {"media": ""})
        b.drain()


def done_when(b, bases):
    for lang in LANGS:
        b.open(bases["base"] + CASES["paths"]["diploma"] + "?lang=" + lang)
        ok(b.attr("#verdict", "data-verdict") == "valid", "the diploma's scanned QR is valid in %s" % lang)
        fields = b.text("#fields")
        ok("Məmmədova Şəbnəm Əli qızı" in fields and "D-2026-001" in fields,
           "the diploma's name and number are shown in %s" % lang)
        ok(b.wait("return document.documentElement.getAttribute('data-receipt-check')", 10) == "ok",
           "the browser checked the diploma's receipt in %s" % lang)
        b.screenshot(os.path.join(CASES["artifacts"], "diploma-%s.png" % lang))
        log = b.drain()
        ok(not no_foreign(log["requests"], bases["base"]) and not log["console"],
           "%s: no request leaves the origin, the console is clean" % lang)


def offline(b):
    b.open("file://" + CASES["offline"])
    b.wait("return document.querySelectorAll('#langs button').length", 10)
    valid = CASES["urls"]["valid"]
    for u, want in ((valid, "valid"), (valid.replace("VERIFY.MOHUR.TEST", "VERIFY-MOHUR.EVIL.EXAMPLE"), "wronghost"),
                    (CASES["urls"]["forged"], "forged"), ("HTTPS://X/V/AAAA", "invalid")):
        b.js("document.getElementById('qr-text').value = arguments[0];", u)
        b.d.find_element(By.ID, "check").click()
        b.wait("return document.getElementById('verdict').getAttribute('data-verdict') === arguments[0]", 10, want)
        ok(b.attr("#verdict", "data-verdict") == want, "offline: the text of a %s receipt" % want)
    b.js("document.getElementById('qr-text').value = arguments[0];", valid)
    b.d.find_element(By.ID, "check").click()
    inp = b.d.find_element(By.ID, "file")
    inp.send_keys(CASES["files"]["signed"])
    ok(b.wait("return document.documentElement.getAttribute('data-file-check')", 10) == "ok",
       "offline: the signed PDF is the document")
    b.js("document.documentElement.removeAttribute('data-file-check')")
    inp.send_keys(CASES["files"]["altered"])
    ok(b.wait("return document.documentElement.getAttribute('data-file-check')", 10) == "bad",
       "offline: the altered PDF is not")
    b.js("document.getElementById('verdict').setAttribute('data-verdict', '')")
    # our own decoder, not the browser's BarcodeDetector, reads the picture
    b.js("delete window.BarcodeDetector;")
    ok(b.js("return typeof window.BarcodeDetector") == "undefined", "offline: no BarcodeDetector: qr.js reads it")
    b.d.find_element(By.ID, "qr-image").send_keys(CASES["files"]["qrpng"])
    got = b.wait("return document.getElementById('verdict').getAttribute('data-verdict')", 20)
    ok(got == "valid", "offline: the diploma page's picture (150 dpi) is read by qr.js and valid (%s)" % got)
    a11y_static(b, "offline, with a verdict", None, ["#verdict", "#file-result"])
    b.d.find_element(By.CSS_SELECTOR, "button[data-lang=ru]").click()
    ok(b.js("return document.documentElement.lang") == "ru", "offline: the language can be switched")
    b.screenshot(os.path.join(CASES["artifacts"], "offline-ru.png"))
    a11y_static(b, "offline in ru", "ru", ["#verdict", "#file-result"])
    focus_walk(b, "offline")
    log = b.drain()
    bad = [r["url"][:80] for r in log["requests"] if not r["url"].startswith(("file://", "data:", "blob:"))]
    ok(not bad, "offline: no request leaves the file (%d requests: file, data, blob) %s"
       % (len(log["requests"]), " ".join(bad)))
    ok(not [r for r in log["requests"] if r["body"] or r["method"] != "GET"], "offline: no request carries a body")
    ok(not log["console"], "offline: the console is clean (%s)" % " | ".join(log["console"]))


def main():
    if not NETNS and os.getsid(0) == os.getpid():
        # a session of our own (setsid): web_browser.sh ends what is left in it
        with open(CASES["sidfile"], "w") as f:
            f.write(str(os.getpid()))
    t0 = time.time()
    subreaper()
    if NETNS:
        with open("/proc/self/net/dev") as f:
            ifs = [ln.split(":")[0].strip() for ln in f.readlines()[2:]]
        ok(ifs == ["lo"], "the namespace has no interface but loopback (%s)" % ", ".join(ifs))
    b = None
    service = None
    try:
        bases = start_servers()
        ok(True, "the test servers listen on %s" % ", ".join(bases.values()))
        service = Service(CASES["chromedriver"], log_path=CASES["chromedriver_log"])
        b = Browser(service)
        ok(True, "chromium %s through chromedriver" % b.d.capabilities.get("browserVersion"))
        steps = [("verdicts", lambda: verdict_pages(b, bases)), ("pending", lambda: pending_pages(b, bases)),
                 ("language", lambda: language_choice(b, bases)),
                 ("file check", lambda: file_check(b, bases)), ("flipped bit", lambda: flipped_bit(b, bases)),
                 ("keyboard", lambda: keyboard(b, bases)), ("accessibility", lambda: accessibility(b, bases)),
                 ("printout", lambda: printout(b, bases)), ("done when", lambda: done_when(b, bases)),
                 ("offline", lambda: offline(b))]
        times = []
        for name, fn in steps:
            t = time.time()
            fn()
            times.append("%s %.1fs" % (name, time.time() - t))
        axe_said = axe(b, bases)
        note("times: " + ", ".join(times))
        note("accessibility: our own WCAG 2.2 AA checks ran (a11y.js): "
             + "; ".join(sorted(set(A11Y_RAN.values()))))
        note("accessibility: axe-core " + axe_said)
        print("browser: %d passed, 0 failed (%.0f s)" % (N, time.time() - t0), flush=True)
        with open(CASES["countfile"], "w") as f:
            f.write(str(N))
        return 0
    except Failed as e:
        print(str(e), file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # noqa: BLE001  (any other way it ends: said, and a failure)
        print("FAILED %d - %s: %s" % (N + 1, type(e).__name__, e), file=sys.stderr, flush=True)
        if os.path.exists(CASES["chromedriver_log"]):
            with open(CASES["chromedriver_log"], errors="replace") as f:
                sys.stderr.write("---- chromedriver log (tail)\n" + "".join(f.readlines()[-20:]))
        return 1
    finally:
        kill_all(b.d if b else None, service)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
