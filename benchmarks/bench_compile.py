"""Compile cost of each engine variant: trace, lowering and XLA compile time, program size, memory.

Run on purpose (not a test):

    python benchmarks/bench_compile.py                    # every variant, table on stdout
    python benchmarks/bench_compile.py --only rigid damped --out results_compile.json
    python benchmarks/bench_compile.py --profile quick --steps 1   # simsrc run's and the explorer's

Each variant runs in a fresh subprocess with the persistent compile cache off, so that every
number is a cold start. The kernel is what users run: ``simsrc.simulate`` on a batch of 64
runners for 3 steps, records and final state returned (nothing dropped), jitted as one
function; ``jacfwd`` is the gait solvers' kernel, the forward-mode Jacobian of one step's
next apex (y, v_x) with respect to (y, v_x, push) under ``vmap``. Columns:

* trace, lower, compile: seconds in ``jax.jit(f).trace(...)``, ``.lower()``, ``.compile()``;
* ops: operations in the lowered StableHLO text (lines with ``= stablehlo.`` or
  ``"stablehlo.``), a machine-independent measure of the program's size;
* hlo: instructions in XLA's optimised program (``compiled.as_text()``, lines with `` = ``):
  what XLA rebuilds when it loads the program from the compile cache, so it sets a warm
  start's load time too (benchmarks/README.md, "Program size");
* peak RSS: the subprocess's peak resident memory (imports included, ~0.3 GB of it).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

BATCH = 64
N_STEPS = 3

# name: (make_params keyword arguments, simulate keyword arguments)
VARIANTS = {
    "rigid": (dict(), dict()),
    "rigid_push": (dict(push_force_bw=0.5), dict()),
    "rigid_damping_push": (dict(push_force_bw=0.5, leg_damping_ratio=0.1), dict()),
    "elastic": (dict(surface="firm"), dict()),                        # algebraic, not plastic
    "elastic_push": (dict(surface="firm", push_force_bw=0.5), dict()),
    "plastic": (dict(surface="track"), dict()),                       # algebraic, split stance
    "plastic_push": (dict(surface="track", push_force_bw=0.5), dict()),
    "damped": (dict(surface="sand"), dict()),
    "damped_push": (dict(surface="sand", push_force_bw=0.5, leg_damping_ratio=0.1), dict()),
    "retraction": (dict(), dict(landing="retraction")),
    "pendulum": (dict(), dict(landing="pendulum")),
    "pendulum_aimed": (dict(), dict(landing="pendulum", placement=(0.1, 5.0))),
    "deadbeat": (dict(), dict(landing="deadbeat")),
    "deadbeat_speed": (dict(), dict(landing="deadbeat", deadbeat_speed_m_per_s=5.0)),
    "jacfwd_rigid_push": (dict(push_force_bw=0.5), dict(jacfwd=True)),
    "jacfwd_plastic_push": (dict(surface="track", push_force_bw=0.5), dict(jacfwd=True)),
}

OP_LINE = re.compile(r'(= stablehlo\.|"stablehlo\.)')


def op_count(text: str) -> int:
    """Operations in a StableHLO module's text."""
    return sum(1 for line in text.splitlines() if OP_LINE.search(line))


def kernel(name: str):
    """(jitted function, example arguments) of one variant."""
    import jax
    import jax.numpy as jnp
    import simsrc
    from simsrc.engine.params import as_arrays
    from simsrc.engine.simulate import default_options
    from simsrc.engine.step import step

    pkw, skw = VARIANTS[name]
    p = simsrc.canonical_params(**pkw)
    pb = jax.tree_util.tree_map(lambda v: jnp.full((BATCH,), v, float), as_arrays(p))
    pb = pb._replace(leg_stiffness_n_per_m=pb.leg_stiffness_n_per_m *
                     jnp.linspace(0.9, 1.1, BATCH))
    sb = jax.tree_util.tree_map(lambda v: jnp.full((BATCH,), v, float),
                                as_arrays(simsrc.apex(1.0, 5.0)))
    opts = default_options(p)
    if skw.get("jacfwd"):
        def one(q, y, vx, push):
            def f(yy, vv, aa):
                s = simsrc.State(jnp.zeros_like(yy), yy, vv, jnp.zeros_like(yy))
                nxt, rec, _ = step(q._replace(push_force_bw=aa), s, opts)
                out = (nxt.y_m, nxt.vx_m_per_s)
                return out, (out, rec.status)
            return jax.jacfwd(f, argnums=(0, 1, 2), has_aux=True)(y, vx, push)
        fn = jax.jit(jax.vmap(one))
        return fn, (pb, sb.y_m, sb.vx_m_per_s, pb.push_force_bw)

    def run(q, s):
        out = simsrc.simulate(q, s, N_STEPS, options=opts, check=False, **skw)
        return out.records, out.final_state, out.final_swing
    return jax.jit(run), (pb, sb)


