"""Benchmark: the 10^6-point sweep (100 leg stiffnesses x 100 lean angles x 100 push forces,
10 steps each) through ``simsrc.sweep.run.run_sweep``; reports wall time, the time to the first
chunk (compile included), throughput, and peak memory (resource.getrusage).

    python benchmarks/bench_sweep.py                    # the full 10^6 points
    python benchmarks/bench_sweep.py --points 20000     # a cube of about that many points
    python benchmarks/bench_sweep.py --points 20000 --devices 2
    python benchmarks/bench_sweep.py --points 20000 --scheduler local --workers 2

The grid is the full-size version of configs/stiffness_lean_push_firm.toml: the built-in
runner (70 kg, leg 0.95 m, apex 0.92 m at 3.5 m/s) on firm ground with leg stiffness
8-30 kN/m, lean -5 to 10 degrees and push force 0-0.5 body weights. Only the per-point
summaries are kept (``per_step = false``), as a sweep of this size should.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--points", type=int, default=10**6,
                   help="grid size (rounded to a cube n x n x n; default 10^6)")
    p.add_argument("--steps", type=int, default=10, help="steps per point (default 10)")
    p.add_argument("--surface", default="firm", help="surface preset (default firm)")
    p.add_argument("--chunk-size", type=int, help="points per chunk (default: automatic)")
    p.add_argument("--devices", type=int, help="XLA CPU devices to split chunks across")
    p.add_argument("--scheduler", help="Dask scheduler address or 'local'")
    p.add_argument("--workers", type=int, help="workers of --scheduler local")
    p.add_argument("--per-step", action="store_true", help="keep every step's metrics too")
    p.add_argument("--out", help="output folder (default: a temporary folder, removed after)")
    p.add_argument("--cache", action="store_true",
                   help="use the persistent compilation cache (default: off, so that the "
                   "compile time is measured)")
    return p.parse_args(argv)


def grid_config(n: int, steps: int, surface: str, per_step: bool):
    from simsrc.config.load import parse_config

    return parse_config({
        "ground": {"surface": surface}, "run": {"n_steps": steps},
        "initial": {"apex_height_m": 0.92},
        "sweep": {"leg_stiffness_kn_per_m": {"start": 8, "stop": 30, "num": n},
                  "lean_deg": {"start": -5, "stop": 10, "num": n},
                  "push_force_bw": {"start": 0, "stop": 0.5, "num": n}},
        "output": {"per_step": per_step, "figures": False},
    }, f"benchmark grid {n}x{n}x{n}")


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its finished children (MiB, Linux KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.devices:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={args.devices}")
    if not args.cache:
        os.environ["SIMSRC_NO_COMPILE_CACHE"] = "1"
    import jax

    import simsrc
    from simsrc.sweep.run import run_sweep

    n = max(1, round(args.points ** (1 / 3)))
    config = grid_config(n, args.steps, args.surface, args.per_step)
    out = args.out or tempfile.mkdtemp(prefix="simsrc_bench_")
    marks = []
    t0 = time.perf_counter()
    ds = run_sweep(config, out, overwrite=True, chunk_size=args.chunk_size,
                   scheduler=args.scheduler, n_workers=args.workers,
                   command="bench_sweep.py", on_chunk_done=lambda i, k: marks.append(
                       (time.perf_counter(), i)))
    wall = time.perf_counter() - t0
    with open(os.path.join(out, "manifest.json")) as f:
        chunk = json.load(f)["chunk_size"]
    points = n**3
    first = marks[0][0] - t0 if marks else float("nan")
    steady = (marks[-1][0] - marks[0][0]) if len(marks) > 1 else float("nan")
    steady_points = points - min(chunk, points)
    own, kids = peak_rss_mib()
    status = ds["run_status"].values
    report = {
        "simsrc": simsrc.__version__, "jax": jax.__version__,
        "devices": [str(d) for d in jax.devices()], "scheduler": args.scheduler,
        "grid": f"{n} x {n} x {n}", "points": points, "steps_per_point": args.steps,
        "chunk_size": chunk, "chunks": len(marks), "surface": args.surface,
        "options": ds.attrs["options"],
        "wall_s": round(wall, 2), "first_chunk_s (compile + run)": round(first, 2),
        "after_first_chunk_s": round(steady, 2),
        "throughput_points_per_s (overall)": round(points / wall, 1),
        "throughput_points_per_s (after first chunk)":
            round(steady_points / steady, 1) if steady == steady and steady > 0 else None,
        "throughput_steps_per_s (after first chunk)":
            round(steady_points * args.steps / steady, 1)
            if steady == steady and steady > 0 else None,
        "peak_rss_mib (this process)": round(own, 1),
        "peak_rss_mib (largest finished child)": round(kids, 1),
        "points_ok": int((status == 0).sum()), "points_failed": int((status > 0).sum()),
        "points_invalid": int((status < 0).sum()),
        "output": out,
    }
    print(json.dumps(report, indent=1))
    if not args.out:
        import shutil
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
