"""The ``simsrc`` command line: ``run``, ``sweep``, ``check`` and ``keys``.

Each subcommand is a pair of functions, ``_add_NAME(subparsers)`` (its arguments) and
``_cmd_NAME(args) -> exit code``, listed in ``COMMANDS``; a new subcommand (e.g. ``gait``) is one
more pair and one more entry. Bad input (a config error, an unreadable config) prints one line
on stderr and exits with code 2, never a traceback; an output that cannot be written exits
with 1, Ctrl-C with 130.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tomllib

from simsrc.errors import SimsrcInputError

PROG = "simsrc"

EPILOG = """\
examples:
  simsrc run                               the built-in runner: 70 kg, leg 0.95 m, 3.5 m/s,
                                           firm ground (same as configs/default.toml)
  simsrc run configs/slope.toml --plot run.png
                                           one runner from a config, with a trajectory plot
  simsrc run --json > run.json             the same numbers as JSON on stdout
  simsrc sweep configs/slope.toml          the config's [sweep] grid into runs/slope/
  simsrc sweep configs/slope.toml --resume finish a sweep that was interrupted
  simsrc sweep configs/canonical_stability_grid.toml --scheduler local
                                           chunks as tasks on a local Dask cluster
  simsrc gait                              the built-in runner's periodic gait and stability
  simsrc gait --target-speed 4.0           the push force that sustains 4 m/s
  simsrc check configs/*.toml              validate configs without running them
  simsrc keys                              every config key with its unit and default

Every config key, its unit, default and meaning: configs/README.md (or `simsrc keys`).
Compiled programs are cached in ~/.cache/simsrc/jax (SIMSRC_NO_COMPILE_CACHE=1 turns that
off), so the first run of a kind of model compiles for a while and later runs start sooner.
"""


# ----------------------------------------------------------------------------- helpers

def _load(path):
    from simsrc.config.load import default_config, load_config

    return load_config(path) if path else default_config()


def _set_devices(n: int) -> None:
    """Ask XLA for ``n`` CPU devices; only works before JAX starts its backend."""
    if n < 1:
        raise SimsrcInputError(f"--devices must be >= 1, got {n}")
    flag = f"--xla_force_host_platform_device_count={n}"
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split()
             if not f.startswith("--xla_force_host_platform_device_count")]
    os.environ["XLA_FLAGS"] = " ".join(flags + [flag])


def _num(v, fmt):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    text = format(v, fmt)
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.000"


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "tolist"):
        return _jsonable(v.tolist())
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


# ----------------------------------------------------------------------------- run

RUN_COLUMNS = (  # (metric, header, unit, format)
    ("speed_m_per_s", "speed", "m/s", ".3f"),
    ("contact_time_s", "contact", "s", ".4f"),
    ("flight_time_s", "flight", "s", ".4f"),
    ("step_length_m", "step len", "m", ".3f"),
    ("cadence_steps_per_min", "cadence", "1/min", ".0f"),
    ("peak_vertical_force_n", "peak Fv", "N", ".0f"),
    ("peak_vertical_force_bw", "peak Fv", "BW", ".2f"),
    ("apex_height_m", "apex", "m", ".4f"),
)
LEDGER_COLUMNS = (  # (ledger entry, header, format)
    ("mechanical_change_j", "mech chg", ".3f"), ("injected_j", "injected", ".3f"),
    ("dissipated_j", "dissip.", ".3f"), ("residual_j", "residual", ".2e"),
    ("leg_elastic_peak_j", "leg peak", ".3f"), ("leg_elastic_returned_j", "leg ret.", ".3f"),
    ("surface_elastic_peak_j", "surf peak", ".3f"),
    ("surface_plastic_loss_j", "surf plast", ".3f"),
    ("push_positive_j", "push +", ".3f"), ("push_negative_j", "push -", ".3f"),
)
SWING_COLUMNS = (  # the swinging legs' own account (pendulum landing mode)
    ("hip_swing_positive_j", "hip +", ".3f"), ("hip_swing_negative_j", "hip -", ".3f"),
    ("swing_landing_j", "at landing", ".3f"), ("swing_liftoff_j", "at liftoff", ".3f"),
    ("swing_residual_j", "residual", ".2e"),
)


def _add_run(sub):
    p = sub.add_parser(
        "run", help="simulate one runner and print per-step metrics and the energy ledger",
        description="Simulate one runner for n_steps steps from a config (default: the "
        "built-in runner) and print a table of per-step metrics and the energy ledger with "
        "its residual. A config with a [sweep] table runs its base point.",
        epilog="examples:\n  simsrc run\n  simsrc run configs/stiffness_lean_push_sand.toml "
        "--steps 20\n  simsrc run --plot run.png --json run.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="TOML config file (default: the built-in runner)")
    p.add_argument("--steps", type=int, metavar="N", help="number of steps (overrides n_steps)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the trajectory and ground forces")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="write the results as JSON to FILE, or to stdout (no table) if no "
                   "FILE is given")
    p.set_defaults(func=_cmd_run)


def _describe(config) -> str:
    v = config.values
    ground = v["surface"]
    extra = [f"{k} {v[k]:g}" for k in ("surface_stiffness_kn_per_m", "surface_restitution")
             if v[k] is not None]
    return (f"runner {v['mass_kg']:g} kg, leg {v['leg_length_m']:g} m at "
            f"{v['leg_stiffness_kn_per_m']:g} kN/m, angle of attack "
            f"{v['angle_of_attack_deg']:g} deg ({v['mode']} landing), lean {v['lean_deg']:g} "
            f"deg, push "
            f"{v['push_force_bw']:g} BW\nground {ground}{' (' + ', '.join(extra) + ')' if extra else ''}"
            f", slope {v['slope_deg']:g} deg; start at apex {v['apex_height_m']:g} m, "
            f"{v['speed_m_per_s']:g} m/s; {v['n_steps']} steps")


def _run_table(metrics, summary, n_steps) -> str:
    from simsrc.metrics.summary import status_name

    head = f"{'step':>4} {'status':<11}" + "".join(f"{h:>10}" for _, h, _, _ in RUN_COLUMNS)
    unit = " " * 16 + "".join(f"{u:>10}" for _, _, u, _ in RUN_COLUMNS)
    rows = [head, unit]
    for i in range(n_steps):
        cells = "".join(f"{_num(float(metrics[k][i]), f):>10}" for k, _, _, f in RUN_COLUMNS)
        rows.append(f"{i + 1:>4} {status_name(metrics['status'][i]):<11}{cells}")
    n_ok = int(summary["steps_completed"])
    mean = "".join(f"{_num(float(summary['mean_' + k]), f):>10}" for k, _, _, f in RUN_COLUMNS)
    rows.append(f"{'mean':>4} {f'({n_ok} ok)':<11}{mean}")
    return "\n".join(rows)


def _ledger_table(metrics, summary, n_steps) -> str:
    import numpy as np

    rows = ["energy ledger per step (J); residual = mechanical change - (injected - dissipated)",
            f"{'step':>4} " + "".join(f"{h:>11}" for _, h, _ in LEDGER_COLUMNS)]
    for i in range(n_steps):
        if metrics["status"][i] != 0:
            continue
        rows.append(f"{i + 1:>4} " + "".join(f"{_num(float(metrics[k][i]) + 0.0, f):>11}"
                                              for k, _, f in LEDGER_COLUMNS))
    ok = metrics["status"] == 0
    if ok.any():
        worst = float(abs(metrics["residual_j"][ok]).max())
        scale = float(abs(metrics["leg_elastic_peak_j"][ok]).max()) or 1.0
        rows.append(f"largest |residual|: {worst:.3g} J ({worst / scale:.2g} of the peak leg "
                    "elastic energy)")
    if ok.any() and np.any(metrics["hip_swing_positive_j"][ok] != 0):
        rows += ["", "swinging legs per step (J): the hip's work on them, their swing energy at "
                 "landing and at liftoff, and the residual of their own balance",
                 f"{'step':>4} " + "".join(f"{h:>11}" for _, h, _ in SWING_COLUMNS)]
        rows += [f"{i + 1:>4} " + "".join(f"{_num(float(metrics[k][i]) + 0.0, f):>11}"
                                           for k, _, f in SWING_COLUMNS)
                 for i in range(n_steps) if metrics["status"][i] == 0]
    return "\n".join(rows)


def _cmd_run(args) -> int:
    import dataclasses

    from simsrc import __version__
    from simsrc.config.load import base_point, check_value, numerical_options
    from simsrc.engine.simulate import simulate
    from simsrc.metrics.summary import convergence, status_name, step_metrics, summarize

    config = _load(args.config)
    if args.steps is not None:
        n = check_value("n_steps", args.steps, "the command line", "--steps")
        config = dataclasses.replace(config, values={**config.values, "n_steps": n})
    if config.axes:
        print(f"note: {config.source} has a [sweep] table; `simsrc run` runs its base point "
              f"(use `simsrc sweep {config.source}` for the grid)", file=sys.stderr)
    params, state = base_point(config)
    options = numerical_options(config.values, [params])
    run = simulate(params, state, config.n_steps, options=options, trajectory=bool(args.plot))
    metrics = step_metrics(run.records, params)
    summary = {**summarize(metrics), **convergence(run.records, params)}
    run_status = status_name(summary["run_status"])
    if args.json is not None:
        body = {"simsrc_version": __version__, "source": config.source,
                "config": dict(config.values), "options": dataclasses.asdict(run.options),
                "run_status": run_status, "steps_completed": int(summary["steps_completed"]),
                "converged": bool(summary["converged"]),
                "steps_to_converge": int(summary["steps_to_converge"]),
                "steps": [{"step": i + 1, "status": status_name(metrics["status"][i]),
                           **{k: float(v[i]) for k, v in metrics.items() if k != "status"}}
                          for i in range(config.n_steps)],
                "mean": {k[5:]: float(v) for k, v in summary.items() if k.startswith("mean_")}}
        text = json.dumps(_jsonable(body), indent=1)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    if args.json != "-":
        print(f"simsrc {__version__}: {config.source}")
        print(_describe(config) + f"; surface model {run.options.surface_model}\n")
        print(_run_table(metrics, summary, config.n_steps))
        print()
        print(_ledger_table(metrics, summary, config.n_steps))
        n_conv = int(summary["steps_to_converge"])
        verdict = ("not converged to a periodic gait" if not summary["converged"] else
                   "a periodic gait from the start" if n_conv == 0 else
                   f"converged to a periodic gait after {n_conv} steps")
        print(f"\nrun status: {run_status} ({int(summary['steps_completed'])} of "
              f"{config.n_steps} steps completed; {verdict})")
    if args.plot:
        from simsrc.viz.plots import trajectory_figure

        weight = float(params.mass_kg) * float(params.gravity_m_per_s2)
        trajectory_figure(run.trajectory, run.records, weight, args.plot,
                          title=os.path.basename(config.source))
        print(f"trajectory plot: {args.plot}", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- sweep

def _add_sweep(sub):
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
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/CONFIG_NAME)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true",
                       help="continue the sweep already in the output folder")
    group.add_argument("--overwrite", action="store_true",
                       help="delete an earlier sweep in the output folder first")
    p.add_argument("--chunk-size", type=int, metavar="N",
                   help="points per chunk (default: sized to the free memory, at most 8192)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run chunks as Dask tasks: a scheduler address, or 'local' to start a "
                   "LocalCluster")
    p.add_argument("--workers", type=int, metavar="N",
                   help="workers of --scheduler local (default: one per CPU core)")
    p.add_argument("--devices", type=int, metavar="N",
                   help="split each chunk across N CPU devices (sets XLA_FLAGS); on a GPU "
                   "machine every visible device is used anyway")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    p.set_defaults(func=_cmd_sweep)


def _cmd_sweep(args) -> int:
    from simsrc.metrics.summary import status_name
    from simsrc.sweep.run import run_sweep
    from simsrc.sweep.store import ChunkStore

    config = _load(args.config)
    out = args.out or os.path.join("runs", os.path.splitext(os.path.basename(args.config))[0])
    try:
        ds = run_sweep(config, out, resume=args.resume, overwrite=args.overwrite,
                       chunk_size=args.chunk_size, scheduler=args.scheduler,
                       n_workers=args.workers, progress=not args.no_progress,
                       figures=False if args.no_figures else None,
                       command=" ".join([PROG] + sys.argv[1:]))
    except KeyboardInterrupt:
        m = ChunkStore.read_manifest(out) or {}
        print(f"\ninterrupted: {len(m.get('done', []))} of {m.get('n_chunks', '?')} chunks are "
              f"saved in {out}; run the same command with --resume to finish", file=sys.stderr)
        return 130
    codes = ds["run_status"].values.ravel()
    counts = ", ".join(f"{status_name(c)} {int((codes == c).sum())}" for c in sorted(set(codes)))
    print(f"{codes.size} points x {config.n_steps} steps: {counts}")
    if ds.attrs.get("invalid_params_example"):
        print(f"invalid_params, e.g.: {ds.attrs['invalid_params_example']}")
    print(f"results: {os.path.join(out, 'results.nc')}, {os.path.join(out, 'results.csv')}")
    if os.path.isdir(os.path.join(out, "figures")):
        print(f"figures: {os.path.join(out, 'figures')}/")
    return 0


# ----------------------------------------------------------------------------- check, keys

def _add_check(sub):
    p = sub.add_parser("check", help="validate config files without running them",
                       description="Load and check each config; print what it would run.",
                       epilog="example:\n  simsrc check configs/*.toml",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="+", help="TOML config files")
    p.set_defaults(func=_cmd_check)


def _cmd_check(args) -> int:
    from simsrc.config.load import base_point, parse_config, read_toml
    from simsrc.config.fit import parse_fit_config

    bad = 0
    for path in args.configs:
        try:
            data = read_toml(path)
            if "data" in data:           # a `simsrc fit` config
                parse_fit_config(data, str(path))
                print(f"ok  {path}: a fit config (simsrc fit)")
                continue
            config = parse_config(data, str(path))
            if not config.axes:
                base_point(config)
        except SimsrcInputError as e:
            print(f"{PROG} check: error: {e}", file=sys.stderr)
            bad += 1
            continue
        grid = " x ".join(f"{a.name} {len(a)}" for a in config.axes)
        grid = f"{grid} = {config.n_points} points" if grid else "a single point"
        print(f"ok  {path}: {grid}, {config.n_steps} steps")
    return 2 if bad else 0


def _add_keys(sub):
    p = sub.add_parser("keys", help="list every config key with its unit, default and meaning",
                       description="Print every config key (the table of configs/README.md).")
    p.set_defaults(func=_cmd_keys)


def _cmd_keys(args) -> int:
    from simsrc.config.schema import schema_markdown

    print(schema_markdown())
    return 0


# ------------------------------------------------------------------------------ gait

def _add_gait(sub):
    p = sub.add_parser(
        "gait", help="find the periodic gait (fixed point of the apex map) and its stability",
        description="Newton's method on the apex-to-apex map with the exact Jacobian from JAX, "
                    "started from the config's initial apex. Prints the periodic apex state, "
                    "the Floquet multipliers (|λ| < 1: stable) and the gait's stride metrics. "
                    "With --target-speed, solves for the push force (body weights) that "
                    "sustains that apex speed instead. A retraction config uses the same "
                    "solvers; a pendulum config (two swinging legs) is first settled by "
                    "simulating its n_steps, then solved on the 6-D apex map with a "
                    "forward-difference Jacobian (simsrc.gait.periodic.find_swing_gait).")
    p.add_argument("config", nargs="?", default=None,
                   help="TOML config (default: the built-in runner, configs/default.toml)")
    p.add_argument("--target-speed", type=float, default=None, metavar="M_PER_S",
                   help="solve for the push force that sustains this apex speed")
    p.set_defaults(func=_cmd_gait)


def _swing_gait(config, params, state) -> int:
    """`simsrc gait` for the pendulum landing mode: settle by simulating the config's steps,
    then Newton on the 6-D apex map (``simsrc.gait.periodic.find_swing_gait``)."""
    import numpy as np

    from simsrc.config.load import numerical_options
    from simsrc.gait.periodic import find_swing_gait
    from simsrc.engine.simulate import simulate

    opts = numerical_options(config.values, [params])
    settle = simulate(params, state, config.n_steps, options=opts)
    print(f"simsrc gait: {config.source} (pendulum landing; settled over {config.n_steps} steps)")
    if int(np.asarray(settle.records.status)[-1]) != 0:
        print("the runner fell while settling, no start for the gait solver; try another apex "
              "or hip setting", file=sys.stderr)
        return 1
    g = find_swing_gait(params, settle.final_state, settle.final_swing, options=opts)
    if not bool(np.all(g.converged)):
        print("no periodic gait found from the settled state (the map did not converge)",
              file=sys.stderr)
        return 1
    legs = [float(v) for v in g.swing]
    print(f"periodic apex: height {float(g.apex_height_m):.5f} m, speed "
          f"{float(g.apex_speed_m_per_s):.4f} m/s; leading leg {np.degrees(legs[0]):.2f} deg "
          f"at {np.degrees(legs[1]):.1f} deg/s, trailing leg {np.degrees(legs[2]):.2f} deg at "
          f"{np.degrees(legs[3]):.1f} deg/s")
    lam = np.asarray(g.multipliers).ravel()
    verdict = "stable" if bool(g.stable) else "unstable"
    print("Floquet multipliers of the 6-D apex map: "
          + ", ".join(f"{complex(v):.4g}" for v in lam)
          + f"  ->  {verdict} (largest |λ| {float(g.max_abs_multiplier):.3f}, the multiplier 1 "
          "of a conservative body's energy direction excluded)")
    return 0


def _cmd_gait(args) -> int:
    import numpy as np

    from simsrc.config.load import base_point, check_value
    from simsrc.engine.params import is_conservative
    from simsrc.gait.periodic import find_gait, gait_options, solve_push_for_speed
    from simsrc.engine.simulate import simulate
    from simsrc.metrics.summary import step_metrics

    config = _load(args.config)
    mode = config.values["mode"]
    params, state = base_point(config)
    if mode == "pendulum":
        if args.target_speed is not None:
            print(f"{PROG} gait: error: --target-speed needs a fixed or retracting landing leg; "
                  f"`mode` = \"pendulum\" in {config.source} [landing]", file=sys.stderr)
            return 2
        return _swing_gait(config, params, state)
    opts = gait_options(params._replace(push_force_bw=1.0) if args.target_speed is not None
                        else params, landing=mode)
    if args.target_speed is not None:
        speed = check_value("speed_m_per_s", args.target_speed, "the command line",
                            "--target-speed")
        gait = solve_push_for_speed(params, speed, height_guess_m=float(state.y_m),
                                    options=opts)
    else:
        gait = find_gait(params, state, map_iters=3, options=opts)
    print(f"simsrc gait: {config.source}")
    if not bool(np.all(gait.converged)):
        print("no periodic gait found from this start (the map did not converge); try another "
              "initial apex or angle", file=sys.stderr)
        return 1
    push = float(np.asarray(gait.push_force_bw)) if hasattr(gait, "push_force_bw") else \
        float(params.push_force_bw)
    lam = np.asarray(gait.multipliers).ravel()
    conservative = is_conservative(params._replace(push_force_bw=push))
    judged = lam
    note = ""
    if conservative:
        # energy is conserved: one multiplier is exactly 1 (the neutral energy direction);
        # stability is that of the apex map at fixed energy, the other multiplier
        judged = lam[np.abs(lam - 1.0) > 1e-6]
        note = " (conservative: the multiplier 1 is the neutral energy direction)"
    verdict = "stable" if judged.size and np.all(np.abs(judged) < 1.0) else "unstable"
    print(f"periodic apex: height {float(gait.apex_height_m):.5f} m, speed "
          f"{float(gait.apex_speed_m_per_s):.4f} m/s, push {push:.4f} body weights")
    print("Floquet multipliers: " + ", ".join(f"{complex(v):.4g}" for v in lam)
          + f"  ->  {verdict}{note}")
    import simsrc
    p = params._replace(push_force_bw=push)
    run = simulate(p, simsrc.apex(float(gait.apex_height_m), float(gait.apex_speed_m_per_s)), 1)
    m = step_metrics(run.records, p)
    for key in ("contact_time_s", "flight_time_s", "step_length_m", "cadence_steps_per_min",
                "peak_vertical_force_bw"):
        if key in m:
            print(f"  {key:24s} {float(np.asarray(m[key]).ravel()[0]):.4g}")
    return 0


# ----------------------------------------------------------------------------- main

COMMANDS = (_add_run, _add_sweep, _add_gait, _add_check, _add_keys)


# `simsrc figures` and `simsrc animate` live in their own modules (figures_cli.py, animate.py)
def _add_figures(sub):
    from simsrc.cli.figures import add_parser
    add_parser(sub)


def _add_animate(sub):
    from simsrc.viz.animate import add_parser
    add_parser(sub)


COMMANDS += (_add_figures, _add_animate)


# `simsrc fit` lives in its own module (fit_cli.py)
def _add_fit(sub):
    from simsrc.cli.fit import add_fit_command
    add_fit_command(sub)


COMMANDS += (_add_fit,)


def build_parser() -> argparse.ArgumentParser:
    from simsrc import __version__

    parser = argparse.ArgumentParser(
        prog=PROG, description="simsrc: a spring-mass (SLIP) model of running with a compliant "
        "ground and a complete energy ledger. Run one runner, or sweep a grid of them from a "
        "TOML config.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"simsrc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``simsrc`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if getattr(args, "devices", None) is not None:
            _set_devices(args.devices)
        return args.func(args)
    except (SimsrcInputError, tomllib.TOMLDecodeError) as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `simsrc run --json | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:  # an output folder or file that cannot be written
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
