"""``simsrc sweep``: run a config's ``[sweep]`` grid (``simsrc.sweep.run.run_sweep``), then draw
its figures (``simsrc.viz.plots.sweep_figures``) into the output folder's ``figures/``.

The sweep writes its results first (config.toml, run.json, the chunks, results.nc and
results.csv); the figures are drawn here from the finished dataset, as the config's
``[output] figures`` asks (``--no-figures``: never).
"""
from __future__ import annotations

import argparse
import os
import sys

from simsrc.cli import PROG
from simsrc.cli.formatting import add_set_argument
from simsrc.errors import SimsrcInputError


MAX_DEVICES_PER_CORE = 4   # XLA host devices beyond the cores only share them
#: Without ``--devices``, a plain sweep of at least ``SPLIT_FROM_STEPS`` steps in all (points x
#: steps) splits each chunk across one CPU device per core, at most ``MOST_DEFAULT_DEVICES``:
#: one device spreads a batch over the cores only in part (benchmarks/README.md, "Sweeps").
#: Smaller sweeps keep one device: a split program compiles longer the first time (the 10^5-point
#: benchmark's first chunk 38 s against 22 s), and on e8's 10^4 points x 20 steps it saved
#: nothing warm (8.1-8.8 s against 8.5-9.2 s).
MOST_DEFAULT_DEVICES = 8
SPLIT_FROM_STEPS = 10**6


def add_parser(sub) -> None:
    """Register ``simsrc sweep``."""
    p = sub.add_parser(
        "sweep", help="run a config's [sweep] grid (resumable, batched, optionally on Dask)",
        description="Run every point of the config's [sweep] grid in batched chunks. Each "
        "finished chunk is saved at once, so an interrupted sweep continues with --resume. The "
        "output folder gets the resolved config, run.json, results.nc (an N-dimensional "
        "xarray dataset), results.csv (one row per point) and figures/.",
        epilog="examples:\n"
        "  simsrc sweep configs/surface_stiffness.toml\n"
        "  simsrc sweep configs/slope.toml --out /tmp/slope --overwrite\n"
        "  simsrc sweep configs/stiffness_lean_push_firm.toml --devices 2\n"
        "  simsrc sweep configs/canonical_stability_grid.toml --scheduler local --workers 2\n"
        "  simsrc sweep big.toml --scheduler tcp://SCHEDULER_HOST:8786 --resume",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="TOML config file with a [sweep] table")
    add_set_argument(p)
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/CONFIG_NAME)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true",
                       help="continue the sweep already in the output folder")
    group.add_argument("--overwrite", action="store_true",
                       help="delete an earlier sweep in the output folder first")
    p.add_argument("--chunk-size", type=int, metavar="N",
                   help="points per chunk (default: sized to the free memory, at most 8192; "
                   "never more than the grid)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run chunks as Dask tasks: a scheduler address, or 'local' to start a "
                   "LocalCluster")
    p.add_argument("--workers", type=int, metavar="N",
                   help="workers of --scheduler local, 1 to 4 per CPU core (default: one per "
                   "core)")
    p.add_argument("--devices", type=int, metavar="N",
                   help="split each chunk across N CPU devices (sets XLA_FLAGS; default: one "
                   "per core, at most 8, for a plain sweep of 10^6 steps or more run in this "
                   "process, else 1); on a GPU machine every visible device is used anyway")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    p.set_defaults(func=run)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_devices(n_points: int, n_steps: int, answer: str | None, scheduler, cores: int,
                    xla_flags: str) -> int | None:
    """CPU devices to split each chunk across when ``--devices`` is not given: one per core (at
    most ``MOST_DEFAULT_DEVICES``) for a plain (not steady) sweep of at least
    ``SPLIT_FROM_STEPS`` steps in all, run in this process, on a machine of several cores,
    where ``XLA_FLAGS`` does not set a count already; None (leave JAX's one device) otherwise.
    Dask workers (``--scheduler``) are processes of their own and keep one device each."""
    if (scheduler is not None or answer == "steady" or n_points * n_steps < SPLIT_FROM_STEPS
            or cores < 2 or "--xla_force_host_platform_device_count" in xla_flags):
        return None
    return min(cores, MOST_DEFAULT_DEVICES)


