"""The page side of tools/browser_check.ts: drives Debian's chromium with playwright.

Reads a JSON plan (argv[1]) and writes a JSON result (argv[2]). The plan names:
- pages: offline HTML files (nbconvert exports, the report) with the number of figures each must
  draw; every request that is not file:, data: or blob: is blocked and recorded;
- lab: a JupyterLab server to start (command, root folder, environment) and the executed
  notebooks to open in it, each with its number of figures;
- live: a notebook (under the lab root) to run in the page, the title of its live figure, and
  whether to save, reload and count its figures again afterwards.

A figure counts as drawn when its `.js-plotly-plot` holds a `.main-svg`; a figure output's text
fallback (`.loradrop-plot-fallback`) or a "plotly.js is not loaded" note still on the page is a
failure. Screenshots go to the plan's outDir.
"""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

COUNT_JS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = plots.filter((p) => p.querySelector('.main-svg')).length;
  const fallbacks = [...document.querySelectorAll('.loradrop-plot-fallback')]
    .map((e) => e.innerText.replace(/\\s+/g, ' ').slice(0, 160));
  const text = document.body ? document.body.innerText : '';
  const notLoaded = /plotly\\.js is not loaded/.test(text);
  const math = document.querySelectorAll('math').length;
  const rawTex = (text.match(/\\$\\$|\\\\frac|\\\\mathrm|\\\\in\\b/g) || []).length;
  return { drawn, fallbacks, notLoaded, math, rawTex };
}"""

LIVE_JS = """(title) => {
  for (const p of document.querySelectorAll('.js-plotly-plot')) {
    const t = p.layout && p.layout.title && p.layout.title.text;
    if (typeof t === 'string' && t.includes(title) && Array.isArray(p.data)) {
      return p.data.reduce((n, trace) => n + (Array.isArray(trace.x) ? trace.x.length : 0), 0);
    }
  }
  return -1;
}"""

# Samples the live figure's point count every 50 ms inside the page (a round trip per sample
# from here would be too slow for a short loop).
LIVE_SAMPLER_JS = """(title) => {
  const points = """ + LIVE_JS + """;
  window.loradropLiveSamples = [];
  const start = performance.now();
  setInterval(() => {
    const busy = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
      .some((e) => e.innerText.includes('*'));
    window.loradropLiveSamples.push({ t: Math.round(performance.now() - start) / 1000, points: points(title), busy });
  }, 50);
}"""

BUSY_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map((e) => e.innerText.trim());
  return { busy: prompts.some((p) => p.includes('*')), prompts };
}"""


