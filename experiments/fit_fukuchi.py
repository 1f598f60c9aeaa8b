"""How well does the spring-mass model reproduce a runner's measured ground force, and what
leg stiffness does a fit by gradients give compared with the Morin et al. (2005) estimate?

Question: Fukuchi et al. (2017) subject 1 (62.0 kg, 1.81 m) ran on an instrumented treadmill
at 2.5 m/s (text file) and 3.5 m/s (C3D file). Fit the model (rigid ground) to the mean
stance curve of each trial, vertical and horizontal force together, with (k, α, push, apex
drop) and without the push (k, α, apex drop); fit every step's own curve too (batched) for the
step-to-step spread; compare the fitted k with the Morin sine-wave estimate from the same
steps' contact and flight times.

Command (from the repository root):

    python experiments/fit_fukuchi.py          # -> figures/fit_fukuchi.png,
                                               #    figures/fit_fukuchi_stiffness.png,
                                               #    figures/fit_fukuchi_results.json

Wall time on the 2-core CPU (idle, 2026-12-03): 90 s with empty compile caches (tracing and
compiling the curve model with its derivative for each batch shape), 15 s warm (the programs
read back from simsrc's stored programs).

What the figures show: fit_fukuchi.png, one row per speed: measured mean vertical and
horizontal force (dots, body weights, time from touchdown) with the fitted model with push
(red) and without (dashed blue), and the residual panels of the push model beneath, with the
RMS errors in body weights in the titles. fit_fukuchi_stiffness.png: each step's fitted leg
stiffness against its Morin estimate, both speeds, with the mean-curve fits marked (stars:
with push; circles: without).
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from simsrc.measured.contacts import detect_steps, mean_stance_curve  # noqa: E402
from simsrc.measured.datasets import data_path  # noqa: E402
from simsrc.fit.force import (curve_rms_bw, fit_force_curve, fitted_stance,  # noqa: E402
                              force_curve_from_stance, force_curves_per_step)
from simsrc.fit.guess import leg_length_from_height_m, morin_leg_stiffness_n_per_m  # noqa: E402
from simsrc.fit.report import display, short_name  # noqa: E402
from simsrc.viz.fit_plots import _pyplot  # noqa: E402
from simsrc.measured.forceplate import read_force_c3d, read_force_text  # noqa: E402
from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2  # noqa: E402

MASS_KG = 62.0                                   # RBDSinfo.txt, subject 1
LEG_M = float(leg_length_from_height_m(1.81))    # 0.53 × 1.81 m
TRIALS = (("fukuchi2017/RBDS001runT25forces.txt", read_force_text, 2.5),
          ("fukuchi2017/RBDS001runT35.c3d", read_force_c3d, 3.5))
PUSH = ("leg_stiffness", "angle_of_attack", "push_force", "apex_drop")
NO_PUSH = ("leg_stiffness", "angle_of_attack", "apex_drop")


def _params(result) -> dict:
    return {n: {"value": float(v), "stderr": float(s), "display": display(n, v, s)}
            for n, v, s in zip(result.names, np.asarray(result.value),
                               np.asarray(result.stderr))}


def fit_trial(name, reader, speed):
    rec = reader(data_path(name))
    steps = detect_steps(rec)
    weight = MASS_KG * STANDARD_GRAVITY_M_PER_S2
    curve = force_curve_from_stance(mean_stance_curve(rec, steps), body_weight_n=weight,
                                    speed_m_per_s=speed,
                                    flight_time_s=float(steps.flight_time_s.mean()))
    kw = dict(mass_kg=MASS_KG, leg_length_m=LEG_M)
    push = fit_force_curve(curve, free=PUSH, **kw)
    plain = fit_force_curve(curve, free=NO_PUSH, **kw)
    t0 = time.perf_counter()
    per = fit_force_curve(force_curves_per_step(rec, steps, body_weight_n=weight,
                                                speed_m_per_s=speed), free=PUSH, **kw)
    per_s = time.perf_counter() - t0
    tc, tf = steps.contact_time_s, steps.flight_time_s
    morin_steps = morin_leg_stiffness_n_per_m(MASS_KG, LEG_M, speed, tc, tf)
    morin_mean = float(morin_leg_stiffness_n_per_m(MASS_KG, LEG_M, speed, tc.mean(), tf.mean()))
    out = {"file": name, "speed_m_per_s": speed, "n_steps": steps.n_steps,
           "contact_time_s": float(tc.mean()), "flight_time_s": float(tf.mean()),
           "morin_leg_stiffness_n_per_m": morin_mean}
    for label, res in (("push", push), ("no_push", plain)):
        rv, rh = curve_rms_bw(res, curve)
        model = fitted_stance(res, mass_kg=MASS_KG, leg_length_m=LEG_M, speed_m_per_s=speed)
        out[label] = {"parameters": _params(res), "rms_vertical_bw": float(rv),
                      "rms_horizontal_bw": float(rh), "status": int(res.status),
                      "model_contact_time_s": float(np.asarray(model[3].contact_time_s)),
                      "correlation": np.asarray(res.correlation).round(3).tolist()}
    ok = np.asarray(per.converged)
    k_steps = per.value[:, per.names.index("leg_stiffness_n_per_m")]
    out["per_step"] = {"converged": int(ok.sum()), "of": int(ok.size),
                       "fit_seconds_warm_or_cold": per_s,
                       "leg_stiffness_mean_n_per_m": float(k_steps[ok].mean()),
                       "leg_stiffness_sd_n_per_m": float(k_steps[ok].std(ddof=1)),
                       "morin_mean_n_per_m": float(morin_steps.mean()),
                       "morin_sd_n_per_m": float(morin_steps.std(ddof=1)),
                       "corr_fit_morin": float(np.corrcoef(k_steps[ok], morin_steps[ok])[0, 1])}
    return out, curve, push, plain, k_steps, morin_steps, ok


def draw(trials, path_curves, path_stiffness):
    plt = _pyplot()
    fig, axes = plt.subplots(4, 2, figsize=(11, 11), sharex="row", constrained_layout=True,
                             gridspec_kw={"height_ratios": [3, 1.2, 3, 1.2]})
    for row, (out, curve, push, plain, *_rest) in enumerate(trials):
        top, res_ax = axes[2 * row], axes[2 * row + 1]
        w = curve.weight > 0
        n = curve.weight.size
        for col, (meas, key) in enumerate(((curve.vertical_bw, 1), (curve.horizontal_bw, 2))):
            ax = top[col]
            ax.plot(curve.time_s[w] * 1e3, meas[w], ".", color="k", ms=3, label="measured mean")
            for res, style, label in ((push, "-", "with push"), (plain, "--", "no push")):
                m = fitted_stance(res, mass_kg=MASS_KG, leg_length_m=LEG_M,
                                  speed_m_per_s=out["speed_m_per_s"])
                ax.plot(m[0] * 1e3, m[key], style, color="C3" if style == "-" else "C0",
                        lw=1.6, label=label)
            r = np.asarray(push.residual)[col * n:(col + 1) * n][w]
            res_ax[col].plot(curve.time_s[w] * 1e3, r, ".-", ms=2, lw=0.7, color="C3")
            res_ax[col].axhline(0.0, color="0.6", lw=0.8)
            res_ax[col].set_ylabel("model − meas. (BW)")
            res_ax[col].set_xlabel("time from touchdown (ms)")
            rms_p = out["push"]["rms_vertical_bw" if col == 0 else "rms_horizontal_bw"]
            rms_n = out["no_push"]["rms_vertical_bw" if col == 0 else "rms_horizontal_bw"]
            ax.set_title(f"{out['speed_m_per_s']} m/s, {'vertical' if col == 0 else 'horizontal'}"
                         f": RMS {rms_p:.3f} BW with push, {rms_n:.3f} without", fontsize=9)
            ax.set_ylabel("force (body weights)")
            ax.axhline(0.0, color="0.85", lw=0.8)
        k = out["push"]["parameters"]["leg_stiffness_n_per_m"]["display"]
        k0 = out["no_push"]["parameters"]["leg_stiffness_n_per_m"]["display"]
        top[0].legend(fontsize=8, loc="lower center",
                      title=f"k {k[0]:.1f}±{k[1]:.1f} (push), {k0[0]:.1f}±{k0[1]:.1f} kN/m; "
                            f"Morin {out['morin_leg_stiffness_n_per_m'] / 1e3:.1f}",
                      title_fontsize=8)
    fig.suptitle("Fukuchi et al. 2017, subject 1 (62 kg): spring-mass fits to the mean stance "
                 "force (rigid ground)", fontsize=11)
    fig.savefig(path_curves, dpi=130)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 5.5), constrained_layout=True)
    for (out, curve, push, plain, k_steps, morin_steps, ok), color in zip(trials, ("C0", "C3")):
        ax.plot(morin_steps[ok] / 1e3, k_steps[ok] / 1e3, ".", color=color, ms=5, alpha=0.7,
                label=f"{out['speed_m_per_s']} m/s, each step (push model)")
        k = out["push"]["parameters"]["leg_stiffness_n_per_m"]
        ax.errorbar(out["morin_leg_stiffness_n_per_m"] / 1e3, k["value"] / 1e3,
                    yerr=k["stderr"] / 1e3, fmt="*", color=color, ms=14, mec="k",
                    label=f"{out['speed_m_per_s']} m/s, mean curve ± 1 s.e.")
        k0 = out["no_push"]["parameters"]["leg_stiffness_n_per_m"]
        ax.errorbar(out["morin_leg_stiffness_n_per_m"] / 1e3, k0["value"] / 1e3,
                    yerr=k0["stderr"] / 1e3, fmt="o", color=color, ms=9, mfc="none",
                    label=f"{out['speed_m_per_s']} m/s, mean curve, no push")
    lims = np.array(ax.get_xlim() + ax.get_ylim())
    lo, hi = lims.min(), lims.max()
    ax.plot([lo, hi], [lo, hi], "--", color="0.5", lw=0.8, label="equal")
    ax.set_xlabel("Morin et al. 2005 leg stiffness (kN/m)")
    ax.set_ylabel("fitted leg stiffness (kN/m)")
    ax.legend(fontsize=8)
    ax.set_title("fitted k vs the sine-wave estimate, same steps", fontsize=10)
    fig.savefig(path_stiffness, dpi=130)
    plt.close(fig)


def main():
    t0 = time.perf_counter()
    trials = [fit_trial(*trial) for trial in TRIALS]
    figs = os.path.join(ROOT, "figures")
    draw(trials, os.path.join(figs, "fit_fukuchi.png"),
         os.path.join(figs, "fit_fukuchi_stiffness.png"))
    results = {"runner": {"mass_kg": MASS_KG, "leg_length_m": LEG_M},
               "trials": [t[0] for t in trials],
               "wall_s": time.perf_counter() - t0}
    with open(os.path.join(figs, "fit_fukuchi_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    for out in results["trials"]:
        print(f"{out['speed_m_per_s']} m/s ({out['n_steps']} steps): Morin k "
              f"{out['morin_leg_stiffness_n_per_m'] / 1e3:.2f} kN/m")
        for label in ("push", "no_push"):
            o = out[label]
            text = ", ".join(f"{short_name(n)} {p['display'][0]:.4g} ± {p['display'][1]:.2g} "
                             f"{p['display'][2]}" for n, p in o["parameters"].items())
            print(f"  {label:8s} {text}; RMS {o['rms_vertical_bw']:.3f} / "
                  f"{o['rms_horizontal_bw']:.3f} BW; model t_c {o['model_contact_time_s']:.3f} s")
        ps = out["per_step"]
        print(f"  per step: {ps['converged']}/{ps['of']} converged, k "
              f"{ps['leg_stiffness_mean_n_per_m'] / 1e3:.2f} ± "
              f"{ps['leg_stiffness_sd_n_per_m'] / 1e3:.2f} kN/m (SD), Morin "
              f"{ps['morin_mean_n_per_m'] / 1e3:.2f} ± {ps['morin_sd_n_per_m'] / 1e3:.2f}, "
              f"r = {ps['corr_fit_morin']:.2f}")
    print(f"figures/fit_fukuchi.png, figures/fit_fukuchi_stiffness.png "
          f"({results['wall_s']:.0f} s)")


if __name__ == "__main__":
    main()
