"""Gait benchmarks: periodic-gait solves per second, the stability map, the swinging leg.

    python benchmarks/bench_gaits.py                 # all three (--out FILE: also as JSON)
    python benchmarks/bench_gaits.py --n 10000 --steps 20

1. ``find_gait_1d`` (conservative apex map, scan + safeguarded Newton on the exact autodiff
   derivative, Floquet multiplier) batched over ``--n`` parameter sets of the canonical case
   (k 5-80 kN/m x α 60-80°): first call (compile included) and a second, warm call.
2. ``solve_push_fd`` (push and angle of a periodic gait through a given apex, forward
   differences; works on every surface model) batched over ``--n`` human runners with leg
   damping on rigid ground.
3. The pendulum landing mode (two legs, swing leg integrated through stance and flights):
   steps per second of ``simulate`` batched over ``--n`` runners for ``--steps`` steps, against
   the fixed landing angle on the same batch.
Wall times include the host-side Newton bookkeeping. Run on purpose; machines are noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import simsrc
from simsrc.gait import find_gait_1d, solve_push_fd, specific_energy_j_per_kg


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="batch size")
    ap.add_argument("--steps", type=int, default=20, help="steps per run (pendulum benchmark)")
    ap.add_argument("--out", default=None,
                    help="also write the results as JSON (benchmarks/results_gaits.json holds the "
                    "reported run)")
    args = ap.parse_args()
    n = args.n
    side = int(round(np.sqrt(n)))
    res = {"n": side * side, "jax_devices": len(__import__("jax").devices())}

    # 1. conservative gaits with multipliers (the stability map's workload)
    k, a = np.meshgrid(np.linspace(5e3, 80e3, side), np.linspace(60.0, 80.0, side),
                       indexing="ij")
    p = simsrc.canonical_params(leg_stiffness_n_per_m=k, angle_of_attack_deg=a)
    energy = specific_energy_j_per_kg(simsrc.canonical_params(), 1.0, 5.0)
    g, t_cold = timed(lambda: find_gait_1d(p, energy))
    _, t_warm = timed(lambda: find_gait_1d(p, energy))
    res["find_gait_1d"] = dict(first_call_s=t_cold, warm_s=t_warm,
                               gaits_per_s_warm=side * side / t_warm,
                               found=int(np.sum(g.converged)), stable=int(np.sum(g.stable)))
    print(f"find_gait_1d   {side * side} gaits: first call {t_cold:.1f} s, warm {t_warm:.2f} s "
          f"({side * side / t_warm:,.0f} gaits/s); {int(np.sum(g.stable))} stable")

    # 2. push and angle through an apex, forward-only (human runner with leg damping)
    kk = np.linspace(9e3, 14e3, side * side)
    ph = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=kk,
                                 leg_damping_ratio=0.1, angle_of_attack_deg=66.9)
    sol, t_cold = timed(lambda: solve_push_fd(ph, 3.5, hold="height", height_m=0.89,
                                              push_guess_bw=0.85))
    _, t_warm = timed(lambda: solve_push_fd(ph, 3.5, hold="height", height_m=0.89,
                                            push_guess_bw=0.85))
    res["solve_push_fd"] = dict(first_call_s=t_cold, warm_s=t_warm,
                                solves_per_s_warm=kk.size / t_warm,
                                converged=int(np.sum(sol.converged)),
                                mean_iterations=float(np.mean(sol.iterations)))
    print(f"solve_push_fd  {kk.size} gaits: first call {t_cold:.1f} s, warm {t_warm:.2f} s "
          f"({kk.size / t_warm:,.0f} solves/s); {int(np.sum(sol.converged))} converged")

    # 3. pendulum vs fixed landing, steps per second
    pp = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95,
                                 leg_stiffness_n_per_m=np.linspace(10e3, 12e3, side * side),
                                 angle_of_attack_deg=64.5)
    s = simsrc.apex(0.93, 3.5)
    res["landing"] = {}
    for mode in ("fixed", "pendulum"):
        def go():
            out = simsrc.simulate(pp, s, args.steps, landing=mode)
            out.records.status.block_until_ready()
            return out
        _, t_cold = timed(go)
        out, t_warm = timed(go)
        rate = pp.leg_stiffness_n_per_m.size * args.steps / t_warm
        ok = int(np.sum(np.asarray(out.records.status) == 0))
        res["landing"][mode] = dict(first_call_s=t_cold, warm_s=t_warm, steps_per_s_warm=rate,
                                    steps_ok=ok)
        print(f"{mode:9s} landing: {args.steps} steps x {pp.leg_stiffness_n_per_m.size}: first "
              f"call {t_cold:.1f} s, warm {t_warm:.2f} s ({rate:,.0f} steps/s); {ok} steps ok")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
