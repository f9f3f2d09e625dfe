#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/92-web.t - `vacmlab web` in a real browser (TAP): Debian's chromium,
# headless, driven by chromedriver through python3-selenium, against one
# two-node lab of real guests (topo/two-node.conf on the stand-in). The page
# is loaded before the lab is up: it sees both nodes booting, then ready;
# it opens vacm1's console, logs in and sees the prompt; it pulls vacm1's
# cable (link down) and sees the state change on the page, and the guest
# sees its carrier gone; and the server refuses a request without the
# token, with a foreign Origin, with a foreign Host (DNS rebinding), and an
# action without the token changes nothing. Screenshots are kept: their
# directory is printed (VACMLAB_ARTIFACTS, else /tmp/vacmlab-92-web).
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VACMLAB = os.environ.get("VACMLAB", os.path.join(top, "build", "vacmlab"))
IMAGE = os.path.join(top, "images", "image.bin")
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PLAN = 18
n = failed = 0


def tap(cond, name, diag=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {name}", flush=True)
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[-25:]:
            print("#   " + line, flush=True)
    return cond


def skip_all(why):
    print(f"1..0 # SKIP {why}")
    sys.exit(0)


if not os.path.exists(IMAGE):
    skip_all("no images/image.bin (run make appliance)")
for p, pkg in ((CHROMIUM, "chromium"), (DRIVER, "chromium-driver")):
    if not os.access(p, os.X_OK):
        skip_all(f"{p} not installed (Debian package {pkg})")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    skip_all("python3-selenium not installed")

tmp = tempfile.mkdtemp(prefix="vacmlab-test.")
os.chmod(tmp, 0o755)
env = dict(os.environ, VACMLAB_RUNTIME_DIR=f"{tmp}/run", VACMLAB_STATE_DIR=f"{tmp}/state",
           VACMLAB_ACCEL=os.environ.get("VACMLAB_TEST_ACCEL", "tcg"))
shots = os.environ.get("VACMLAB_ARTIFACTS") or "/tmp/vacmlab-92-web"
os.makedirs(shots, exist_ok=True)
LAB = f"web{os.getpid()}"[:20]
topo = f"{tmp}/{LAB}.conf"
with open(os.path.join(top, "topo", "two-node.conf")) as f:
    conf = f.read()
conf = re.sub(r"(?m)^name = .*", f"name = {LAB}", conf)
conf = re.sub(r"(?m)^image *= .*", f"image = {IMAGE}", conf)
conf = conf.replace("192.168.0.", "10.92.0.")
with open(topo, "w") as f:
    f.write(conf)

web = up = driver = None


def cleanup():
    if driver:
        try:
            driver.quit()
        except Exception:
            pass
    subprocess.run([VACMLAB, "down", "--timeout", "5", LAB], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for p in (web, up):
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()

    def ours():
        """PIDs whose command line names the test's dir (supervisor,
        QEMU, dnsmasq, the server, chromium's profile)."""
        pids = []
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and tmp.encode() in open(f"/proc/{d}/cmdline", "rb").read():
                    pids.append(int(d))
            except OSError:
                pass
        return pids

    left = wait("leftovers", lambda: not ours() or None, 10) is None and ours()
    tap(not left, "no process of the test is left", left)
    for p in left or []:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    shutil.rmtree(tmp, ignore_errors=True)


def wait(what, fn, timeout):
    """fn() until truthy or @timeout seconds: its value, or None."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:
            pass
        time.sleep(0.2)
    return None


def http(url, headers=None, data=None):
    """(status, body) of one plain request."""
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def shot(name):
    path = os.path.join(shots, name)
    driver.save_screenshot(path)
    return path


def attr(eid, name):
    """An attribute of element @eid, found afresh: the page redraws a
    lab's part at each status event, so an element found before may be
    gone (stale)."""
    for _ in range(50):
        try:
            return driver.find_element(By.ID, eid).get_attribute(name)
        except Exception:
            time.sleep(0.1)
    return None


def click(eid):
    """Click element @eid, found afresh (retried while redrawn)."""
    for _ in range(50):
        try:
            driver.find_element(By.ID, eid).click()
            return True
        except Exception:
            time.sleep(0.1)
    return False


def state(node):
    return attr(f"node-{LAB}-{node}", "data-state")


def console_text():
    return driver.find_element(By.CSS_SELECTOR, f"#term-{LAB}-vacm1-0 .xterm-rows").text


print(f"1..{PLAN}", flush=True)
try:
    # The server first, for this lab only (not up yet: the page says so).
    web = subprocess.Popen([VACMLAB, "web", "--listen", "127.0.0.1:0", LAB], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = web.stdout.readline()
    m = re.search(r"(http://127\.0\.0\.1:(\d+))/\?token=([0-9a-f]{32})", line)
    tap(m, "web prints its URL with a 128-bit token", line)
    if not m:
        raise SystemExit
    base, port, token = m.group(1), m.group(2), m.group(3)
    tokfile = f"{tmp}/run/web-{port}.url"
    st = os.stat(tokfile) if os.path.exists(tokfile) else None
    tap(st and (st.st_mode & 0o777) == 0o600 and open(tokfile).read().strip() == m.group(0),
        "the URL is in RUNDIR/web-PORT.url, mode 0600",
        f"{tokfile}: {oct(st.st_mode) if st else 'missing'}")

    # Refusals: no token; a foreign Origin; a foreign Host; an action.
    c1, _ = http(base + "/")
    c2, _ = http(base + "/api/status")
    tap(c1 == 403 and c2 == 403, "without the token: 403 (page and API)", f"{c1} {c2}")
    c, _ = http(base + "/api/status?token=" + token, {"Origin": "http://evil.example"})
    tap(c == 403, "the token with a foreign Origin: 403", c)
    c, _ = http(base + "/api/status?token=" + token, {"Host": f"evil.example:{port}"})
    tap(c == 403, "the token with a foreign Host (DNS rebinding): 403", c)
    c, body = http(base + "/api/status?token=" + token)
    tap(c == 200 and json.loads(body)["labs"][0].get("error"),
        "with the token: 200, the lab not up yet", f"{c} {body}")

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
              f"--user-data-dir={tmp}/chromium"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(DRIVER, log_path=f"{tmp}/chromedriver.log"),
                              options=opts)
    driver.get(m.group(0))
    tap(wait("redirect", lambda: driver.current_url == base + "/", 10)
        and any(ck["name"] == "vacmlab_token" and ck["httpOnly"] and ck.get("sameSite") == "Strict"
                for ck in driver.get_cookies()),
        "the token is traded for an HttpOnly SameSite=Strict cookie, out of the URL",
        f"{driver.current_url} {driver.get_cookies()}")

    # The lab comes up while the page watches.
    up = subprocess.Popen([VACMLAB, "up", topo], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    seen = {"vacm1": set(), "vacm2": set()}

    def both_ready():
        for node in seen:
            try:
                seen[node].add(state(node))
            except Exception:
                pass
        return all("ready" in s for s in seen.values())

    ok = wait("ready", both_ready, 300)
    shot("01-ready.png")
    tap(all("booting" in s for s in seen.values()), "the page showed both nodes booting", seen)
    tap(ok, "then both ready, live", seen)
    out, _ = up.communicate(timeout=60)
    tap(up.returncode == 0, "vacmlab up: exit 0", out)
    tap(driver.find_elements(By.CSS_SELECTOR, f"#svg-{LAB} .lan")
        and len(driver.find_elements(By.CSS_SELECTOR, f"#svg-{LAB} rect.box")) == 2,
        "the drawing has the LAN and both nodes", driver.page_source[-2000:])

    # vacm1's console: the replay, then a login.
    click(f"console-btn-{LAB}-vacm1-0")
    tap(wait("replay", lambda: "login:" in console_text(), 20),
        "vacm1's console opens with the replay (login:)", console_text())
    driver.find_element(By.CSS_SELECTOR, f"#term-{LAB}-vacm1-0 textarea").send_keys("root\n")
    tap(wait("prompt", lambda: re.search(r"(?m)^\S*#\s*$", console_text()), 30),
        "typed root + Enter: the shell prompt '# '", console_text())
    shot("02-console.png")

    # Pull vacm1's cable from the page.
    click(f"link-down-{LAB}-vacm1-eth0")
    nic = f"nic-{LAB}-vacm1-eth0"
    tap(wait("link", lambda: attr(nic, "data-link") == "down"
             and "done" in driver.find_element(By.ID, "msg").text, 30),
        "link down on the page: vacmlab link answered, the NIC shows link down",
        driver.find_element(By.ID, "msg").text)
    driver.find_element(By.CSS_SELECTOR, f"#term-{LAB}-vacm1-0 textarea").send_keys(
        "cat /sys/class/net/eth0/carrier\n")
    tap(wait("carrier", lambda: re.search(r"eth0/carrier\s*\n0\s*\n", console_text()), 20),
        "the guest sees its carrier gone (eth0 carrier 0)", console_text())
    shot("03-link-down.png")

    # Nothing changes a lab without the token.
    req = json.dumps({"lab": LAB, "verb": "node", "op": "stop", "target": "vacm2"}).encode()
    c, _ = http(base + "/api/action", {"Content-Type": "application/json"}, req)
    c2, _ = http(base + "/api/action?token=" + token,
                 {"Content-Type": "application/json", "Origin": "http://evil.example"}, req)
    time.sleep(2)
    tap(c == 403 and c2 == 403 and state("vacm2") == "ready",
        "an action without the token or from another origin: 403, vacm2 still ready",
        f"{c} {c2} {state('vacm2')}")
except SystemExit:
    pass
except Exception as e:
    import traceback
    tap(False, f"no exception ({e})", traceback.format_exc())
finally:
    if driver and failed:
        try:
            shot("99-failure.png")
        except Exception:
            pass
    if driver:
        print(f"# screenshots: {shots}", flush=True)
    cleanup()
    if web:
        out = web.stdout.read() if web.stdout else ""
        if failed and out:
            print("# web server output:\n" + "\n".join("#   " + l for l in out.splitlines()[-20:]))
    tap(not os.path.exists(tmp), "cleaned up")
if n != PLAN:
    print(f"# ran {n} of {PLAN}")
sys.exit(1 if failed or n != PLAN else 0)
