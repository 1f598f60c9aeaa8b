"""Does a lower leg with mass fit a runner's measured ground force, impact included, without a
push, and what leg stiffness does it give next to the massless fit and the Morin estimate?

Question: the massless spring-mass fits of Fukuchi et al. (2017) subject 1 (62.0 kg, 1.81 m;
experiments/fit_fukuchi.py) leave 0.09-0.11 BW RMS, need a ~1 BW push to skew the curve, and put
the leg stiffness at 1.3-1.6 × the Morin estimate. Fit the two-mass stance of
``simsrc.engine.impact`` (MODEL.md §12) to the same mean stance curves (vertical and horizontal,
from the detected touchdown, impact region included, no push) with ``fit.impact_force``:

* ``two_mass``: the default free parameters (leg k, angle of attack, touchdown vertical
  velocity, foot mass fraction 2-12 %, foot velocity, linear contact k_p and its Hunt-Crossley
  damping, touchdown offset 0-6 ms; leg damping held at 0);
* ``stiffening``: the same with the contact exponent n free (1-3);
* ``heel_pad``: the contact held to k_p ≥ 40 kN/m (a heel pad with a shoe, docs/physics.md §6
  presets: heel 60 kN/m in series with a cushioned midsole 150 kN/m is 43 kN/m);
* ``heel_pad_push``: the heel pad with the active push of the massless engine (MODEL.md §4),
  its force ≤ 0.5 BW (the issue's physiological limit) and its ramp angle (2-40°) fitted.

Then every step's own curve (``force.force_curves_per_step``) with ``two_mass``, ``heel_pad``
and ``heel_pad_push``, each started from its mean-curve fit (one batched fit per speed and
variant); and a profile: the mean curve fitted with the contact held to k_p ≥ 10, 20, 40, 75,
150 kN/m.

Command (from the repository root):

    python experiments/fit_fukuchi_impact.py   # -> figures/fit_fukuchi_impact.png,
                                               #    figures/fit_fukuchi_impact_results.json

Wall time on the 2-core CPU (idle, 2026-12-03): 180 s with empty compile caches, 115 s warm
(its kernels read back from simsrc's stored programs; the rest is the fits themselves: eight fits
of sixteen starts each, six per-step batches of 77-84 steps, ten profile fits of eight starts;
the massless curves of figures/fit_fukuchi_results.json recomputed for the figure).

What the figure shows: one pair of rows per speed: measured mean vertical force (dots), with
its first 60 ms enlarged, and horizontal force, in body weights against time from the detected
touchdown; the two-mass fit (red), the stiffening-contact fit (dotted green), the massless fit
with push (dashed blue, from fit_fukuchi_results.json); the impact reference point of
``impact.ImpactMetrics`` (the first local maximum within 60 ms, else the value at 13 % of the
contact time) marked on the measured curve (black diamond) and the fit (red diamond);
residuals of the two-mass fit beneath.

Why the stiffness differs (docs/fitting.md, "Impact: the two-mass fit", has the numbers): the
Morin estimate lumps every compliance below the COM into one spring; the massless fit must
follow the measured curve's steep early rise with a stiff spring, and with a push (k and push
correlate at +0.95) it ends at 1.6 × Morin. The two-mass fit starts the force with the foot's
collision and puts part of the compliance into the contact below the leg. With a heel-pad
contact (k_p ≥ 40 kN/m) its leg spring is 1.40-1.45 × Morin and the leg and the contact in
series 1.07-1.12 ×. With the contact free the fit is better (0.047/0.052 BW) but the leg and
contact stiffnesses trade off (correlation −0.93/−0.98) and the contact compresses 10-21 cm,
which no heel pad or shoe does: that split is not a measurement.
"""
from __future__ import annotations

import json
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2  # noqa: E402
from simsrc.fit import impact_force as fi  # noqa: E402
from simsrc.fit.force import (fitted_stance, force_curve_from_stance,  # noqa: E402
                              force_curves_per_step)
from simsrc.fit.guess import leg_length_from_height_m, morin_leg_stiffness_n_per_m  # noqa: E402
from simsrc.fit.report import display, short_name  # noqa: E402
from simsrc.measured.contacts import detect_steps, mean_stance_curve  # noqa: E402
from simsrc.measured.datasets import data_path  # noqa: E402
from simsrc.measured.forceplate import read_force_c3d, read_force_text  # noqa: E402
from simsrc.viz.fit_plots import _pyplot  # noqa: E402

