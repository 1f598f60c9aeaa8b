"""``simsrc run``: simulate one runner and print per-step metrics and the energy ledger.

The run goes through ``simsrc.config.runner.run_config`` (load, convert, simulate); this module
only parses the arguments, formats the tables and writes the JSON and the plot.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from simsrc.cli.formatting import jsonable, number

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


def add_parser(sub) -> None:
    """Register ``simsrc run``."""
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
    p.set_defaults(func=run)


def describe(config) -> str:
    """Two lines on the runner, the ground and the start of a config's base point."""
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


def run_table(metrics, summary, n_steps) -> str:
    """One row per step (``RUN_COLUMNS``) and the mean over the completed steps."""
    from simsrc.metrics.summary import status_name

    head = f"{'step':>4} {'status':<11}" + "".join(f"{h:>10}" for _, h, _, _ in RUN_COLUMNS)
    unit = " " * 16 + "".join(f"{u:>10}" for _, _, u, _ in RUN_COLUMNS)
    rows = [head, unit]
    for i in range(n_steps):
        cells = "".join(f"{number(float(metrics[k][i]), f):>10}" for k, _, _, f in RUN_COLUMNS)
        rows.append(f"{i + 1:>4} {status_name(metrics['status'][i]):<11}{cells}")
    n_ok = int(summary["steps_completed"])
    mean = "".join(f"{number(float(summary['mean_' + k]), f):>10}" for k, _, _, f in RUN_COLUMNS)
    rows.append(f"{'mean':>4} {f'({n_ok} ok)':<11}{mean}")
    return "\n".join(rows)


def ledger_table(metrics, summary, n_steps) -> str:
    """The energy ledger of each completed step, its largest residual, and the swinging legs'
    own account when they did work (pendulum landing mode)."""
    import numpy as np

    rows = ["energy ledger per step (J); residual = mechanical change - (injected - dissipated)",
            f"{'step':>4} " + "".join(f"{h:>11}" for _, h, _ in LEDGER_COLUMNS)]
    for i in range(n_steps):
        if metrics["status"][i] != 0:
            continue
        rows.append(f"{i + 1:>4} " + "".join(f"{number(float(metrics[k][i]) + 0.0, f):>11}"
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
        rows += [f"{i + 1:>4} " + "".join(f"{number(float(metrics[k][i]) + 0.0, f):>11}"
                                           for k, _, f in SWING_COLUMNS)
                 for i in range(n_steps) if metrics["status"][i] == 0]
    return "\n".join(rows)


def _json_body(config, run, metrics, summary) -> dict:
    import dataclasses

    from simsrc import __version__
    from simsrc.metrics.summary import status_name

    return {"simsrc_version": __version__, "source": config.source,
            "config": dict(config.values), "options": dataclasses.asdict(run.options),
            "run_status": status_name(summary["run_status"]),
            "steps_completed": int(summary["steps_completed"]),
            "converged": bool(summary["converged"]),
            "steps_to_converge": int(summary["steps_to_converge"]),
            "steps": [{"step": i + 1, "status": status_name(metrics["status"][i]),
                       **{k: float(v[i]) for k, v in metrics.items() if k != "status"}}
                      for i in range(config.n_steps)],
            "mean": {k[5:]: float(v) for k, v in summary.items() if k.startswith("mean_")}}


def run(args) -> int:
    """The command: load the config, simulate, print the tables, write the JSON and plot."""
    import dataclasses

    from simsrc import __version__
    from simsrc.config.load import check_value
    from simsrc.config.runner import resolve_config, run_config
    from simsrc.metrics.summary import run_metrics, status_name, summarize

    config = resolve_config(args.config)
    if args.steps is not None:
        n = check_value("n_steps", args.steps, "the command line", "--steps")
        config = dataclasses.replace(config, values={**config.values, "n_steps": n})
    if config.axes:
        print(f"note: {config.source} has a [sweep] table; `simsrc run` runs its base point "
              f"(use `simsrc sweep {config.source}` for the grid)", file=sys.stderr)
    inputs, result = run_config(config, trajectory=bool(args.plot))
    params = inputs.params
    metrics, conv = run_metrics(result.records, params)  # one compiled program, not ~60 eager ops
    summary = {**summarize(metrics), **conv}
    if args.json is not None:
        text = json.dumps(jsonable(_json_body(config, result, metrics, summary)), indent=1)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    if args.json != "-":
        print(f"simsrc {__version__}: {config.source}")
        print(describe(config) + f"; surface model {result.options.surface_model}\n")
        print(run_table(metrics, summary, config.n_steps))
        print()
        print(ledger_table(metrics, summary, config.n_steps))
        n_conv = int(summary["steps_to_converge"])
        verdict = ("not converged to a periodic gait" if not summary["converged"] else
                   "a periodic gait from the start" if n_conv == 0 else
                   f"converged to a periodic gait after {n_conv} steps")
        print(f"\nrun status: {status_name(summary['run_status'])} "
              f"({int(summary['steps_completed'])} of "
              f"{config.n_steps} steps completed; {verdict})")
    if args.plot:
        from simsrc.viz.plots import trajectory_figure

        weight = float(params.mass_kg) * float(params.gravity_m_per_s2)
        trajectory_figure(result.trajectory, result.records, weight, args.plot,
                          title=os.path.basename(config.source))
        print(f"trajectory plot: {args.plot}", file=sys.stderr)
    return 0
