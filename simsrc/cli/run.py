"""``simsrc run``: the steady gait of one runner, its metrics and its energy ledger.

The answer is the runner's steady (periodic) gait, ``simsrc.config.runner.steady_config``
(``simsrc.gait.solve_gait``): speed, cadence, contact and flight time, forces, stiffness, cost,
the ledger of the steady step and its stability. ``--steps N`` adds the per-step table of N
steps from the config's start (``run_config``), shown anyway when there is no steady gait, so
that the user sees what happens instead. This module only parses the arguments, formats the
tables and writes the JSON and the plot.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from simsrc.cli.formatting import add_set_argument, jsonable, number

#: The steady solve of one runner: rows per one-step call, 1: each row alone on the single
#: runner's program (a single gait needs about ten rows; that program compiles in two thirds of
#: the batch program's time, benchmarks/README.md, "``simsrc run`` on the single runner's
#: program"), and XLA's quick compile (``simsrc.engine.step.COMPILE_PROFILES``): a one-off answer
#: whose compile, not its run, is what the user waits for.
STEADY_ROWS = 1

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
        "run", help="the steady gait of one runner: speed, cadence, forces, cost, ledger",
        description="Solve the steady (periodic) gait of a runner from a config (default: the "
        "built-in runner) and print its speed, cadence, contact and flight time, forces, "
        "stiffness and cost, the energy ledger of the steady step and its stability. Without "
        "--target-speed the energy balance decides the speed; with it, the push (or, where the "
        "runner gains energy, the braking) is solved too. --steps adds the per-step table of "
        "the steps from the config's start. A config with a [sweep] table runs its base point.",
        epilog="examples:\n  simsrc run\n  simsrc run configs/human.toml --target-speed 4.0"
        "\n  simsrc run configs/stiffness_lean_push_sand.toml --steps 20\n  simsrc run "
        "--plot run.png --json run.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="TOML config file (default: the built-in runner)")
    add_set_argument(p)
    p.add_argument("--target-speed", type=float, metavar="M_PER_S",
                   help="hold this mean speed (m/s): solve the push, or the braking, as well")
    p.add_argument("--steps", type=int, nargs="?", const=-1, metavar="N",
                   help="also print the per-step table of N steps from the config's start "
                   "(no N: the config's n_steps)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the trajectory and ground forces")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="what goes to stdout: the tables (default), the JSON (as --json with no "
                   "FILE), or CSV: the steady gait as one row (its metrics, solved values and "
                   "impact, the unit in each column's name), or with --steps one row per step")
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
    aim = v['speed_m_per_s'] if v['aim_speed_m_per_s'] is None else v['aim_speed_m_per_s']
    placement = v.get("placement", "none")
    landing = (f"{v['angle_of_attack_deg']:g} deg ({v['mode']} landing)" if placement == "none"
               else f"by Raibert foot placement (gain {v['placement_gain_s']:g} s, aim "
               f"{aim:g} m/s; {v['angle_of_attack_deg']:g} deg only before the first step)"
               if placement == "raibert" else
               f"by deadbeat foot placement with push or braking (each apex aimed at "
               f"{v['apex_height_m']:g} m and {aim:g} m/s; {v['angle_of_attack_deg']:g} deg only "
               "as the first guess)")
    return (f"runner {v['mass_kg']:g} kg, leg {v['leg_length_m']:g} m at "
            f"{v['leg_stiffness_kn_per_m']:g} kN/m, angle of attack {landing}, lean {v['lean_deg']:g} "
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


def _free_words(gait) -> str:
    names = {"apex_height_m": "apex height", "apex_speed_m_per_s": "apex speed",
             "push_force_bw": "push", "leg_damping_n_s_per_m": "braking (leg damping)",
             "angle_of_attack_rad": "landing angle (foot placement)"}
    return ", ".join(names.get(f, f) for f in gait.free)


def steady_table(gait, params) -> str:
    """The steady gait in a coach's units, its energy controls, ledger and stability; or the
    reason there is none."""
    import numpy as np

    from simsrc.gait.steady import energy_hint

    if not bool(gait.converged):
        return (f"no steady gait (free: {_free_words(gait)}): {str(gait.message)}; scaled "
                f"residual {float(gait.residual):.2g} after {int(gait.iterations)} iterations"
                + energy_hint(gait, params))
    from simsrc.engine.params import is_conservative

    conservative = is_conservative(params) and not gait.targets
    raibert = np.shape(gait.controlled_multipliers)[-1] == 3
    held = (f"speed held at {float(gait.target_values[0]):g} m/s" if gait.targets else
            "Raibert foot placement; the energy balance decides the speed" if raibert else
            "no losses: the energy of the start decides the speed" if conservative else
            "the energy balance decides the speed")
    from simsrc.metrics.summary import STEADY_ROWS

    rows = [f"steady gait ({held}; solved for: {_free_words(gait)})"]
    for key, label, unit, fmt in STEADY_ROWS:
        rows.append(f"  {label:<30}{number(float(getattr(gait.metrics, key)), fmt):>10} {unit}")
    if "push_force_bw" in gait.free:
        rows.append(f"  {'push (solved)':<30}{float(gait.value('push_force_bw')):>10.3f} BW")
    if "leg_damping_n_s_per_m" in gait.free:
        c = float(gait.value("leg_damping_n_s_per_m"))
        zeta = c / (2.0 * np.sqrt(float(params.leg_stiffness_n_per_m) * float(params.mass_kg)))
        rows.append(f"  {'braking (solved)':<30}{c:>10.1f} N s/m (damping ratio {zeta:.3f})")
    led = gait.ledger
    rows.append("energy of the steady step (J): "
                f"injected {float(led.injected_j):.2f}, dissipated {float(led.dissipated_j):.2f}, "
                f"leg elastic peak {float(led.leg_elastic_peak_j):.2f}, returned "
                f"{float(led.leg_elastic_returned_j):.2f}, surface peak "
                f"{float(led.surface_elastic_peak_j):.2f}; residual {float(led.residual_j):.2e}")
    mags = np.sort(np.abs(np.asarray(gait.multipliers)))[::-1]
    listed = ", ".join(f"{m:.3f}" for m in mags)
    if conservative:
        # energy is conserved: one multiplier is 1 (a neighbouring energy is another gait)
        worst, note = mags[1], "; one is 1: the runner keeps its energy, a neighbouring " \
            "energy is a neighbouring gait"
    else:
        worst, note = mags[0], ""
    if "angle_of_attack_rad" in gait.free:
        ctl = np.sort(np.abs(np.asarray(gait.controlled_multipliers)))[::-1]
        rows.append(f"stability: |Floquet multipliers| {listed} with the landing angle held; "
                    f"{', '.join(f'{m:.3f}' for m in ctl)} "
                    + ("under Raibert foot placement (state: apex height, speed, last contact "
                       "time); " if raibert else
                       "with the foot placement that holds the apex height (deadbeat); ")
                    + ("stable under that control" if ctl[0] < 1.0 - 1e-6 else
                       "neutral under that control: no losses, so a neighbouring energy is a "
                       "neighbouring gait" if ctl[0] <= 1.0 + 1e-6 else
                       "unstable even under that control"))
        return "\n".join(rows)
    verdict = ("stable: a runner started near it returns to it" if worst < 1.0 else
               "unstable with this landing rule: it needs feedback (foot placement) to hold")
    rows.append(f"stability: |Floquet multipliers| {listed} (apex map, landing as configured"
                f"{note}); {verdict}")
    return "\n".join(rows)


def impact_lines(impact: dict) -> str:
    """The impact of the steady gait's foot strike (``steady_impact``) in a coach's units."""
    shoe = "barefoot" if impact["shoe"] == "barefoot" else f"{impact['shoe']} shoe"
    head = (f"impact ({impact['foot_strike']} strike, {shoe}; a lower leg with mass landing as "
            "the steady gait lands, MODEL.md §12):")
    stance = (f"\n  {'stance with the lower leg':<30}{impact['impact_contact_time_s']:>10.3f} s "
              f"contact, active peak {impact['impact_active_peak_bw']:.2f} BW")
    if not impact["impact_peak_found"]:
        return (head + " no distinct impact peak (the force rises without a first maximum)"
                + stance)
    return (f"{head}\n  {'impact peak':<30}{impact['impact_peak_bw']:>10.2f} BW at "
            f"{1e3 * impact['impact_peak_time_s']:.0f} ms\n"
            f"  {'loading rate (20-80 %)':<30}{impact['impact_loading_rate_bw_per_s']:>10.0f} BW/s"
            f"\n  {'loading rate (peak)':<30}"
            f"{impact['impact_instantaneous_loading_rate_bw_per_s']:>10.0f} BW/s" + stance)


def step_impact_table(metrics, n_steps) -> str:
    """The impact of each step's foot strike (``step_impacts``): peak (BW) and its time,
    loading rates and the body's vertical speed at touchdown, in a coach's units."""
    cols = (("impact_peak_bw", "impact", "BW", 1.0, ".2f"),
            ("impact_peak_time_s", "at", "ms", 1e3, ".0f"),
            ("impact_loading_rate_bw_per_s", "load rate", "BW/s", 1.0, ".0f"),
            ("impact_instantaneous_loading_rate_bw_per_s", "inst. rate", "BW/s", 1.0, ".0f"),
            ("touchdown_vy_m_per_s", "landing vy", "m/s", 1.0, ".2f"))
    rows = ["impact of each step (two-mass stance from the step's touchdown):",
            f"{'step':>4}" + "".join(f"{h:>12}" for _, h, _, _, _ in cols),
            " " * 4 + "".join(f"{u:>12}" for _, _, u, _, _ in cols)]
    for i in range(n_steps):
        rows.append(f"{i + 1:>4}" + "".join(f"{number(scale * float(metrics[k][i]), f):>12}"
                                            for k, _, _, scale, f in cols))
    return "\n".join(rows)


def run_csv(gait, impact, metrics=None) -> str:
    """CSV for a spreadsheet: with ``metrics`` (the per-step table of ``--steps``) one row per
    step (``step``, ``status`` and every per-step metric); otherwise one row of the steady gait:
    ``converged``, ``reason``, every metric of the steady step, the solved values, the apex, and
    the impact's numbers when there are any. Units are in the column names (SI and body weights,
    as in the JSON)."""
    import csv
    import io

    from simsrc.metrics.summary import status_name

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if metrics is not None:
        keys = [k for k in metrics if k != "status"]
        w.writerow(["step", "status"] + keys)
        for i in range(len(metrics["status"])):
            w.writerow([i + 1, status_name(metrics["status"][i])]
                       + [repr(float(metrics[k][i])) for k in keys])
        return buf.getvalue()
    row = {"converged": bool(gait is not None and gait.converged),
           "reason": "" if gait is None else str(gait.message)}
    if gait is not None:
        row.update({f"steady_{f}": float(gait.value(f)) for f in gait.free})
        row.update({f: float(getattr(gait.metrics, f)) for f in gait.metrics._fields})
    for k, v in (impact or {}).items():
        row[k if k.startswith(("impact", "foot", "shoe")) else f"impact_{k}"] = v
    w.writerow(list(row))
    w.writerow([repr(v) if isinstance(v, float) else v for v in row.values()])
    return buf.getvalue()


def _steady_json(gait) -> dict:
    import numpy as np

    def val(v):
        return np.asarray(v).tolist()
    out = {"converged": bool(gait.converged), "reason": int(gait.reason),
           "message": str(gait.message), "free": list(gait.free),
           "values": dict(zip(gait.free, val(gait.values))),
           "targets": dict(zip(gait.targets, val(gait.target_values))),
           "apex_height_m": float(gait.apex_height_m),
           "apex_speed_m_per_s": float(gait.apex_speed_m_per_s),
           "residual": float(gait.residual), "iterations": int(gait.iterations),
           "max_abs_multiplier": float(gait.max_abs_multiplier), "stable": bool(gait.stable),
           "multipliers_abs": [float(abs(m)) for m in np.asarray(gait.multipliers)],
           "controlled_multipliers_abs": [float(abs(m)) for m in
                                          np.asarray(gait.controlled_multipliers)]}
    out["metrics"] = {f: float(getattr(gait.metrics, f)) for f in gait.metrics._fields}
    out["ledger"] = {f: float(getattr(gait.ledger, f)) for f in gait.ledger._fields}
    return out


def _json_body(config, options, run, metrics, summary) -> dict:
    import dataclasses

    from simsrc import __version__
    from simsrc.metrics.summary import status_name

    head = {"simsrc_version": __version__, "source": config.source,
            "config": dict(config.values), "options": dataclasses.asdict(options)}
    if run is None:
        return head
    return {**head, "options": dataclasses.asdict(run.options),
            "run_status": status_name(summary["run_status"]),
            "steps_completed": int(summary["steps_completed"]),
            "converged": bool(summary["converged"]),
            "steps_to_converge": int(summary["steps_to_converge"]),
            "steps": [{"step": i + 1, "status": status_name(metrics["status"][i]),
                       **{k: float(v[i]) for k, v in metrics.items() if k != "status"}}
                      for i in range(config.n_steps)],
            "mean": {k[5:]: float(v) for k, v in summary.items() if k.startswith("mean_")}}


def run(args) -> int:
    """The command: solve the steady gait, print it (and the per-step table on request or
    when there is no steady gait), write the JSON and the plot."""
    import dataclasses

    from simsrc import __version__
    from simsrc.config.load import check_value, config_warnings
    from simsrc.config.runner import (resolve_config, run_config, steady_config,
                                      steady_impact, step_impacts)
    from simsrc.errors import SimsrcInputError
    from simsrc.metrics.summary import run_metrics, status_name, summarize

    if args.plot is not None:   # before the simulation, not after it
        from simsrc.viz.style import check_figure_path

        check_figure_path(args.plot, "--plot")
    if args.json not in (None, "-") and os.path.dirname(args.json) \
            and not os.path.isdir(os.path.dirname(args.json)):
        raise SimsrcInputError(f"--json {args.json}: the folder {os.path.dirname(args.json)} "
                               "does not exist")
    if args.format == "json":
        if args.json not in (None, "-"):
            raise SimsrcInputError("--format json prints the JSON on stdout; with --json FILE "
                                   "use --format table or csv")
        args.json = "-"
    config = resolve_config(args.config, args.set)
    for note in config_warnings(config):
        print(f"simsrc run: warning: {note}", file=sys.stderr)
    if args.steps is not None and args.steps != -1:
        n = check_value("n_steps", args.steps, "the command line", "--steps")
        config = dataclasses.replace(config, values={**config.values, "n_steps": n})
    if config.axes:
        print(f"note: {config.source} has a [sweep] table; `simsrc run` runs its base point "
              f"(use `simsrc sweep {config.source}` for the grid)", file=sys.stderr)
    gait = steady_note = None
    try:
        inputs, gait = steady_config(config, target_speed_m_per_s=args.target_speed,
                                     fd_rows=STEADY_ROWS, compile_profile="quick")
    except SimsrcInputError as e:
        if args.target_speed is not None or config.values.get("mode") != "pendulum":
            raise
        steady_note = str(e)
    steady = gait is not None and bool(gait.converged)
    transient = args.steps is not None or not steady
    result = metrics = summary = None
    if transient or (args.plot and not steady):
        # a single runner's few steps: compiled quick, as the steady solve (the run is short)
        inputs, result = run_config(config, trajectory=bool(args.plot), compile_profile="quick")
        params = inputs.params
        metrics, conv = run_metrics(result.records, params)  # one program, not ~60 eager ops
        summary = {**summarize(metrics), **conv}
        per_step = step_impacts(inputs, result.records)   # after summarize: no means of these
        metrics.update(per_step or {})
    impact = steady_impact(inputs, gait)
    if args.json is not None:
        body = _json_body(config, inputs.options, result, metrics, summary)
        body["steady"] = None if gait is None else _steady_json(gait)
        body["impact"] = impact
        text = json.dumps(jsonable(body), indent=1)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    if args.format == "csv":
        print(run_csv(gait, impact, metrics if args.steps is not None else None), end="")
    elif args.json != "-":
        changed = "".join(f" --set {o}" for o in args.set)
        print(f"simsrc {__version__}: {config.source}{changed}")
        print(describe(config) + f"; surface model {inputs.options.surface_model}\n")
        print(steady_note if gait is None else steady_table(gait, inputs.params))
        if impact is not None:
            print(impact_lines(impact))
        elif config.values.get("foot_strike", "none") != "none":
            print("impact: not computed (no steady gait)")
        if transient:
            print(f"\nthe {config.n_steps} steps from the config's start:" if steady else
                  f"\nwhat happens instead, {config.n_steps} steps from the config's start:")
            print(run_table(metrics, summary, config.n_steps))
            if "impact_peak_bw" in metrics:
                print()
                print(step_impact_table(metrics, config.n_steps))
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

        if steady:   # the steady gait's own steps
            from simsrc.config.runner import steady_point
            from simsrc.engine.simulate import simulate
            p, start = steady_point(inputs, gait)
            result = simulate(p, start, config.n_steps, options=inputs.options,
                              trajectory=True)
        weight = float(inputs.params.mass_kg) * float(inputs.params.gravity_m_per_s2)
        trajectory_figure(result.trajectory, result.records, weight, args.plot,
                          title=os.path.basename(config.source))
        print(f"trajectory plot: {args.plot}", file=sys.stderr)
    return 0
