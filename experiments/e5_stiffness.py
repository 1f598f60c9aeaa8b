"""Experiment 5, stiffness: what does leg stiffness do, and how stiff must the leg be on soft
ground to keep the body moving the same way?

Question: (a) how does leg stiffness set contact time, cadence, peak force and energy return?
(b) Ferris, Louie & Farley 1998 (Proc R Soc B 265:989) and Ferris, Liang & Farley 1999
(J Biomech 32:787) found that runners stiffen their legs on soft ground so that the leg and the
surface in series keep the same total stiffness and the centre of mass (COM) moves the same
way: at 3 m/s, 10.7 kN/m on a 21.3 kN/m surface vs 7.6 kN/m on a 533 kN/m one (1999), with
the COM's stance displacement (~7 cm) unchanged. Which leg stiffness does the spring-mass
model need on each surface to keep the COM drop of the hard surface?

Command (from the repository root):

    python experiments/e5_stiffness.py            # figures/e5_stiffness.png, .npz, .json
    python experiments/e5_stiffness.py --smoke    # 9 x 7 grid (temporary folder)
    simsrc figures --only e5

Config: configs/e5_stiffness.toml: leg stiffness 4-40 kN/m (log) x surface stiffness
21.3-945.7 kN/m (``[sweep]``); one stance from the same apex (0.90 m, 3 m/s), 70 kg, leg
0.95 m at 68°, surfaces returning 90 % of their elastic energy.

What the figure shows: (left) contact time against leg stiffness on three surfaces (the
cadence of a periodic gait follows from it; a single stance has none); (middle) peak vertical force and the energy return of leg + ground (returned /
stored); (right) the leg stiffness that keeps the COM drop of a 7.6 kN/m leg on 533 kN/m ground (Ferris et al.
1999's hard surface and their runners' leg stiffness on it), against surface
stiffness: the simulation, the static series-spring formula 1/k_leg = 1/k_total − 1/k_surface,
and Ferris et al. 1999's two measurements.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

# Ferris, Liang & Farley 1999 (J Biomech 32:787), 3 m/s: leg stiffness on each surface
FERRIS_1999_SURFACE_KN_PER_M = np.array([21.3, 533.0])
FERRIS_1999_LEG_KN_PER_M = np.array([10.7, 7.6])
REFERENCE_LEG_KN_PER_M = 7.6        # Ferris et al. 1999: the leg on their hard surface ...
REFERENCE_SURFACE_KN_PER_M = 533.0   # ... of 533 kN/m
KEYS = ("contact_time_s", "cadence_steps_per_min", "peak_vertical_force_bw",
        "com_drop_in_stance_m", "leg_elastic_peak_j", "leg_elastic_returned_j",
        "surface_elastic_peak_j", "surface_elastic_returned_j", "surface_peak_sink_m",
        "leg_stiffness_n_per_m", "energy_residual_j")


def compute(config, smoke: bool) -> dict:
    """One stance for every (leg stiffness, surface stiffness) of the config's grid."""
    import simsrc
    from simsrc.config.load import numerical_options

    params, state, _ = common.config_grid(config)
    run = simsrc.simulate(params, state, 1,
                          options=numerical_options(config.values, [params]))
    metrics = common.metrics_dict(params, run.records)
    ok = metrics["status"][..., 0] == 0
    out = {k: np.where(ok, metrics[k][..., 0], np.nan) for k in KEYS}
    out["leg_kn_per_m"] = common.axis_values(config, "leg_stiffness_kn_per_m")
    out["surface_kn_per_m"] = common.axis_values(config, "surface_stiffness_kn_per_m")
    return out


def energy_return(data) -> np.ndarray:
    """(leg + surface elastic returned) / (leg + surface elastic stored)."""
    return ((data["leg_elastic_returned_j"] + data["surface_elastic_returned_j"])
            / (data["leg_elastic_peak_j"] + data["surface_elastic_peak_j"]))


def matched_leg_stiffness(data, reference_leg_kn_per_m=REFERENCE_LEG_KN_PER_M):
    """Per surface, the leg stiffness (kN/m) whose COM drop equals that of a
    ``reference_leg_kn_per_m`` leg on the surface nearest ``REFERENCE_SURFACE_KN_PER_M``
    (log-linear interpolation), and that reference drop (m)."""
    legs = np.log(data["leg_kn_per_m"])
    hard = _reference_surface(data)
    target = np.interp(np.log(reference_leg_kn_per_m), legs, data["com_drop_in_stance_m"][:, hard])
    matched = []
    for j in range(len(data["surface_kn_per_m"])):
        drop = data["com_drop_in_stance_m"][:, j]
        ok = np.isfinite(drop)
        order = np.argsort(drop[ok])          # drop falls as the leg stiffens
        inside = drop[ok].min() <= target <= drop[ok].max()
        matched.append(np.exp(np.interp(target, drop[ok][order], legs[ok][order]))
                       if inside else np.nan)
    return np.array(matched), float(target)