MASS_KG = 62.0                                   # RBDSinfo.txt, subject 1
LEG_M = float(leg_length_from_height_m(1.81))    # 0.53 × 1.81 m
TRIALS = (("fukuchi2017/RBDS001runT25forces.txt", read_force_text, 2.5),
          ("fukuchi2017/RBDS001runT35.c3d", read_force_c3d, 3.5))
VARIANTS = {
    "two_mass": {},
    "stiffening": {"free": fi.DEFAULT_IMPACT_FREE + ("contact_exponent",)},
    "heel_pad": {"ranges": {"contact_stiffness": (40e3, 2e6)}},
    "heel_pad_push": {"free": fi.DEFAULT_IMPACT_FREE + ("push_force_bw", "push_ramp_rad"),
                      "ranges": {"contact_stiffness": (40e3, 2e6)}},
}
STARTS = 16
PER_STEP = ("two_mass", "heel_pad", "heel_pad_push")
PROFILE_KP_MIN = (10e3, 20e3, 40e3, 75e3, 150e3)   # N/m, lower bounds of the contact stiffness
PROFILE_STARTS = 8
MASSLESS = os.path.join(ROOT, "figures", "fit_fukuchi_results.json")


def load_curve(name, reader, speed):
    """The measured mean stance curve (``ForceCurve``) and the step table of one trial."""
    rec = reader(data_path(name))
    steps = detect_steps(rec)
    curve = force_curve_from_stance(mean_stance_curve(rec, steps),
                                    body_weight_n=MASS_KG * STANDARD_GRAVITY_M_PER_S2,
                                    speed_m_per_s=speed,
                                    flight_time_s=float(steps.flight_time_s.mean()))
    return curve, steps


def _params(result) -> dict:
    return {n: {"value": float(v), "stderr": float(s), "at_bound": bool(b),
                "display": display(n, v, s)}
            for n, v, s, b in zip(result.names, np.asarray(result.value),
                                  np.asarray(result.stderr), np.asarray(result.at_bound))}


def fit_trial(name, reader, speed, massless):
    curve, steps = load_curve(name, reader, speed)
    tc, tf = float(steps.contact_time_s.mean()), float(steps.flight_time_s.mean())
    morin = float(morin_leg_stiffness_n_per_m(MASS_KG, LEG_M, speed, tc, tf))
    out = {"file": name, "speed_m_per_s": speed, "n_steps": int(steps.n_steps),
           "contact_time_s": tc, "flight_time_s": tf, "morin_leg_stiffness_n_per_m": morin,
           "massless": {label: {"leg_stiffness_n_per_m":
                                massless[label]["parameters"]["leg_stiffness_n_per_m"]["value"],
                                "rms_vertical_bw": massless[label]["rms_vertical_bw"],
                                "rms_horizontal_bw": massless[label]["rms_horizontal_bw"]}
                        for label in ("push", "no_push")}}
    fits = {}
    for label, variant in VARIANTS.items():
        t0 = time.perf_counter()
        res = fi.fit_impact_curve(curve, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=STARTS,
                                  free=variant.get("free", fi.DEFAULT_IMPACT_FREE),
                                  ranges=variant.get("ranges"))
        seconds = time.perf_counter() - t0
        rv, rh = fi.impact_rms_bw(res, curve)
        summary = fi.impact_summary(res, curve, mass_kg=MASS_KG, leg_length_m=LEG_M)
        k = res.get("leg_stiffness_n_per_m")[0]
        out[label] = {"parameters": _params(res), "rms_vertical_bw": rv,
                      "rms_horizontal_bw": rh, "status": int(res.status),
                      "iterations": int(res.iterations), "fit_seconds": seconds,
                      "correlation": np.asarray(res.correlation).round(3).tolist(),
                      "leg_stiffness_over_morin": float(k) / morin,
                      "series_stiffness_over_morin":
                          summary["series_stiffness_n_per_m"] / morin,
                      "leg_stiffness_over_massless_push":
                          float(k) / out["massless"]["push"]["leg_stiffness_n_per_m"],
                      **summary}
        fits[label] = res
    out["per_step"] = per_step_fits(name, reader, speed, out, steps, morin)
    out["contact_profile"] = contact_profile(curve, morin)
    return out, curve, fits, massless


