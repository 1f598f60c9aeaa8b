"""Steady gaits per second: a grid of runners, each solved for its steady gait at a held speed.

Run on purpose (not a test):

    python benchmarks/bench_steady.py                         # 10^4 points (100 x 100)
    python benchmarks/bench_steady.py --n 20 --out results_steady.json
    python benchmarks/bench_steady.py --exact                 # compile of the exact kernel

The workload is what a steady sweep runs (``simsrc.gait.steady.solve_held_speed``): the
human runner of configs/human.toml (70 kg, 0.95 m leg, damping ratio 0.1) on rigid ground, a
grid of leg stiffness (8-30 kN/m) x slope (-10..+10 deg), each point holding 3.5 m/s and an
apex height of 0.92 m with its foot placement (the landing angle) and its push, or where it
gains energy without one, its braking (leg damping). Every point is a Newton solve with
finite-difference Jacobians through the one-step ``simulate`` program. The numbers: the wall
time in a fresh process with the compile cache off (compile included), how many points have a
steady gait, and the peak RSS. ``--exact`` instead times the trace, lowering and compile of
the exact ``jacfwd`` steady kernel for the built-in runner (firm ground, no push), the cost
the finite differences avoid.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time

os.environ.setdefault("SIMSRC_NO_COMPILE_CACHE", "1")


def grid(n: int):
    import numpy as np

    import simsrc
    from simsrc.engine.params import leg_damping_from_ratio

    k, slope = np.meshgrid(np.linspace(8e3, 30e3, n), np.linspace(-10.0, 10.0, n),
                           indexing="ij")
    k, slope = k.ravel(), slope.ravel()
    p = simsrc.make_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=k,
                           surface="rigid", angle_of_attack_deg=66.86, push_force_bw=0.85,
                           leg_damping_n_s_per_m=leg_damping_from_ratio(0.1, k, 70.0),
                           slope_deg=slope)
    return p, simsrc.apex(np.full(k.shape, 0.92), np.full(k.shape, 3.5))


def steady(n: int) -> dict:
    import numpy as np

    from simsrc.gait.steady import solve_held_speed

    p, guess = grid(n)
    t0 = time.perf_counter()
    push, braking, use_braking = solve_held_speed(p, guess, 3.5)
    wall = time.perf_counter() - t0
    ok = np.asarray(push.converged) | np.asarray(use_braking)
    return dict(points=int(ok.size), steady=int(ok.sum()), braking=int(np.sum(use_braking)),
                wall_s=wall, points_per_s=ok.size / wall,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def exact() -> dict:
    import jax
    import jax.numpy as jnp

    import simsrc
    from simsrc.engine.params import as_arrays
    from simsrc.engine.simulate import default_options
    from simsrc.gait.steady import steady_kernel

    p = simsrc.make_params()
    opts = default_options(p)
    pb = jax.tree_util.tree_map(lambda v: jnp.full((8,), v, float), as_arrays(p))
    y, vx = jnp.full((8,), 0.89), jnp.full((8,), 3.5)
    f = jax.jit(jax.vmap(lambda q, yy, vv: steady_kernel(
        q, yy, vv, q.angle_of_attack_rad, q.push_force_bw, q.leg_damping_n_s_per_m,
        q.leg_stiffness_n_per_m, opts)))
    t0 = time.perf_counter()
    lowered = f.trace(pb, y, vx).lower()
    t1 = time.perf_counter()
    lowered.compile()
    t2 = time.perf_counter()
    return dict(trace_lower_s=t1 - t0, compile_s=t2 - t1,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="grid points per axis (n x n)")
    ap.add_argument("--exact", action="store_true", help="time the exact kernel's compile")
    ap.add_argument("--out", help="also write the result as JSON")
    args = ap.parse_args()
    r = exact() if args.exact else steady(args.n)
    r["load_1min"] = os.getloadavg()[0]
    print(json.dumps(r, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
