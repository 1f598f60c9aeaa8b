"""Fitting benchmark: one force curve cold and warm, batched per-step curve fits, and every
per-second fit of the 47-minute watch recording.

Run on purpose (not a test):

    python benchmarks/bench_fit.py               # compile cache off: honest cold numbers
    python benchmarks/bench_fit.py --cache       # with simsrc's persistent compile cache

Cases:
- force curve: the mean stance curve of Fukuchi et al. 2017 at 3.5 m/s (84 steps), free
  k, α, push, apex drop, 4 starts (the default), rigid ground. "cold" is the first call in
  the process (tracing + XLA compile of the derivative kernel + the fit); "warm" the median
  of 5 later calls;
- per-step: each of the 84 steps' own curve, one batch (1 start each), warm;
- watch: all 2631 running seconds of activity-small-fenix2-run.fit (2809 records, 47 min),
  one stride-metric fit each (k, α, apex drop, apex speed; contact time, flight time, speed),
  one batch; cold (first call) and warm (median of 3).
Targets (issue 5): warm single-curve fit < 1 s; all per-second fits of the 47-min recording
< 30 s. Results are printed, and written as JSON with ``--out FILE``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def _parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", action="store_true", help="keep the persistent compile cache on")
    ap.add_argument("--out", default=None,
                    help="also write the results as JSON (benchmarks/results_fit.json holds the "
                    "reported run)")
    return ap.parse_args()


ARGS = _parse()
if not ARGS.cache:
    os.environ["SIMSRC_NO_COMPILE_CACHE"] = "1"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from simsrc.measured.contacts import detect_steps, mean_stance_curve  # noqa: E402
from simsrc.measured.datasets import data_path  # noqa: E402
from simsrc.fit.force import (fit_force_curve, force_curve_from_stance,  # noqa: E402
                              force_curves_per_step)
from simsrc.fit.guess import leg_length_from_height_m  # noqa: E402
from simsrc.fit.watch import fit_watch  # noqa: E402
from simsrc.measured.forceplate import read_force_c3d  # noqa: E402
from simsrc.measured.watch import read_fit  # noqa: E402

MASS_KG, LEG_M, SPEED = 62.0, float(leg_length_from_height_m(1.81)), 3.5


def timed(fn, reps=1):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def main():
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
               "jax": jax.__version__, "compile_cache": ARGS.cache,
               "date": time.strftime("%Y-%m-%d")}
    rec = read_force_c3d(data_path("fukuchi2017/RBDS001runT35.c3d"))
    steps = detect_steps(rec)
    curve = force_curve_from_stance(mean_stance_curve(rec, steps), body_weight_n=MASS_KG * 9.81,
                                    speed_m_per_s=SPEED,
                                    flight_time_s=float(steps.flight_time_s.mean()))
    fit = lambda: fit_force_curve(curve, mass_kg=MASS_KG, leg_length_m=LEG_M)  # noqa: E731
    res, cold = timed(fit)
    _, warm = timed(fit, reps=5)
    results["force_curve"] = {"cold_s": cold[0], "warm_s": float(np.median(warm)),
                              "warm_all_s": warm, "iterations": int(res.iterations),
                              "status": int(res.status), "starts": 4}
    print(f"force curve (4 starts): cold {cold[0]:.1f} s, warm {np.median(warm):.3f} s "
          f"({int(res.iterations)} iterations)")

    curves = force_curves_per_step(rec, steps, body_weight_n=MASS_KG * 9.81, speed_m_per_s=SPEED)
    per = lambda: fit_force_curve(curves, mass_kg=MASS_KG, leg_length_m=LEG_M,  # noqa: E731
                                  starts=1)
    res, first = timed(per)
    _, again = timed(per, reps=3)
    n = int(res.value.shape[0])
    results["force_per_step"] = {"n_curves": n, "first_s": first[0],
                                 "warm_s": float(np.median(again)),
                                 "fits_per_s_warm": n / float(np.median(again)),
                                 "converged": int(np.sum(res.converged))}
    print(f"per-step curves: {n} fits, first call {first[0]:.1f} s, warm "
          f"{np.median(again):.2f} s = {n / np.median(again):.0f} fits/s")

    watch = read_fit(data_path("watch_fit/activity-small-fenix2-run.fit"))
    run = lambda: fit_watch(watch)  # noqa: E731
    wf, first = timed(run)
    _, again = timed(run, reps=3)
    n = int(wf.fitted.sum())
    results["watch_per_second"] = {"records": int(watch.n_samples), "fits": n,
                                   "converged": int(np.isfinite(wf.leg_stiffness_n_per_m).sum()),
                                   "cold_s": first[0], "warm_s": float(np.median(again)),
                                   "fits_per_s_warm": n / float(np.median(again)),
                                   "max_iterations_used": int(np.max(wf.result.iterations))}
    print(f"watch, 47 min: {n} per-second fits, first call {first[0]:.1f} s, warm "
          f"{np.median(again):.2f} s = {n / np.median(again):.0f} fits/s")
    results["targets"] = {
        "warm_single_curve_fit_below_1_s": results["force_curve"]["warm_s"] < 1.0,
        "all_per_second_fits_below_30_s_cold": results["watch_per_second"]["cold_s"] < 30.0,
        "all_per_second_fits_below_30_s_warm": results["watch_per_second"]["warm_s"] < 30.0}
    print(f"targets: {results['targets']}")
    if ARGS.out:
        with open(ARGS.out, "w") as f:
            json.dump(results, f, indent=1)
        print(f"written {ARGS.out}")


if __name__ == "__main__":
    main()