def _reference_surface(data) -> int:
    return int(np.argmin(np.abs(data["surface_kn_per_m"] - REFERENCE_SURFACE_KN_PER_M)))


def series_leg_stiffness(surface_kn_per_m, reference_leg_kn_per_m, hard_surface_kn_per_m):
    """Static series springs: the leg that keeps k_total = (1/k_leg + 1/k_s)^-1 constant."""
    total = 1.0 / (1.0 / reference_leg_kn_per_m + 1.0 / hard_surface_kn_per_m)
    inv = 1.0 / total - 1.0 / np.asarray(surface_kn_per_m)
    return np.where(inv > 0, 1.0 / np.where(inv > 0, inv, 1.0), np.nan)


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, (tc, fp, fe) = plt.subplots(1, 3, figsize=(17, 5.8), constrained_layout=True)
    surfaces = data["surface_kn_per_m"]
    picks = sorted({0, len(surfaces) // 2, len(surfaces) - 1})
    colors = plt.cm.copper(np.linspace(0.1, 0.8, len(picks)))
    k = data["leg_kn_per_m"]
    ret = energy_return(data)
    for c, j in zip(colors, picks):
        label = f"surface {surfaces[j]:g} kN/m"
        tc.plot(k, 1e3 * data["contact_time_s"][:, j], "-", color=c, label=label)
        fp.plot(k, data["peak_vertical_force_bw"][:, j], "-", color=c, label=label)
    tc.set_xscale("log")
    tc.set_xlabel("leg stiffness (kN/m)")
    tc.set_ylabel("contact time (ms)")
    tc.set_title("Stiffer legs: shorter contacts")
    tc.legend()
    fp.set_xscale("log")
    fp.set_xlabel("leg stiffness (kN/m)")
    fp.set_ylabel("peak vertical force (body weights)")
    fp.set_title("Peak force and energy return")
    er = fp.twinx()
    for c, j in zip(colors, picks):
        er.plot(k, 100 * ret[:, j], "--", color=c, lw=1.5)
    er.set_ylabel("energy returned by leg + ground (%, dashed)")
    er.grid(False)
    fp.legend(loc="lower right")
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter
    for ax in (tc, fp):
        ax.xaxis.set_major_locator(FixedLocator([4, 6, 10, 20, 40]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(ScalarFormatter())

    matched, drop = matched_leg_stiffness(data)
    fe.plot(surfaces, matched, "o-", color="C0", label="simulation: same COM drop")
    fine = np.geomspace(surfaces.min(), surfaces.max(), 200)
    fe.plot(fine, series_leg_stiffness(fine, REFERENCE_LEG_KN_PER_M,
                                           surfaces[_reference_surface(data)]), "--",
            color="0.4", label="series springs, same total stiffness")
    fe.plot(FERRIS_1999_SURFACE_KN_PER_M, FERRIS_1999_LEG_KN_PER_M, "s", color="C3", ms=10,
            label="measured, Ferris et al. 1999")
    fe.set_xscale("log")
    fe.set_xlabel("surface stiffness (kN/m)")
    fe.set_ylabel("leg stiffness needed (kN/m)")
    fe.set_title(f"Same COM drop ({100 * drop:.1f} cm) on every surface")
    fe.legend()
    fig.suptitle("Leg stiffness and surface stiffness: one stance at 3 m/s "
                 "(70 kg, leg 0.95 m at 68°, surfaces return 90 %)")
    figure_style.save(fig, path)


def claim(data) -> str:
    matched, drop = matched_leg_stiffness(data)
    soft = int(np.argmin(data["surface_kn_per_m"]))
    hard = _reference_surface(data)
    ferris = np.interp(np.log(data["surface_kn_per_m"][soft]),
                       np.log(FERRIS_1999_SURFACE_KN_PER_M), FERRIS_1999_LEG_KN_PER_M)
    return (f"To keep the {100 * drop:.1f} cm COM drop of a {REFERENCE_LEG_KN_PER_M:g} kN/m leg on "
            f"{data['surface_kn_per_m'][hard]:g} kN/m ground, the model needs a "
            f"{matched[soft]:.1f} kN/m leg on {data['surface_kn_per_m'][soft]:g} kN/m ground "
            f"({common.ratio_text(REFERENCE_LEG_KN_PER_M, matched[soft])}), where Ferris et al. "
            f"1999's runners used {ferris:.1f} kN/m "
            f"({common.ratio_text(REFERENCE_LEG_KN_PER_M, ferris)}).")


EXPERIMENT = common.Experiment(
    name="e5_stiffness",
    question="What does leg stiffness do, and how much stiffer must the leg be on soft ground "
             "to keep the same COM motion (Ferris et al. 1998, 1999)?",
    config="configs/e5_stiffness.toml",
    shows="contact time, cadence, peak force and energy return against leg stiffness; the leg "
          "stiffness that keeps the COM drop on every surface vs series springs and Ferris et "
          "al. 1999",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__),
    smoke_axis_points=9)   # one batched stance: cheap, and the matching needs a finer leg axis


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