def contact_profile(curve, morin):
    """The fit with the contact held ever stiffer (k_p ≥ each of ``PROFILE_KP_MIN``): how the
    achievable RMS depends on how much compliance the contact may take."""
    rows = []
    for kp_min in PROFILE_KP_MIN:
        res = fi.fit_impact_curve(curve, mass_kg=MASS_KG, leg_length_m=LEG_M,
                                  starts=PROFILE_STARTS,
                                  ranges={"contact_stiffness": (kp_min, 2e6)})
        rv, rh = fi.impact_rms_bw(res, curve)
        summary = fi.impact_summary(res, curve, mass_kg=MASS_KG, leg_length_m=LEG_M)
        k = float(res.get("leg_stiffness_n_per_m")[0])
        rows.append({"contact_stiffness_min_n_per_m": kp_min, "rms_vertical_bw": rv,
                     "rms_horizontal_bw": rh, "leg_stiffness_n_per_m": k,
                     "leg_stiffness_over_morin": k / morin,
                     "contact_stiffness_n_per_m": float(res.get("contact_stiffness")[0]),
                     "series_stiffness_over_morin": summary["series_stiffness_n_per_m"] / morin,
                     "max_contact_compression_m": summary["max_contact_compression_m"],
                     "body_energy_change_j": summary["body_energy_change_j"]})
    return rows


def per_step_fits(name, reader, speed, out, steps, morin_mean):
    """Every step's own curve fitted (one start: the mean-curve fit's values), for
    ``PER_STEP`` variants: convergence, RMS and the spread of k against Morin's per step."""
    rec = reader(data_path(name))
    curves = force_curves_per_step(rec, steps, body_weight_n=MASS_KG * STANDARD_GRAVITY_M_PER_S2,
                                   speed_m_per_s=speed)
    n = curves.weight.shape[1]
    count = np.sum(curves.weight > 0, axis=1)
    morin = morin_leg_stiffness_n_per_m(MASS_KG, LEG_M, speed, steps.contact_time_s,
                                        steps.flight_time_s)
    result = {}
    for label in PER_STEP:
        t0 = time.perf_counter()
        init = {k: p["value"] for k, p in out[label]["parameters"].items()}
        res = fi.fit_impact_curve(curves, mass_kg=MASS_KG, leg_length_m=LEG_M, starts=1,
                                  initial=init, free=VARIANTS[label].get("free",
                                                                         fi.DEFAULT_IMPACT_FREE),
                                  ranges=VARIANTS[label].get("ranges"))
        r = np.asarray(res.residual)
        rv = np.sqrt(np.sum(r[:, :n] ** 2, axis=1) / count)
        ok = np.asarray(res.converged)
        k = np.asarray(res.value)[:, res.names.index("leg_stiffness_n_per_m")]
        result[label] = {
            "converged": int(ok.sum()), "of": int(ok.size),
            "fit_seconds": time.perf_counter() - t0,
            "rms_vertical_median_bw": float(np.median(rv[ok])),
            "rms_vertical_p90_bw": float(np.percentile(rv[ok], 90)),
            "leg_stiffness_mean_n_per_m": float(k[ok].mean()),
            "leg_stiffness_sd_n_per_m": float(k[ok].std(ddof=1)),
            "morin_mean_n_per_m": float(morin.mean()), "morin_sd_n_per_m": float(morin.std(ddof=1)),
            "corr_fit_morin": float(np.corrcoef(k[ok], morin[ok])[0, 1])}
    return result


def _marker(ax, impact, color):
    ax.plot(impact["peak_time_s"] * 1e3, impact["peak_bw"], "D", color=color, mec="k", ms=7,
            zorder=5)


