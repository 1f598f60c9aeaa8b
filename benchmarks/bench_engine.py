"""Engine benchmark: strides per second through ``simsrc.simulate``, as users call it.

Run on purpose (not a test):

    python benchmarks/bench_engine.py                 # sizes 10^3, 10^4, 10^5; 1 and 2 devices
    python benchmarks/bench_engine.py --sizes 1000 10000 --devices 1

Cases (issue 2): (a) the canonical SLIP (m 80 kg, L0 1 m, k 20 kN/m, α 68°, apex 1 m at 5 m/s,
rigid, no losses, no push) and (b) the full model (sand + push 0.5 bw + leg damping ζ 0.1 +
slope 3°). Each batched case is one stride per parameter set with the stiffness spread ±25 %
so that every element does its own work.

What is timed is what a user receives: ``simsrc.simulate(params, state, 1)`` on the batch,
blocked on the whole ``Run`` (every record field, the ledger, the final state), the padding to
the compiled batch size and its removal included. "N devices" places the batch on N host
devices the way ``simsrc sweep`` does (``sweep.run._place``: a 1-D mesh, the batch padded to a
multiple of N). A single XLA CPU device already runs a vmapped program on every core (compare
``taskset -c 0``), so N devices show what splitting adds on top. Each case also reports its
first calls (trace + compile + run, no compile cache), the process's peak RSS after it, and the
next-apex error of the batch against the scipy reference (``tests/reference.py``).
Results are printed, and written as JSON with ``--out FILE`` (benchmarks/results_engine.json
holds the run benchmarks/README.md reports).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time


def _parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--devices", type=int, default=2,
                    help="host CPU devices to split batches over (1: no split row)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cases", nargs="+", default=["canonical", "full"],
                    choices=["canonical", "full"])
    ap.add_argument("--out", default=None,
                    help="also write the results as JSON (benchmarks/results_engine.json holds the "
                    "reported run)")
    return ap.parse_args()


ARGS = _parse()
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           f" --xla_force_host_platform_device_count={ARGS.devices}").strip()
os.environ.setdefault("SIMSRC_NO_COMPILE_CACHE", "1")   # measure real compile times

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import simsrc  # noqa: E402
from simsrc.engine.batch import bucket_size, pad  # noqa: E402
from simsrc.engine.params import as_arrays  # noqa: E402
from simsrc.engine.simulate import default_options  # noqa: E402
from simsrc.engine.step import run  # noqa: E402
from simsrc.sweep.run import _place  # noqa: E402

CASES = {
    "canonical": simsrc.canonical_params(),
    "full": simsrc.canonical_params(surface="sand", push_force_bw=0.5, leg_damping_ratio=0.1,
                                    slope_deg=3.0),
}
STATE = simsrc.apex(1.0, 5.0)
CHECKED = 7          # batch elements compared with the scipy reference


def batch(p, n, dtype=jnp.float64):
    p = as_arrays(p, dtype)
    k = p.leg_stiffness_n_per_m * jnp.linspace(0.75, 1.25, n, dtype=dtype)
    pb = jax.tree_util.tree_map(lambda v: jnp.broadcast_to(v, (n,)), p._replace(leg_stiffness_n_per_m=k))
    sb = jax.tree_util.tree_map(lambda v: jnp.broadcast_to(v, (n,)), as_arrays(STATE, dtype))
    return pb, sb


def timed(f, *args, reps):
    """(first call, best of ``reps`` later calls), seconds, each blocked on every output."""
    t0 = time.perf_counter()
    jax.block_until_ready(f(*args))
    first = time.perf_counter() - t0
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        best = min(best, time.perf_counter() - t0)
    return first, best


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def apex_error(params, pb, out) -> float:
    """Largest relative error of the next apex (height and speed) over CHECKED elements."""
    from reference import reference_step
    n = pb.leg_stiffness_n_per_m.shape[0]
    y = np.asarray(out.records.end.y_m[:, 0])
    vx = np.asarray(out.records.end.vx_m_per_s[:, 0])
    k = np.asarray(pb.leg_stiffness_n_per_m)
    err = 0.0
    for i in np.linspace(0, n - 1, CHECKED).astype(int):
        ref = reference_step(dict(_as_reference_dict(params), leg_stiffness_n_per_m=float(k[i])),
                             tuple(float(v) for v in STATE))
        ye, vxe = ref["end_state"][1], ref["end_state"][2]
        err = max(err, abs(y[i] - ye) / abs(ye), abs(vx[i] - vxe) / abs(vxe))
    return err


def main():
    results = {"devices": [str(d) for d in jax.devices()], "cases": {}}
    ndev = len(jax.devices())
    for name in ARGS.cases:
        params = CASES[name]
        opts = default_options(params)
        res = {"options": str(opts)}

        def sim(p, s):
            return simsrc.simulate(p, s, 1, options=opts, check=False)

        first, t = timed(sim, params, STATE, reps=20)
        res["first_call_s"] = first
        res["single_call_strides_per_s"] = 1.0 / t
        print(f"[{name}] first call, one runner (trace + compile + run) {first:.2f} s; "
              f"one stride per call: {1 / t:,.0f} strides/s", flush=True)
        for n in ARGS.sizes:
            pb, sb = batch(params, n)
            first1, t1 = timed(sim, pb, sb, reps=ARGS.reps)
            row = {"first_call_s": first1, "one_device_strides_per_s": n / t1}
            if ndev > 1:
                size = bucket_size(n, ndev)
                placed = _place(pad((pb, sb), size), size)
                _, t2 = timed(sim, *placed, reps=ARGS.reps)
                row[f"{ndev}_devices_strides_per_s"] = n / t2
            res[f"batch_{n}"] = row
            print(f"[{name}] batch {n:>7,}: first call {first1:.1f} s; " +
                  ", ".join(f"{k} {v:,.0f}" for k, v in row.items() if k != "first_call_s"),
                  flush=True)
        res["next_apex_max_rel_error"] = apex_error(params, pb, sim(pb, sb))
        print(f"[{name}] next apex vs the scipy reference (rtol 1e-12), {CHECKED} of the batch: "
              f"{res['next_apex_max_rel_error']:.1e} relative", flush=True)
        # gradient (forward mode) of the next apex height w.r.t. stiffness, angle and push
        n = min(ARGS.sizes[1] if len(ARGS.sizes) > 1 else ARGS.sizes[0], 10000)
        pb, sb = batch(params, n)

        def out_of(theta, p, s):
            q = p._replace(leg_stiffness_n_per_m=theta[0], angle_of_attack_rad=theta[1],
                           push_force_bw=theta[2])
            return simsrc.simulate(q, s, 1, options=opts, check=False).records.end.y_m[0]

        grad = jax.jit(jax.vmap(lambda p, s: jax.jacfwd(out_of)(
            jnp.stack([p.leg_stiffness_n_per_m, p.angle_of_attack_rad, p.push_force_bw]), p, s)))
        gfirst, tg = timed(grad, pb, sb, reps=ARGS.reps)
        _, tf = timed(sim, pb, sb, reps=ARGS.reps)
        res["gradient_3_params_over_forward"] = tg / tf
        res["gradient_first_call_s"] = gfirst
        print(f"[{name}] forward-mode gradient (3 parameters), batch {n}: {tg / tf:.2f}x a forward "
              f"step (first call {gfirst:.1f} s)", flush=True)
        # float32: ``simulate`` computes in float64 when x64 is on, so the engine's ``run``,
        # every output returned (records and final state)
        # (the same function in float64 beside it)
        pb32, sb32 = batch(params, n, jnp.float32)
        fwd = jax.jit(jax.vmap(lambda p, s: run(p, s, 1, opts)[0::2]))
        _, t32 = timed(fwd, pb32, sb32, reps=ARGS.reps)
        _, t64 = timed(fwd, pb, sb, reps=ARGS.reps)
        y64 = np.asarray(fwd(pb, sb)[0].end.y_m[:, 0])
        y32 = np.asarray(fwd(pb32, sb32)[0].end.y_m[:, 0], dtype=float)
        ok = np.isfinite(y64) & np.isfinite(y32)
        res["float32_speedup"] = t64 / t32
        res["float32_max_rel_error"] = float(np.max(np.abs(y32[ok] - y64[ok]) / np.abs(y64[ok])))
        print(f"[{name}] float32: {tf / t32:.2f}x faster, apex height max rel. error "
              f"{res['float32_max_rel_error']:.1e}", flush=True)
        # the scipy reference, as a ratio
        from reference import reference_step
        d = _as_reference_dict(params)
        m = 5
        t0 = time.perf_counter()
        for i in range(m):
            reference_step(dict(d, leg_stiffness_n_per_m=d["leg_stiffness_n_per_m"] * (1 + 0.01 * i)),
                           tuple(float(v) for v in STATE))
        t_ref = (time.perf_counter() - t0) / m
        best = max(v for row in res.values() if isinstance(row, dict)
                   for k, v in row.items() if k.endswith("strides_per_s"))
        res["scipy_reference_strides_per_s"] = 1.0 / t_ref
        res["speedup_over_scipy"] = best * t_ref
        res["peak_rss_mb_after_case"] = peak_rss_mb()
        print(f"[{name}] scipy solve_ivp reference: {1 / t_ref:,.1f} strides/s; "
              f"best batched engine is {best * t_ref:,.0f}x faster; peak RSS so far "
              f"{res['peak_rss_mb_after_case']:,.0f} MB", flush=True)
        results["cases"][name] = res
    if ARGS.out:
        with open(ARGS.out, "w") as fh:
            json.dump(results, fh, indent=2)
        print(f"wrote {ARGS.out}")


def _as_reference_dict(p):
    c = float(p.surface_compliance_m_per_n)
    return dict(mass_kg=float(p.mass_kg), leg_length_m=float(p.leg_length_m),
                leg_stiffness_n_per_m=float(p.leg_stiffness_n_per_m),
                leg_damping_n_s_per_m=float(p.leg_damping_n_s_per_m),
                angle_of_attack_rad=float(p.angle_of_attack_rad), lean_rad=float(p.lean_rad),
                push_force_bw=float(p.push_force_bw), push_ramp_rad=float(p.push_ramp_rad),
                slope_rad=float(p.slope_rad), gravity_m_per_s2=float(p.gravity_m_per_s2),
                surface_stiffness_n_per_m=math.inf if c == 0 else 1.0 / c,
                surface_damping_n_s_per_m=float(p.surface_damping_n_s_per_m),
                surface_restitution=float(p.surface_restitution))


if __name__ == "__main__":
    main()
