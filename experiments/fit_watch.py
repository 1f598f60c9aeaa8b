"""What leg stiffness does the spring-mass model give second by second for a runner's own watch
data, and how does it compare with the Morin estimate and the Stryd foot pod's own value?

Question: fit the model (rigid ground, no push) to every second of three shipped FIT
recordings, each second's contact time, flight time (60/cadence − contact time) and speed
(and step length where the device writes it), as one batched Levenberg-Marquardt fit per
recording; compare the fitted k with the Morin et al. (2005) sine-wave estimate of the same
second and, in the Stryd file, with the pod's "Leg Spring Stiffness". Also: how much does
fitting the (biased-high) watch vertical oscillation change k?

Command (from the repository root):

    python experiments/fit_watch.py            # -> figures/fit_watch.png,
                                               #    figures/fit_watch_results.json

Wall time on the 2-core CPU: about 2 min cold (one compile of the step's derivative per batch
size, ~30 s each), ~15 s with simsrc's compile cache warm.

What the figure shows: top two rows, the fitted leg stiffness per second (red, ± 1 s.e.
band), the Morin estimate (blue) and, for the Stryd run, the pod's value (black) over the
47-min fenix 2 run and the 57-min Stryd run (runner unknown: 70 kg, leg 0.95 m); bottom row,
the fitted k against the pod's value and against Morin's, one dot per second.
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from simsrc.measured.datasets import data_path  # noqa: E402
from simsrc.viz.fit_plots import _pyplot  # noqa: E402
from simsrc.fit.stride import METRICS  # noqa: E402
from simsrc.fit.watch import WATCH_METRICS, compare, fit_watch  # noqa: E402
from simsrc.measured.watch import read_fit  # noqa: E402

FILES = ("watch_fit/activity-small-fenix2-run.fit", "watch_fit/developer-types-sample.fit",
         "watch_fit/garmin-fenix-5-run.fit")


def summarise(fit, fit_vo, seconds) -> dict:
    k = fit.leg_stiffness_n_per_m
    return {"file": os.path.basename(fit.source), "records": int(k.size),
            "fitted": int(fit.fitted.sum()), "converged": int(np.isfinite(k).sum()),
            "runner": {"mass_kg": fit.mass_kg, "leg_length_m": fit.leg_length_m,
                       "source": fit.runner_source},
            "fit_seconds": seconds,
            "k_median_n_per_m": float(np.nanmedian(k)),
            "k_p5_p95_n_per_m": [float(np.nanpercentile(k, 5)), float(np.nanpercentile(k, 95))],
            "k_stderr_median_n_per_m": float(np.nanmedian(fit.leg_stiffness_stderr_n_per_m)),
            "fit_vs_morin": compare(k, fit.morin_leg_stiffness_n_per_m),
            "fit_vs_device": compare(k, fit.device_leg_spring_stiffness_n_per_m),
            "morin_vs_device": compare(fit.morin_leg_stiffness_n_per_m,
                                       fit.device_leg_spring_stiffness_n_per_m),
            "morin_vertical_vs_device": compare(fit.morin_vertical_stiffness_n_per_m,
                                                fit.device_leg_spring_stiffness_n_per_m),
            "with_vertical_oscillation": {
                "converged": int(np.isfinite(fit_vo.leg_stiffness_n_per_m).sum()),
                "k_median_n_per_m": float(np.nanmedian(fit_vo.leg_stiffness_n_per_m)),
                "vs_without": compare(fit_vo.leg_stiffness_n_per_m, k),
                "chi2_median": float(np.median(np.sum(np.asarray(fit_vo.result.residual) ** 2,
                                                      axis=1)))}}


def series(ax, fit, title):
    t = fit.time_s / 60.0
    k = fit.leg_stiffness_n_per_m / 1e3
    se = fit.leg_stiffness_stderr_n_per_m / 1e3
    ax.fill_between(t, k - se, k + se, color="C3", alpha=0.25, lw=0)
    ax.plot(t, k, color="C3", lw=0.6, label="fitted k ± 1 s.e.")
    ax.plot(t, np.where(fit.fitted, fit.morin_leg_stiffness_n_per_m, np.nan) / 1e3, color="C0",
            lw=0.5, alpha=0.8, label="Morin k_leg")
    dev = fit.device_leg_spring_stiffness_n_per_m / 1e3
    if np.isfinite(dev).any():
        ax.plot(t, dev, color="k", lw=0.5, alpha=0.8, label="Stryd 'Leg Spring Stiffness'")
    vals = np.concatenate([v[np.isfinite(v)] for v in (k, dev)])
    lo, hi = np.percentile(vals, [0.5, 99.5])
    ax.set_ylim(lo - 0.15 * (hi - lo), hi + 0.25 * (hi - lo))
    ax.set_xlabel("time (min)")
    ax.set_ylabel("leg stiffness (kN/m)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=3, loc="upper right")


def main():
    t0 = time.perf_counter()
    fits, out = {}, []
    for name in FILES:
        rec = read_fit(data_path(name))
        s0 = time.perf_counter()
        fit = fit_watch(rec, use=WATCH_METRICS)
        seconds = time.perf_counter() - s0
        fit_vo = fit_watch(rec, use=METRICS)
        fits[name] = fit
        out.append(summarise(fit, fit_vo, seconds))
    plt = _pyplot()
    fig = plt.figure(figsize=(11, 10), constrained_layout=True)
    grid = fig.add_gridspec(3, 2)
    for row, name in enumerate(FILES[:2]):
        fit = fits[name]
        s = out[row]
        series(fig.add_subplot(grid[row, :]), fit,
               f"{s['file']}: {s['converged']} of {s['records']} seconds fitted; "
               f"fitted/Morin median {s['fit_vs_morin']['median_ratio']:.3f}"
               + (f"; fitted/Stryd median {s['fit_vs_device']['median_ratio']:.2f}, "
                  f"r = {s['fit_vs_device']['pearson_r']:.2f}" if s['fit_vs_device']['n'] else "")
               + f" (runner {fit.mass_kg:g} kg, L0 {fit.leg_length_m:g} m, not in the file)")
    stryd = fits[FILES[1]]
    k = stryd.leg_stiffness_n_per_m / 1e3
    for col, (other, label) in enumerate(((stryd.device_leg_spring_stiffness_n_per_m,
                                           "Stryd 'Leg Spring Stiffness' (kN/m)"),
                                          (stryd.morin_leg_stiffness_n_per_m,
                                           "Morin k_leg (kN/m)"))):
        ax = fig.add_subplot(grid[2, col])
        o = np.where(stryd.fitted, other, np.nan) / 1e3
        both = np.isfinite(o) & np.isfinite(k)
        ax.plot(o[both], k[both], ".", ms=2, alpha=0.4, color="C3")
        lo = min(o[both].min(), k[both].min())
        hi = max(o[both].max(), k[both].max())
        ax.plot([lo, hi], [lo, hi], "--", color="0.5", lw=0.8, label="equal")
        ax.set_xlabel(label)
        ax.set_ylabel("fitted k (kN/m)")
        ax.set_title(f"Stryd run, one dot per second (r = {np.corrcoef(o[both], k[both])[0, 1]:.2f})",
                     fontsize=9)
        ax.legend(fontsize=7)
    path = os.path.join(ROOT, "figures", "fit_watch.png")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    results = {"files": out, "wall_s": time.perf_counter() - t0}
    with open(os.path.join(ROOT, "figures", "fit_watch_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    for s in out:
        print(f"{s['file']}: {s['converged']}/{s['fitted']} fits in {s['fit_seconds']:.1f} s; "
              f"k median {s['k_median_n_per_m'] / 1e3:.2f} kN/m (s.e. "
              f"{s['k_stderr_median_n_per_m'] / 1e3:.2f}); fit/Morin "
              f"{s['fit_vs_morin']['median_ratio']:.3f} (r {s['fit_vs_morin']['pearson_r']:.3f})"
              + (f"; fit/Stryd {s['fit_vs_device']['median_ratio']:.3f} (r "
                 f"{s['fit_vs_device']['pearson_r']:.3f}); Morin/Stryd "
                 f"{s['morin_vs_device']['median_ratio']:.3f} (r "
                 f"{s['morin_vs_device']['pearson_r']:.3f})" if s['fit_vs_device']['n'] else "")
              + f"; with VO: k median {s['with_vertical_oscillation']['k_median_n_per_m'] / 1e3:.2f}"
              f" (ratio {s['with_vertical_oscillation']['vs_without']['median_ratio']:.3f})")
    print(f"{path} ({results['wall_s']:.0f} s)")


if __name__ == "__main__":
    main()
