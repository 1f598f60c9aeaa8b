"""Where in (leg stiffness, angle of attack) does the spring-mass runner run stably by itself?

Question: for the canonical runner of Seyfarth et al. 2002 (J Biomech 35:649) — m = 80 kg,
L0 = 1 m, rigid level ground, no losses, system energy of 5 m/s at 1 m apex — which
combinations of leg stiffness k (5-80 kN/m) and angle of attack α (60-80°) have a periodic
gait, and is it stable (self-stabilising, no control)?

Command (from the repository root):

    python experiments/stability_map.py            # 100 x 100 grid -> figures/stability_map.png
    python experiments/stability_map.py --smoke    # 6 x 5 grid, a quick check of the pipeline

Wall time on a 2-core CPU: about 12 s cold (``SIMSRC_NO_COMPILE_CACHE=1``; ~7 s of it compiling
the step and its derivative once, ~3 s running 42 batched steps of 10^4 gaits), about 5 s once
simsrc's persistent compilation cache holds the kernel; up to ~23 s when other jobs share the
cores.

What the figure shows: each cell is one parameter set; its conservative apex map
y -> P(y) at fixed energy (``simsrc.gait.find_gait_1d``, all 10^4 sets in one vmapped batch)
has a fixed point found by a scan and safeguarded Newton on the exact autodiff derivative.
The colour is the Floquet multiplier's modulus |λ| = |dP/dy| of that fixed point (the other
multiplier of the 2-D apex map is 1, the neutral energy direction); |λ| < 1 is stable and is
outlined by the black |λ| = 1 contour. Grey: no periodic gait (no fixed point, or every step
fails). The white dot is the canonical case (k = 20 kN/m, α = 68°).

What it finds: stable running only in a narrow curved band, from k ≈ 12 kN/m at α = 60° to
k ≈ 60-80 kN/m at α = 78° (at 68°: 19-23 kN/m, the canonical gait has |λ| ≈ 0.16): stiffer legs
need steeper angles, as in Seyfarth et al. 2002. On the band's stiff side no periodic gait
exists (the two fixed points have merged and vanished, λ → +1 at the edge); on its soft side the
gait loses stability by period doubling (λ < −1), and far from the band only a high-apex saddle
(λ > 1) is left. Along the band's most stable line the peak leg force stays at 2.7-2.9 body
weights while k varies five-fold: Seyfarth et al.'s "almost constant maximum leg force". The
few grey specks in the unstable region are cells whose fixed point lies within one scan
interval of the edge where the body no longer passes over the foot (apex > 1.9 m).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import simsrc  # noqa: E402
from simsrc.gait import find_gait_1d, specific_energy_j_per_kg  # noqa: E402


def compute(n_k: int, n_alpha: int):
    """The grid and its gaits: (k in kN/m (n_k,), α in deg (n_alpha,), Gait1D (n_k, n_alpha))."""
    k_kn = np.linspace(5.0, 80.0, n_k)
    alpha_deg = np.linspace(60.0, 80.0, n_alpha)
    kk, aa = np.meshgrid(k_kn * 1e3, alpha_deg, indexing="ij")
    params = simsrc.canonical_params(leg_stiffness_n_per_m=kk, angle_of_attack_deg=aa)
    energy = specific_energy_j_per_kg(simsrc.canonical_params(), 1.0, 5.0)
    gaits = find_gait_1d(params, energy)
    return k_kn, alpha_deg, gaits


def plot(k_kn, alpha_deg, gaits, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    lam = np.abs(np.asarray(gaits.multiplier))
    ok = np.asarray(gaits.converged) & np.isfinite(lam)
    shown = np.where(ok, np.minimum(lam, 2.0), np.nan)
    cmap = LinearSegmentedColormap.from_list(
        "stab", [(0.0, "#1a9850"), (0.5, "#fee08b"), (0.5001, "#fdae61"), (1.0, "#a50026")])
    cmap.set_bad("#bdbdbd")
    fig, ax = plt.subplots(figsize=(7.0, 5.2), constrained_layout=True)
    mesh = ax.pcolormesh(k_kn, alpha_deg, shown.T, cmap=cmap, vmin=0.0, vmax=2.0,
                         shading="nearest")
    if np.any(ok):
        ax.contour(k_kn, alpha_deg, np.where(ok, lam, 3.0).T, levels=[1.0], colors="k",
                   linewidths=0.8)
    ax.plot([20.0], [68.0], "o", mfc="white", mec="k", ms=6, label="canonical (20 kN/m, 68°)")
    bar = fig.colorbar(mesh, ax=ax, extend="max")
    bar.set_label("largest Floquet multiplier |λ| (< 1 stable)")
    ax.set_xlabel("leg stiffness k (kN/m)")
    ax.set_ylabel("angle of attack α (deg)")
    ax.set_title("Self-stable running of the spring-mass model\n"
                 "m = 80 kg, L0 = 1 m, energy of 5 m/s at 1 m apex; grey: no periodic gait",
                 fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def describe(k_kn, alpha_deg, gaits):
    lam = np.abs(np.asarray(gaits.multiplier))
    stable = np.asarray(gaits.stable)
    found = np.asarray(gaits.converged)
    print(f"gaits found: {found.sum()} of {found.size}; stable: {stable.sum()}")
    columns = sorted({int(np.argmin(np.abs(alpha_deg - a))) for a in range(62, 80, 2)})
    for j in columns:
        ks = k_kn[stable[:, j]]
        band = f"{ks.min():5.1f}-{ks.max():5.1f} kN/m" if ks.size else "none"
        print(f"  alpha = {alpha_deg[j]:5.2f} deg: stable for k in {band}")
    i = int(np.argmin(np.abs(k_kn - 20.0)))
    j = int(np.argmin(np.abs(alpha_deg - 68.0)))
    print(f"  at k = {k_kn[i]:.1f} kN/m, alpha = {alpha_deg[j]:.2f} deg: "
          f"|lambda| = {lam[i, j]:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="a 6 x 5 grid; the figure goes to the temporary directory")
    parser.add_argument("--out", default=os.path.join(ROOT, "figures", "stability_map.png"))
    args = parser.parse_args(argv)
    n_k, n_alpha = (6, 5) if args.smoke else (100, 100)
    t0 = time.perf_counter()
    k_kn, alpha_deg, gaits = compute(n_k, n_alpha)
    np.asarray(gaits.multiplier)
    t1 = time.perf_counter()
    print(f"{n_k * n_alpha} gaits in {t1 - t0:.1f} s (including compilation)")
    describe(k_kn, alpha_deg, gaits)
    out = args.out if not args.smoke else os.path.join(tempfile.gettempdir(),
                                                       "stability_map_smoke.png")
    plot(k_kn, alpha_deg, gaits, out)
    print(f"figure: {out}  (total {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