def draw(trials, path):
    plt = _pyplot()
    fig, axes = plt.subplots(4, 3, figsize=(14, 10.5), constrained_layout=True,
                             gridspec_kw={"height_ratios": [3, 1.2, 3, 1.2],
                                          "width_ratios": [2, 1.2, 2]})
    for row, (out, curve, fits, massless) in enumerate(trials):
        top, res_ax = axes[2 * row], axes[2 * row + 1]
        speed = out["speed_m_per_s"]
        w = np.asarray(curve.weight) > 0
        n = w.size
        tm = np.asarray(curve.time_s)[w] * 1e3
        lines = {}
        for label, style, color in (("two_mass", "-", "C3"), ("stiffening", ":", "C2"),
                                    ("heel_pad_push", "-.", "C4")):
            t, fv, fh, _ = fi.fitted_curves(fits[label], curve, mass_kg=MASS_KG, leg_length_m=LEG_M)
            keep = t <= 1.15 * float(np.asarray(curve.contact_time_s))
            lines[label] = (t[keep] * 1e3, fv[keep], fh[keep], style, color)
        ml = massless["push"]["parameters"]
        stand_in = SimpleNamespace(names=tuple(ml), value=np.array([ml[k]["value"] for k in ml]))
        tl, fvl, fhl, _ = fitted_stance(stand_in, mass_kg=MASS_KG, leg_length_m=LEG_M,
                                        speed_m_per_s=speed)
        for col, (meas, key) in enumerate(((curve.vertical_bw, 1), (curve.vertical_bw, 1),
                                           (curve.horizontal_bw, 2))):
            ax = top[col]
            ax.plot(tm, np.asarray(meas)[w], ".", color="k", ms=4, label="measured mean")
            ax.plot(tl * 1e3, fvl if key == 1 else fhl, "--", color="C0", lw=1.4,
                    label=f"massless + push (RMS {out['massless']['push']['rms_vertical_bw']:.3f})")
            for label, (t, fv, fh, style, color) in lines.items():
                o = out[label]
                ax.plot(t, fv if key == 1 else fh, style, color=color, lw=1.7,
                        label=f"{label.replace('_', '-')} (RMS {o['rms_vertical_bw']:.3f})")
            ax.axhline(0.0, color="0.85", lw=0.8)
            if key == 1:
                _marker(ax, out["two_mass"]["measured_impact"], "k")
                _marker(ax, out["two_mass"]["model_impact"], "C3")
            ax.set_ylabel("force (body weights)")
        top[1].set_xlim(-8, 62)
        top[1].set_ylim(-0.05, 1.9 if speed > 3 else 1.7)
        o = out["two_mass"]
        top[0].set_title(f"{speed} m/s, vertical: RMS {o['rms_vertical_bw']:.3f} BW two-mass, "
                         f"{out['massless']['push']['rms_vertical_bw']:.3f} massless + push",
                         fontsize=9)
        top[1].set_title("first 60 ms (◆ impact reference point)", fontsize=9)
        top[2].set_title(f"horizontal: RMS {o['rms_horizontal_bw']:.3f} BW two-mass, "
                         f"{out['massless']['push']['rms_horizontal_bw']:.3f} massless + push",
                         fontsize=9)
        k = o["parameters"]["leg_stiffness_n_per_m"]["display"]
        top[0].legend(fontsize=7, loc="lower center", title_fontsize=7,
                      title=f"two-mass: k {k[0]:.1f}±{k[1]:.1f}, leg+contact "
                            f"{o['series_stiffness_n_per_m'] / 1e3:.1f} kN/m; massless "
                            f"{out['massless']['push']['leg_stiffness_n_per_m'] / 1e3:.1f}; "
                            f"Morin {out['morin_leg_stiffness_n_per_m'] / 1e3:.1f}")
        r = np.asarray(fits["two_mass"].residual)
        for col, (lo, xlim) in enumerate(((0, None), (0, (-8, 62)), (n, None))):
            ax = res_ax[col]
            ax.plot(tm, r[lo:lo + n][w], ".-", ms=2, lw=0.7, color="C3")
            ax.axhline(0.0, color="0.6", lw=0.8)
            ax.set_xlabel("time from detected touchdown (ms)")
            ax.set_ylabel("model − meas. (BW)")
            if xlim:
                ax.set_xlim(*xlim)
    fig.suptitle("Fukuchi et al. 2017, subject 1 (62 kg): two-mass (lower leg) fits to the mean "
                 "stance force, impact region included\nno push; heel-pad-push: contact "
                 "≥ 40 kN/m with a push ≤ 0.5 BW", fontsize=11)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    return v