def offline_route(blocked, allowed_prefixes):
    def handle(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")) or any(url.startswith(p) for p in allowed_prefixes):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()
    return handle


def wait_drawn(page, expected, timeout_s, expect_math=False):
    deadline = time.time() + timeout_s
    state = page.evaluate(COUNT_JS)
    # Wait while figures (and formulas) are still being drawn; a "not loaded" note is final.
    while time.time() < deadline and not state["notLoaded"] and (
            state["drawn"] < expected or state["fallbacks"] or (expect_math and state["math"] == 0)):
        page.wait_for_timeout(500)  # (unlike time.sleep, lets playwright serve the routed requests)
        state = page.evaluate(COUNT_JS)
    return state


def check_pages(browser, plan, out_dir):
    results = []
    for item in plan:
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        blocked = []
        context.route("**/*", offline_route(blocked, []))
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto("file://" + item["file"], wait_until="load")
        state = wait_drawn(page, item["expectedPlots"], 60, item.get("expectMath", False))
        shot = os.path.join(out_dir, item["name"] + ".png")
        page.screenshot(path=shot, full_page=True)
        context.close()
        results.append({**item, **state, "blocked": blocked, "errors": errors, "screenshot": shot})
    return results


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(lab):
    port = free_port()
    token = secrets.token_hex(16)
    env = {**os.environ, **lab["env"]}
    log = open(os.path.join(lab["logDir"], "jupyterlab.log"), "w")
    proc = subprocess.Popen([
        lab["jupyter"], "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.root_dir={lab['root']}", f"--IdentityProvider.token={token}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return proc, base, token
        except Exception:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"JupyterLab did not answer within 120 s; see {log.name}")


# JupyterLab's debugger panel asks every kernel for a debug session; the Deno kernel has none.
IGNORED_LAB_ERRORS = re.compile(r"No active debugger session")


def open_notebook(context, base, token, path, errors):
    page = context.new_page()
    page.on("pageerror", lambda e: None if IGNORED_LAB_ERRORS.search(str(e)) else errors.append(str(e)))
    # reset: a fresh workspace, so that only this notebook is open.
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=90_000)
    return page


def check_lab_notebooks(context, base, token, notebooks, out_dir):
    results = []
    for item in notebooks:
        errors = []
        page = open_notebook(context, base, token, item["path"], errors)
        state = wait_drawn(page, item["expectedPlots"], 90)
        page.evaluate("() => { const p = document.querySelector('.js-plotly-plot'); if (p) p.scrollIntoView(); }")
        page.wait_for_timeout(500)
        shot = os.path.join(out_dir, "lab-" + item["name"] + ".png")
        page.screenshot(path=shot)
        page.close()
        results.append({**item, **state, "errors": errors, "screenshot": shot})
    return results


def run_all(page):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def check_live(context, base, token, live, out_dir):
    errors = []
    page = open_notebook(context, base, token, live["path"], errors)
    # Wait for the kernel: the status bar names it once it is connected.
    page.wait_for_function("() => /Deno \\| Idle/.test(document.body.innerText)", timeout=120_000)
    page.evaluate(LIVE_SAMPLER_JS, live["title"])
    run_all(page)
    start = time.time()
    finished = False
    while time.time() - start < live["timeoutSeconds"]:
        busy = page.evaluate(BUSY_JS)
        if not busy["busy"] and time.time() - start > 5 and all(p.strip() not in ("[ ]:", "[ ]") for p in busy["prompts"]):
            finished = True
            break
        page.wait_for_timeout(250)
    samples = page.evaluate("() => window.loradropLiveSamples")
    final = page.evaluate(LIVE_JS, live["title"])
    shot = os.path.join(out_dir, "lab-live-run.png")
    page.screenshot(path=shot)
    result = {**live, "samples": samples, "finished": finished, "finalPoints": final, "errors": errors,
              "screenshot": shot}
    if finished and live.get("reopen"):
        file = live["file"]
        before = os.stat(file).st_mtime
        page.keyboard.press("Control+s")
        deadline = time.time() + 30
        while time.time() < deadline and os.stat(file).st_mtime == before:
            page.wait_for_timeout(200)
        result["saved"] = os.stat(file).st_mtime != before
        page.close()
        page = open_notebook(context, base, token, live["path"], errors)
        with open(file) as f:
            nb = json.load(f)
        expected = sum(1 for c in nb["cells"] for o in c.get("outputs", [])
                       if "application/vnd.plotly.v1+json" in o.get("data", {}))
        result["reopen"] = {"expectedPlots": expected, **wait_drawn(page, expected, 90)}
        shot = os.path.join(out_dir, "lab-live-reopened.png")
        page.screenshot(path=shot)
        result["reopen"]["screenshot"] = shot
    page.close()
    return result


def main():
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    out_dir = plan["outDir"]
    result = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=plan["chromium"], args=["--no-sandbox"])
        result["pages"] = check_pages(browser, plan.get("pages", []), out_dir)
        lab = plan.get("lab")
        if lab is not None:
            proc, base, token = start_lab(lab)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 2400})
                blocked = []
                context.route("**/*", offline_route(blocked, [base]))
                result["lab"] = check_lab_notebooks(context, base, token, lab["notebooks"], out_dir)
                if lab.get("live") is not None:
                    result["live"] = check_live(context, base, token, lab["live"], out_dir)
                result["labBlocked"] = blocked
                context.close()
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        browser.close()
    with open(sys.argv[2], "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