def set_devices(n: int) -> None:
    """Ask XLA for ``n`` CPU devices; only works before JAX starts its backend."""
    most = MAX_DEVICES_PER_CORE * (os.cpu_count() or 1)
    if not 1 <= n <= most:   # each host device is a thread pool: a million of them never start
        raise SimsrcInputError(f"--devices must be an integer from 1 to {most} "
                               f"({MAX_DEVICES_PER_CORE} per CPU core of this machine), got {n}")
    flag = f"--xla_force_host_platform_device_count={n}"
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split()
             if not f.startswith("--xla_force_host_platform_device_count")]
    os.environ["XLA_FLAGS"] = " ".join(flags + [flag])


def run(args) -> int:
    """The command: sweep, draw the figures, print the status counts and where results went."""
    if args.devices is not None:
        set_devices(args.devices)
    from simsrc.config.load import config_warnings
    from simsrc.config.runner import resolve_config
    from simsrc.metrics.summary import status_name
    from simsrc.sweep.run import check_scheduler, run_sweep
    from simsrc.sweep.store import ChunkStore

    if args.out is not None and not args.out.strip():
        raise SimsrcInputError(f"--out must name a folder, got {args.out!r}; leave --out out "
                               "for runs/CONFIG_NAME")
    check_scheduler(args.scheduler, args.workers)   # before the config: no JAX work wasted
    config = resolve_config(args.config, args.set)
    if args.devices is None:        # (JAX has not started its backend yet: the flag still counts)
        n = default_devices(config.n_points, config.n_steps, config.values.get("answer"),
                            args.scheduler, usable_cores(), os.environ.get("XLA_FLAGS", ""))
        if n is not None:
            set_devices(n)
            print(f"simsrc sweep: {config.n_points:,} points x {config.n_steps} steps: each "
                  f"chunk is split across {n} CPU devices, one per core (--devices 1 keeps "
                  "one)", file=sys.stderr)
    for note in config_warnings(config):
        print(f"simsrc sweep: warning: {note}", file=sys.stderr)
    out = args.out or os.path.join("runs", os.path.splitext(os.path.basename(args.config))[0])
    draw = not args.no_figures and config.output.get("figures", True)
    try:
        ds = run_sweep(config, out, resume=args.resume, overwrite=args.overwrite,
                       chunk_size=args.chunk_size, scheduler=args.scheduler,
                       n_workers=args.workers, progress=not args.no_progress,
                       command=" ".join([PROG] + sys.argv[1:]))
        if draw:
            from simsrc.viz.plots import sweep_figures

            sweep_figures(ds, config.axes, config.output.get("metrics", ()),
                          os.path.join(out, "figures"))
    except KeyboardInterrupt:
        try:
            m = ChunkStore.read_manifest(out) or {}
        except SimsrcInputError:
            m = {}
        print(f"\ninterrupted: {len(m.get('done', []))} of {m.get('n_chunks', '?')} chunks are "
              f"saved in {out}; run the same command with --resume to finish", file=sys.stderr)
        return 130
    codes = ds["run_status"].values.ravel()
    counts = ", ".join(f"{status_name(c)} {int((codes == c).sum())}" for c in sorted(set(codes)))
    if config.values.get("answer") == "steady":
        how = ("under Raibert foot placement, the speed free" if
               config.values.get("placement") == "raibert" else "at a held speed")
        print(f"{codes.size} points, steady gaits {how}: {counts}")
    else:
        print(f"{codes.size} points x {config.n_steps} steps: {counts}")
    if ds.attrs.get("invalid_params_example"):
        print(f"invalid_params, e.g.: {ds.attrs['invalid_params_example']}")
    print(f"results: {os.path.join(out, 'results.nc')}, {os.path.join(out, 'results.csv')}")
    if os.path.isdir(os.path.join(out, "figures")):
        print(f"figures: {os.path.join(out, 'figures')}/")
    return 0