def main():
    t0 = time.perf_counter()
    with open(MASSLESS) as f:
        massless = {t["speed_m_per_s"]: t for t in json.load(f)["trials"]}
    trials = [fit_trial(*trial, massless[trial[2]]) for trial in TRIALS]
    figs = os.path.join(ROOT, "figures")
    draw(trials, os.path.join(figs, "fit_fukuchi_impact.png"))
    results = {"runner": {"mass_kg": MASS_KG, "leg_length_m": LEG_M},
               "variants": {k: {kk: list(vv) if isinstance(vv, tuple) else vv
                                for kk, vv in v.items()} for k, v in VARIANTS.items()},
               "trials": [t[0] for t in trials], "wall_s": time.perf_counter() - t0}
    with open(os.path.join(figs, "fit_fukuchi_impact_results.json"), "w") as f:
        json.dump(_jsonable(results), f, indent=1)
    for out in results["trials"]:
        print(f"{out['speed_m_per_s']} m/s: Morin k {out['morin_leg_stiffness_n_per_m'] / 1e3:.2f}"
              f" kN/m; massless + push k "
              f"{out['massless']['push']['leg_stiffness_n_per_m'] / 1e3:.2f} kN/m, RMS "
              f"{out['massless']['push']['rms_vertical_bw']:.3f} BW")
        for label in VARIANTS:
            o = out[label]
            text = ", ".join(f"{short_name(n)} {p['display'][0]:.4g} ± {p['display'][1]:.2g}"
                             f"{' (bound)' if p['at_bound'] else ''}"
                             for n, p in o["parameters"].items())
            print(f"  {label:13s} RMS {o['rms_vertical_bw']:.4f} / {o['rms_horizontal_bw']:.4f}"
                  f" BW; k/Morin {o['leg_stiffness_over_morin']:.2f}, series/Morin "
                  f"{o['series_stiffness_over_morin']:.2f}; contact "
                  f"{o['max_contact_compression_m'] * 1e3:.0f} mm; impact model "
                  f"{o['model_impact']['peak_bw']:.2f} BW at "
                  f"{o['model_impact']['peak_time_s'] * 1e3:.0f} ms, "
                  f"{o['model_impact']['average_loading_rate_bw_per_s']:.0f} BW/s; measured "
                  f"{o['measured_impact']['peak_bw']:.2f} BW at "
                  f"{o['measured_impact']['peak_time_s'] * 1e3:.0f} ms, "
                  f"{o['measured_impact']['average_loading_rate_bw_per_s']:.0f} BW/s\n"
                  f"             {text}")
        for label, ps in out["per_step"].items():
            print(f"  per step, {label}: {ps['converged']}/{ps['of']} converged, RMS median "
                  f"{ps['rms_vertical_median_bw']:.3f} BW (90 % {ps['rms_vertical_p90_bw']:.3f}), "
                  f"k {ps['leg_stiffness_mean_n_per_m'] / 1e3:.2f} ± "
                  f"{ps['leg_stiffness_sd_n_per_m'] / 1e3:.2f} kN/m (SD), Morin "
                  f"{ps['morin_mean_n_per_m'] / 1e3:.2f} ± {ps['morin_sd_n_per_m'] / 1e3:.2f}, "
                  f"r = {ps['corr_fit_morin']:.2f} ({ps['fit_seconds']:.0f} s)")
        for row in out["contact_profile"]:
            print(f"  k_p >= {row['contact_stiffness_min_n_per_m'] / 1e3:5.0f} kN/m: RMS "
                  f"{row['rms_vertical_bw']:.4f} / {row['rms_horizontal_bw']:.4f} BW, k "
                  f"{row['leg_stiffness_n_per_m'] / 1e3:.1f} kN/m "
                  f"({row['leg_stiffness_over_morin']:.2f} x Morin, series "
                  f"{row['series_stiffness_over_morin']:.2f} x), k_p "
                  f"{row['contact_stiffness_n_per_m'] / 1e3:.1f} kN/m, compression "
                  f"{row['max_contact_compression_m'] * 1e3:.0f} mm, body energy "
                  f"{row['body_energy_change_j']:+.0f} J")
    print(f"figures/fit_fukuchi_impact.png ({results['wall_s']:.0f} s)")


if __name__ == "__main__":
    main()
