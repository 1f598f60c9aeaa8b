"""Experiment 8, stability: where does the canonical spring-mass runner run stably by itself?

Question: for the canonical runner of Seyfarth et al. 2002 (J Biomech 35:649): m = 80 kg,
L0 = 1 m, rigid level ground, no losses, the energy of 5 m/s at 1 m apex: which leg stiffness
and angle of attack give a periodic gait, and is it stable (self-stabilising, no control)?

Command (from the repository root):

    python experiments/e8_stability.py            # figures/e8_stability.png, .npz, .json
    python experiments/e8_stability.py --smoke    # 3 x 3 grid (temporary folder)
    simsrc figures --only e8

Config: configs/e8_stability.toml: k 5-80 kN/m x α 60-80° (``[sweep]``, 100 x 100). The same
computation as experiments/stability_map.py (which it wraps into the experiment pattern): the
1-D apex map at fixed energy (``simsrc.gait.find_gait_1d``, all gaits in one vmapped batch),
a scan and safeguarded Newton on the exact autodiff derivative.

What the figure shows: the modulus of the Floquet multiplier |λ| = |dP/dy| of each gait
(< 1 stable, outlined by the black |λ| = 1 contour; grey: no periodic gait); the white dot is
the canonical case (20 kN/m, 68°).
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

CANONICAL = (20.0, 68.0)   # Seyfarth et al. 2002: k (kN/m), α (deg)


def compute(config, smoke: bool) -> dict:
    """Conservative gaits and their multipliers over the config's (k, α) grid."""
    from simsrc.gait import find_gait_1d, specific_energy_j_per_kg

    params, state, _ = common.config_grid(config)
    energy = specific_energy_j_per_kg(params, state.y_m, state.vx_m_per_s)
    gaits = find_gait_1d(params, np.asarray(energy))
    return {"leg_kn_per_m": common.axis_values(config, "leg_stiffness_kn_per_m"),
            "angle_of_attack_deg": common.axis_values(config, "angle_of_attack_deg"),
            "multiplier": np.asarray(gaits.multiplier),
            "converged": np.asarray(gaits.converged),
            "stable": np.asarray(gaits.stable),
            "apex_height_m": np.asarray(gaits.apex_height_m)}


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    from matplotlib.colors import LinearSegmentedColormap

    k, alpha = data["leg_kn_per_m"], data["angle_of_attack_deg"]
    lam = np.abs(data["multiplier"])
    ok = data["converged"] & np.isfinite(lam)
    cmap = LinearSegmentedColormap.from_list(
        "stab", [(0.0, "#1a9850"), (0.5, "#fee08b"), (0.5001, "#fdae61"), (1.0, "#a50026")]
    ).with_extremes(bad="#bdbdbd")
    fig, ax = plt.subplots(figsize=(8.5, 6.4), constrained_layout=True)
    mesh = ax.pcolormesh(k, alpha, np.where(ok, np.minimum(lam, 2.0), np.nan).T, cmap=cmap,
                         vmin=0.0, vmax=2.0, shading="nearest")
    if np.any(ok) and min(len(k), len(alpha)) > 1:
        ax.contour(k, alpha, np.where(ok, lam, 3.0).T, levels=[1.0], colors="k",
                   linewidths=1.0)
    ax.plot(*CANONICAL, "o", mfc="white", mec="k", ms=8, label="canonical (20 kN/m, 68°)")
    bar = fig.colorbar(mesh, ax=ax, extend="max")
    bar.set_label("Floquet multiplier |λ| (< 1: stable)")
    ax.set_xlabel("leg stiffness k (kN/m)")
    ax.set_ylabel("angle of attack α (deg)")
    ax.set_title("Self-stable running of the spring-mass model\n"
                 "80 kg, L0 = 1 m, energy of 5 m/s at 1 m apex; grey: no periodic gait")
    ax.legend(loc="lower right")
    figure_style.save(fig, path)


def claim(data) -> str:
    k, alpha = data["leg_kn_per_m"], data["angle_of_attack_deg"]
    stable = data["stable"]
    j = int(np.argmin(np.abs(alpha - CANONICAL[1])))
    ks = k[stable[:, j]]
    band = f"{ks.min():.0f}-{ks.max():.0f} kN/m" if ks.size else "no stiffness of the grid"
    i = int(np.argmin(np.abs(k - CANONICAL[0])))
    lam = abs(float(data["multiplier"][i, j]))
    return (f"Only {100 * stable.mean():.0f} % of the (k, α) grid runs stably without control: "
            f"at α = {alpha[j]:.1f}° only {band} is stable, and the canonical gait "
            f"(k = {k[i]:.1f} kN/m) has |λ| = {lam:.2f}.")


EXPERIMENT = common.Experiment(
    name="e8_stability",
    question="Where in (leg stiffness, angle of attack) does the canonical spring-mass runner "
             "run stably by itself?",
    config="configs/e8_stability.toml",
    shows="the Floquet multiplier of the periodic gait over leg stiffness x angle of attack "
          "(Seyfarth et al. 2002's case)",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