def measure(name: str, profile: str = "optimized") -> dict:
    """Cold trace / lower / compile of one variant in this process, with XLA's options of
    ``profile`` (``simsrc.engine.step.COMPILE_PROFILES``)."""
    import resource

    from simsrc.engine.step import COMPILE_PROFILES
    t0 = time.perf_counter()
    fn, args = kernel(name)
    t1 = time.perf_counter()
    traced = fn.trace(*args)
    t2 = time.perf_counter()
    lowered = traced.lower()
    t3 = time.perf_counter()
    compiled = lowered.compile(COMPILE_PROFILES[profile] or None)
    t4 = time.perf_counter()
    import jax
    jax.block_until_ready(compiled(*args))
    t5 = time.perf_counter()
    return dict(variant=name, setup_s=t1 - t0, trace_s=t2 - t1, lower_s=t3 - t2,
                compile_s=t4 - t3, run_s=t5 - t4, first_call_s=t5 - t1,
                ops=op_count(lowered.as_text()),
                hlo=sum(" = " in ln for ln in compiled.as_text().splitlines()),
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=list(VARIANTS), help="variants to measure")
    ap.add_argument("--out", help="also write the results as JSON to this file")
    ap.add_argument("--ops-only", action="store_true",
                    help="only trace and lower (no compile), all variants in this process")
    ap.add_argument("--profile", choices=("optimized", "quick"), default="optimized",
                    help="XLA's options (simsrc.engine.step.COMPILE_PROFILES; 'quick': simsrc "
                    "run's steady solve and the explorer)")
    ap.add_argument("--steps", type=int, default=N_STEPS,
                    help=f"steps per simulate call (default {N_STEPS}; the steady solvers: 1)")
    ap.add_argument("--one", help=argparse.SUPPRESS)   # child process: one variant, JSON out
    return ap.parse_args()


def main():
    args = _parse()
    if args.one:
        global N_STEPS
        N_STEPS = args.steps
        print(json.dumps(measure(args.one, args.profile)))
        return
    if args.ops_only:
        for name in args.only or VARIANTS:
            fn, fargs = kernel(name)
            print(f"{name:22s} {op_count(fn.trace(*fargs).lower().as_text()):7d} ops", flush=True)
        return
    env = dict(os.environ, SIMSRC_NO_COMPILE_CACHE="1")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")]).strip(os.pathsep)
    rows = []
    head = (f"{'variant':22s} {'trace s':>8s} {'lower s':>8s} {'compile s':>9s} "
            f"{'1st call s':>10s} {'ops':>7s} {'hlo':>7s} {'peak MB':>8s}")
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average) on {os.cpu_count()} cores")
    print(head)
    for name in args.only or VARIANTS:
        out = subprocess.run([sys.executable, __file__, "--one", name, "--profile",
                              args.profile, "--steps", str(args.steps)], env=env,
                             capture_output=True, text=True)
        if out.returncode:
            print(f"{name:22s} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"{name:22s} {r['trace_s']:8.2f} {r['lower_s']:8.2f} {r['compile_s']:9.2f} "
              f"{r['first_call_s']:10.2f} {r['ops']:7d} {r['hlo']:7d} {r['peak_rss_mb']:8.0f}",
              flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(load_1min=os.getloadavg()[0], batch=BATCH, n_steps=args.steps,
                           profile=args.profile,
                           results=rows), f, indent=1)


if __name__ == "__main__":
    main()
