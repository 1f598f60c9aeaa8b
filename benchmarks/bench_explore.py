"""Explorer benchmark: the warm-up (compile) time and the response time per request after it.

Run on purpose (not a test):

    python benchmarks/bench_explore.py                 # the user's compile cache (a warm start)
    python benchmarks/bench_explore.py --cold          # an empty compile cache: the first start
    python benchmarks/bench_explore.py --browser --screenshot figures/explorer.png

What is measured:
- the command: ``simsrc explore --no-browser`` in a new process, seconds to its address, to
  the page served, to *ready* and to the default runner's gait (issue 13: the first page usable
  within 10 s);
- warm-up: ``simsrc.explore.answer.WarmUp`` from start to ready (it compiles the steady
  solver's one-step program and the animation's program side by side, then answers three
  states);
- per request: ``GET /api/gait`` through Starlette's TestClient (the whole answer: the steady
  solve, three animated steps, the JSON), for a hand moving the stiffness slider from 10 to 30
  kN/m in 0.5 kN/m steps, then the surface presets, the slope from -5 to 5 deg and the leg
  length: the median, 90th percentile and largest time, split into requests with a steady gait
  and without one (the solver's 40 iterations);
- with ``--browser``: in Debian's headless Chromium, the time from a slider's input event to the
  redrawn numbers on the page (request, JSON, SVG), over 20 slider moves.
Target (issue 13): a control change redraws in <= 200 ms on 2 cores after the warm-up.
Results are printed, and written as JSON with ``--out FILE``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time


def _parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cold", action="store_true",
                    help="use an empty compile cache (the time of a first start)")
    ap.add_argument("--browser", action="store_true",
                    help="also time slider moves in headless Chromium (Playwright)")
    ap.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the page (with "
                    "--browser)")
    ap.add_argument("--out", default=None,
                    help="also write the results as JSON (benchmarks/results_explore.json holds the "
                    "reported run)")
    return ap.parse_args()


ARGS = _parse()
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))   # this checkout's simsrc
if ARGS.cold:
    os.environ["SIMSRC_COMPILE_CACHE"] = tempfile.mkdtemp(prefix="simsrc-bench-explore-")


def stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p90_ms": round(ms[min(len(ms) - 1, int(0.9 * len(ms)))], 1),
            "max_ms": round(ms[-1], 1)}


def requests():
    """The states of the sequence (query dicts)."""
    qs = [{"leg_stiffness_kn_per_m": f"{k / 2:g}"} for k in range(20, 61)]
    qs += [{"surface": s} for s in ("rigid", "firm", "track", "soft_track", "grass", "sand")]
    qs += [{"slope_deg": f"{s:g}"} for s in range(-5, 6)]
    qs += [{"leg_length_m": f"{x / 100:g}"} for x in range(85, 106, 2)]
    return qs


def bench_command() -> dict:
    """``simsrc explore --no-browser`` in a new process (its own compile cache: an empty one
    with ``--cold``, the user's otherwise): seconds from the command to its printed address,
    to *ready* (``/api/status``), and to the default runner's gait (``/api/gait``, the page's
    first answer)."""
    import json as js
    import re
    import subprocess
    import urllib.request

    env = dict(os.environ)
    if ARGS.cold:
        env["SIMSRC_COMPILE_CACHE"] = tempfile.mkdtemp(prefix="simsrc-bench-explore-cmd-")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "simsrc", "explore", "--no-browser",
                             "--port", "0"], stdout=subprocess.PIPE, text=True, env=env,
                            cwd=os.path.join(os.path.dirname(__file__), ".."))
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://\S+/", line).group(0)
        t_address = time.perf_counter() - t0
        t_serving = t_ready = None
        while t_ready is None:
            try:
                with urllib.request.urlopen(url + "api/status", timeout=5) as r:
                    status = js.load(r)
                t_serving = t_serving or time.perf_counter() - t0
                if status["ready"]:
                    t_ready = time.perf_counter() - t0
                elif status["error"]:
                    raise RuntimeError(status["error"])
            except OSError:
                pass
            time.sleep(0.05)
        with urllib.request.urlopen(url + "api/gait", timeout=60) as r:
            assert js.load(r)["steady"]["converged"]
        t_gait = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"address_printed_s": round(t_address, 1), "page_served_s": round(t_serving, 1),
            "ready_s": round(t_ready, 1), "first_gait_s": round(t_gait, 1)}


def bench_api(client) -> dict:
    steady, none = [], []
    for q in requests():
        t = time.perf_counter()
        r = client.get("/api/gait", params=q)
        ms = 1e3 * (time.perf_counter() - t)
        assert r.status_code == 200, r.text
        (steady if r.json()["steady"]["converged"] else none).append(ms)
    return {"with_steady_gait": stats(steady), "without_steady_gait": stats(none),
            "all": stats(steady + none)}


def bench_browser(app, screenshot: str | None) -> dict:
    import shutil
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright

    from simsrc.cli.explore import free_port

    port = free_port("127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/"
    exe = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    ms = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe)
        pg = b.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(url)
        cell = '.runner[data-runner="a"] tr[data-metric="contact_time_s"] td.v'
        pg.wait_for_function(f"""document.querySelector('{cell}')?.dataset.value &&
            document.querySelector('#status').textContent.startsWith('ready')""",
                             timeout=600_000)
        for i in range(20):
            before = pg.get_attribute(cell, "data-value")
            value = 15.5 + 0.5 * i
            t = pg.evaluate("""([v, cell, before]) => new Promise(done => {
                const r = document.getElementById('range-leg_stiffness_kn_per_m');
                const t0 = performance.now();
                const wait = () => {
                    const c = document.querySelector(cell);
                    if (c && c.dataset.value && c.dataset.value !== before) done(performance.now() - t0);
                    else requestAnimationFrame(wait);
                };
                r.value = v; r.dispatchEvent(new Event('input'));
                wait();
            })""", [value, cell, before])
            ms.append(t)
        if screenshot:
            pg.goto(url + "?compare=1&b.surface=sand&lesson=sand")
            pg.wait_for_function(f"""document.querySelectorAll('{cell}').length &&
                document.querySelector('.runner[data-runner="b"] tr[data-metric="contact_time_s"] td.v')?.dataset.value""",
                                 timeout=60_000)
            time.sleep(1.2)     # the animation under way
            pg.screenshot(path=screenshot, full_page=True)
        b.close()
    server.should_exit = True
    return {"slider_to_redraw": stats(ms)}


def main() -> int:
    command = bench_command()
    print("simsrc explore, from the command:", command, flush=True)
    t0 = time.perf_counter()
    from starlette.testclient import TestClient

    from simsrc.explore.answer import FD_ROWS, OPTIONS, WarmUp
    from simsrc.explore.app import make_app
    t_import = time.perf_counter() - t0

    warm = WarmUp().start()
    app = make_app(warm)
    ok = warm.wait()
    t_warm = warm.ready_at - warm.started
    if not ok:
        print(f"warm-up failed: {warm.error}", file=sys.stderr)
        return 1
    client = TestClient(app)
    api = bench_api(client)
    api_again = bench_api(client)     # the same states again: nothing compiles any more
    out = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "cold_cache": ARGS.cold,
           "options": str(OPTIONS), "fd_rows": FD_ROWS,
           "command": command,
           "import_s": round(t_import, 2), "warm_up_s": round(t_warm, 1),
           "requests": api, "requests_second_pass": api_again}
    if ARGS.browser:
        out["browser"] = bench_browser(app, ARGS.screenshot)
    print(json.dumps(out, indent=1))
    if ARGS.out:
        with open(ARGS.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
