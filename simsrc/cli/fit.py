"""``simsrc fit``: fit the model to a force curve, to stride metrics, or to a watch recording.

    simsrc fit configs/fit/fukuchi_3p5.toml                 # a config file
    simsrc fit --data fukuchi2017/RBDS001runT25forces.txt --speed 2.5 --mass 62 --height 1.81
    simsrc fit --data watch_fit/developer-types-sample.fit  # one fit per second

Writes into the output folder: ``fit.json`` (parameters with standard errors and
correlations, fit statistics, the resolved settings), ``residuals.csv``, ``fit_config.toml``
(the resolved config: rerun with ``simsrc fit FOLDER/fit_config.toml``) and figures
(``force_fit.png``, ``stiffness.png``). Bad input raises ``SimsrcInputError``, which the
``simsrc`` command prints as one line with exit code 2.

Registered in ``simsrc.cli.main`` by ``add_fit_command``; heavy imports (JAX) happen only when the
command runs.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys

from simsrc.errors import SimsrcInputError

EXAMPLES = """\
examples:
  simsrc fit configs/fit/fukuchi_3p5.toml       force curve of the 3.5 m/s treadmill run
  simsrc fit configs/fit/fukuchi_2p5.toml --per-step
                                                 ... and every step's own curve, batched
  simsrc fit configs/fit/watch_stryd.toml       stiffness per second of a Stryd recording
  simsrc fit --data fukuchi2017/RBDS001runT25forces.txt --speed 2.5 --mass 62 --height 1.81
  simsrc fit --data strides.csv --mass 70 --leg-length 0.95
                                                 one stride-metric fit per CSV row
Config keys and their defaults: docs/fitting.md ("The command").
"""


def add_fit_command(sub) -> None:
    """Register ``simsrc fit`` on the subparsers of the ``simsrc`` command."""
    p = sub.add_parser(
        "fit", help="fit leg stiffness, landing angle and push to a force curve, stride "
                    "metrics or a watch recording, with uncertainties",
        description="Fit the spring-mass model by gradients through the simulator "
                    "(Levenberg-Marquardt on exact Jacobians): to the mean stance force curve "
                    "of a force-plate recording (.txt/.c3d), to stride metrics (.csv, one fit "
                    "per row) or to every second of a running-watch recording (.fit). "
                    "Flags override the config file.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="fit config (TOML); see configs/fit/*.toml")
    p.add_argument("--data", metavar="FILE", help="data file (a path or a shipped data name)")
    p.add_argument("--kind", metavar="KIND", help="force, stride or watch (default: from the "
                   "file extension)")
    p.add_argument("--speed", type=float, metavar="M_PER_S", help="treadmill speed (force)")
    p.add_argument("--mass", type=float, metavar="KG", help="body mass")
    p.add_argument("--leg-length", type=float, metavar="M", help="leg length L0")
    p.add_argument("--height", type=float, metavar="M", help="standing height (L0 = 0.53 h)")
    p.add_argument("--free", metavar="A,B,...", help="parameters to fit, e.g. "
                   "leg_stiffness,angle_of_attack,push_force,apex_drop")
    p.add_argument("--metrics", metavar="A,B,...", help="stride/watch metrics to fit")
    p.add_argument("--no-horizontal", action="store_true", help="force: vertical force only")
    p.add_argument("--starts", type=int, metavar="N", help="force: number of starts (1-8)")
    p.add_argument("--per-step", action="store_true", help="force: also fit each step's curve")
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/fit_NAME)")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    p.set_defaults(func=run_fit_command)


def _overrides(args) -> dict:
    split = (lambda s: [x.strip() for x in s.split(",") if x.strip()])  # noqa: E731
    return {"file": args.data, "kind": args.kind, "speed_m_per_s": args.speed,
            "mass_kg": args.mass, "leg_length_m": args.leg_length, "height_m": args.height,
            "free": split(args.free) if args.free else None,
            "metrics": split(args.metrics) if args.metrics else None,
            "horizontal": False if args.no_horizontal else None, "starts": args.starts,
            "per_step": True if args.per_step else None, "folder": args.out,
            "figures": False if args.no_figures else None}


def run_fit_command(args) -> int:
    """The command: load the config, apply the flags, fit, write, print a summary."""
    from simsrc.config.fit import FitConfig, load_fit_config, with_overrides

    config = load_fit_config(args.config) if args.config else \
        FitConfig("the command line", "", _defaults())
    config = with_overrides(config, _overrides(args))
    summary = run_fit(config)
    print(summary["text"])
    return 0


def _defaults() -> dict:
    from simsrc.config.fit import KEYS

    return {k: s.default for k, s in KEYS.items()}


def run_fit(config) -> dict:
    """Fit as the config says and write the outputs; returns {"text", "json", "folder"}."""
    from simsrc import __version__
    from simsrc.config.fit import dump_fit_config, resolve_data_file

    path, kind = resolve_data_file(config)
    name = config.values["folder"] or os.path.join(
        "runs", "fit_" + (os.path.splitext(os.path.basename(config.source))[0]
                          if config.source.endswith(".toml") else
                          os.path.splitext(path.name)[0]))
    body, rows, lines, draw = {"force": _force, "stride": _stride, "watch": _watch}[kind](
        config, path)
    os.makedirs(name, exist_ok=True)
    body = {"simsrc_version": __version__, "kind": kind, "data_file": str(path),
            "config": config.source, "settings": config.values, **body}
    with open(os.path.join(name, "fit.json"), "w") as f:
        f.write(json.dumps(_jsonable(body), indent=1) + "\n")
    _write_csv(os.path.join(name, "residuals.csv"), rows)
    with open(os.path.join(name, "fit_config.toml"), "w") as f:
        f.write(dump_fit_config(_resolved(config, path, kind),
                                f"resolved by simsrc fit from {config.source}"))
    figures = draw(name) if config.values["figures"] else []
    lines.append(f"results: {os.path.join(name, 'fit.json')}, "
                 f"{os.path.join(name, 'residuals.csv')}")
    if figures:
        lines.append("figures: " + ", ".join(figures))
    return {"text": "\n".join(lines), "json": body, "folder": name}


def _resolved(config, path, kind):
    import dataclasses

    return dataclasses.replace(config, values={**config.values, "file": str(path),
                                               "kind": kind})


# ----------------------------------------------------------------------------- force

def _runner(config, where_kind: str, need_mass: bool = True):
    from simsrc.fit.guess import DEFAULT_LEG_LENGTH_M, leg_length_from_height_m

    v = config.values
    notes = []
    if v["mass_kg"] is None and need_mass:
        raise SimsrcInputError(f"{where_kind} fits need the body mass: set `mass_kg` in "
                               f"[runner] (in {config.source}) or --mass")
    if v["leg_length_m"] is not None:
        leg = v["leg_length_m"]
    elif v["height_m"] is not None:
        leg = float(leg_length_from_height_m(v["height_m"]))
        notes.append(f"leg length 0.53 x height = {leg:.3f} m")
    else:
        leg = DEFAULT_LEG_LENGTH_M
        notes.append(f"leg length not given: the default {leg:g} m")
    return v["mass_kg"], leg, notes


def _force(config, path):
    import numpy as np

    from simsrc.measured.contacts import detect_steps, mean_stance_curve
    from simsrc.fit.force import (DEFAULT_FREE, curve_rms_bw, fit_force_curve,
                                  force_curve_from_stance, force_curves_per_step,
                                  fitted_stance)
    from simsrc.fit.guess import morin_leg_stiffness_n_per_m
    from simsrc.measured.forceplate import read_force_c3d, read_force_text
    from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2, make_params

    v = config.values
    if v["speed_m_per_s"] is None:
        raise SimsrcInputError(f"force fits need the treadmill speed: set `speed_m_per_s` in "
                               f"[data] (in {config.source}) or --speed")
    mass, leg, notes = _runner(config, "force")
    speed = v["speed_m_per_s"]
    reader = read_force_c3d if path.suffix.lower() == ".c3d" else read_force_text
    rec = reader(path)
    steps = detect_steps(rec)
    stance = mean_stance_curve(rec, steps)
    weight = mass * STANDARD_GRAVITY_M_PER_S2
    curve = force_curve_from_stance(stance, body_weight_n=weight, speed_m_per_s=speed,
                                    flight_time_s=float(np.mean(steps.flight_time_s)),
                                    horizontal=v["horizontal"])
    free = tuple(v["free"] or DEFAULT_FREE)
    base = make_params(surface=v["surface"])
    kw = dict(mass_kg=mass, leg_length_m=leg, free=free, base=base, starts=v["starts"],
              max_iterations=v["max_iterations"] or 60)
    result = fit_force_curve(curve, **kw)
    rms_v, rms_h = curve_rms_bw(result, curve)
    model = fitted_stance(result, mass_kg=mass, leg_length_m=leg, speed_m_per_s=speed,
                          base=base)
    tc, tf = float(np.mean(steps.contact_time_s)), float(np.mean(steps.flight_time_s))
    morin = float(morin_leg_stiffness_n_per_m(mass, leg, speed, tc, tf))
    body = {"runner": {"mass_kg": mass, "leg_length_m": leg, "notes": notes},
            "steps": {"n": steps.n_steps, "contact_time_s": tc, "flight_time_s": tf},
            "fit": _result_json(result),
            "rms_vertical_bw": float(rms_v), "rms_horizontal_bw": float(rms_h),
            "model_contact_time_s": float(np.asarray(model[3].contact_time_s)),
            "morin_leg_stiffness_n_per_m": morin}
    lines = [f"simsrc fit: {path.name}, {steps.n_steps} steps at {speed:g} m/s, runner "
             f"{mass:g} kg, leg {leg:.3f} m" + (f" ({'; '.join(notes)})" if notes else ""),
             _result_text(result),
             f"RMS error: vertical {float(rms_v):.3f} BW"
             + (f", horizontal {float(rms_h):.3f} BW" if np.isfinite(rms_h) else "")
             + f"; contact time measured {tc * 1e3:.1f} ms, model "
             f"{body['model_contact_time_s'] * 1e3:.1f} ms",
             f"Morin et al. 2005 leg stiffness from the same steps: {morin / 1e3:.2f} kN/m"]
    if v["per_step"]:
        curves = force_curves_per_step(rec, steps, body_weight_n=weight, speed_m_per_s=speed,
                                       horizontal=v["horizontal"])
        per = fit_force_curve(curves, **kw)
        ok = np.asarray(per.converged)
        body["per_step"] = {"n": int(ok.size), "converged": int(ok.sum()),
                            **{n: {"mean": float(np.mean(per.value[ok, i])),
                                   "sd": float(np.std(per.value[ok, i], ddof=1))
                                   if ok.sum() > 1 else None}
                               for i, n in enumerate(per.names)}}
        k = per.value[ok, per.names.index("leg_stiffness_n_per_m")] / 1e3 \
            if "leg_stiffness_n_per_m" in per.names else np.array([np.nan])
        lines.append(f"per-step fits: {int(ok.sum())}/{ok.size} converged; leg stiffness "
                     f"{np.mean(k):.2f} ± {np.std(k, ddof=1) if k.size > 1 else 0:.2f} kN/m "
                     "(mean ± SD over steps)")
    n = curve.weight.size
    w = curve.weight > 0
    r = np.asarray(result.residual)
    rows = {"time_s": curve.time_s[w], "measured_vertical_bw": curve.vertical_bw[w],
            "model_vertical_bw": (curve.vertical_bw + r[:n])[w], "residual_vertical_bw": r[:n][w],
            "measured_horizontal_bw": curve.horizontal_bw[w],
            "residual_horizontal_bw": r[n:][w] if v["horizontal"] else np.full(w.sum(), np.nan)}

    def draw(folder):
        from simsrc.viz.fit_plots import force_fit_figure

        title = (f"{path.name}: {steps.n_steps} steps at {speed:g} m/s "
                 f"({mass:g} kg, L0 {leg:.2f} m)")
        return [force_fit_figure(curve, result, model, os.path.join(folder, "force_fit.png"),
                                 title)]
    return body, rows, lines, draw


# ----------------------------------------------------------------------------- stride

def _stride(config, path):
    import numpy as np

    from simsrc.fit.guess import DEFAULT_MASS_KG
    from simsrc.fit.stride import METRICS, fit_stride_metrics, make_stride_data
    from simsrc.measured.stride_table import read_stride_table

    v = config.values
    table = read_stride_table(path)
    mass, leg, notes = _runner(config, "stride", need_mass=False)
    rows_without_mass = table.n_rows if table.mass_kg is None else \
        int(np.sum(~np.isfinite(table.mass_kg)))
    if v["mass_kg"] is None:
        mass = DEFAULT_MASS_KG
        if rows_without_mass:
            notes.append(f"mass not given for {rows_without_mass} row(s): the default "
                         f"{mass:g} kg")
    masses = np.where(np.isfinite(table.mass_kg), table.mass_kg, mass) \
        if table.mass_kg is not None else np.full(table.n_rows, mass)
    legs = np.where(np.isfinite(table.leg_length_m), table.leg_length_m, leg) \
        if table.leg_length_m is not None else np.full(table.n_rows, leg)
    data = make_stride_data(table.contact_time_s, table.flight_time_s, table.speed_m_per_s,
                            step_length_m=table.step_length_m, sigma=v["sigma"],
                            use=tuple(v["metrics"] or METRICS))
    free = tuple(v["free"]) if v["free"] else None
    kw = {"free": free} if free else {}
    result = fit_stride_metrics(data, mass_kg=masses, leg_length_m=legs,
                                max_iterations=v["max_iterations"] or 100, **kw)
    body = {"runner": {"mass_kg": masses.tolist(), "leg_length_m": legs.tolist(),
                       "notes": notes}, "fit": _result_json(result)}
    lines = [f"simsrc fit: {path.name}, {table.n_rows} rows" +
             (f" ({'; '.join(notes)})" if notes else "")]
    for i in range(table.n_rows):
        lines.append(f"row {i + 1}: " + _result_text(result.index(i), inline=True))
    rows = {"row": np.arange(1, table.n_rows + 1)}
    for j, name in enumerate(result.names):
        rows[name] = result.value[:, j]
        rows[name + "_stderr"] = result.stderr[:, j]
    for j, name in enumerate(METRICS + ("periodicity",)):
        rows["residual_sigma_" + name] = result.residual[:, j]
    rows["status"] = result.status
    return body, rows, lines, lambda folder: []


# ----------------------------------------------------------------------------- watch

def _watch(config, path):
    import numpy as np

    from simsrc.fit.stride import METRICS
    from simsrc.fit.watch import WATCH_METRICS, compare, fit_watch
    from simsrc.measured.watch import read_fit

    v = config.values
    rec = read_fit(path)
    free = tuple(v["free"]) if v["free"] else None
    kw = {"free": free} if free else {}
    fit = fit_watch(rec, mass_kg=v["mass_kg"], leg_length_m=v["leg_length_m"] or (
        None if v["height_m"] is None else 0.530 * v["height_m"]),
        use=tuple(v["metrics"] or WATCH_METRICS), sigma=v["sigma"],
        max_iterations=v["max_iterations"] or 100, **kw)
    res = fit.result
    k = fit.leg_stiffness_n_per_m
    vs_morin = compare(k, fit.morin_leg_stiffness_n_per_m)
    vs_device = compare(k, fit.device_leg_spring_stiffness_n_per_m)
    morin_vs_device = compare(fit.morin_leg_stiffness_n_per_m,
                              fit.device_leg_spring_stiffness_n_per_m)
    ok = np.isfinite(k)
    body = {"runner": {"mass_kg": fit.mass_kg, "leg_length_m": fit.leg_length_m,
                       "source": fit.runner_source},
            "records": int(rec.n_samples), "fitted": int(fit.fitted.sum()),
            "converged": int(ok.sum()),
            "leg_stiffness_n_per_m": {"median": float(np.nanmedian(k)),
                                      "p5": float(np.nanpercentile(k, 5)),
                                      "p95": float(np.nanpercentile(k, 95)),
                                      "median_stderr": float(np.nanmedian(
                                          fit.leg_stiffness_stderr_n_per_m))},
            "fit_vs_morin": vs_morin, "fit_vs_device": vs_device,
            "morin_vs_device": morin_vs_device,
            "parameters_median": {n: float(np.median(res.value[res.converged, i]))
                                  for i, n in enumerate(res.names)}}
    lines = [f"simsrc fit: {path.name}, {rec.n_samples} records, {int(fit.fitted.sum())} "
             f"running records fitted, {int(ok.sum())} converged; runner {fit.mass_kg:g} kg, "
             f"leg {fit.leg_length_m:.3f} m ({fit.runner_source})",
             f"leg stiffness: median {body['leg_stiffness_n_per_m']['median'] / 1e3:.2f} kN/m "
             f"(5-95 %: {body['leg_stiffness_n_per_m']['p5'] / 1e3:.2f}-"
             f"{body['leg_stiffness_n_per_m']['p95'] / 1e3:.2f}), median s.e. "
             f"{body['leg_stiffness_n_per_m']['median_stderr'] / 1e3:.2f} kN/m",
             f"fitted / Morin: median ratio {vs_morin['median_ratio']:.3f}, r = "
             f"{vs_morin['pearson_r']:.3f}"]
    if vs_device["n"]:
        lines.append(f"fitted / device 'Leg Spring Stiffness': median ratio "
                     f"{vs_device['median_ratio']:.3f}, r = {vs_device['pearson_r']:.3f} "
                     f"(Morin / device: {morin_vs_device['median_ratio']:.3f}, r = "
                     f"{morin_vs_device['pearson_r']:.3f})")
    rows = {"time_s": fit.time_s, "fitted": fit.fitted.astype(int),
            "leg_stiffness_n_per_m": k, "leg_stiffness_stderr_n_per_m":
                fit.leg_stiffness_stderr_n_per_m,
            "morin_leg_stiffness_n_per_m": np.where(fit.fitted,
                                                    fit.morin_leg_stiffness_n_per_m, np.nan),
            "device_leg_spring_stiffness_n_per_m": fit.device_leg_spring_stiffness_n_per_m}
    idx = np.flatnonzero(fit.fitted)
    for j, name in enumerate(res.names):
        if name == "leg_stiffness_n_per_m":
            continue
        col = np.full(rec.n_samples, np.nan)
        col[idx] = res.value[:, j]
        rows[name] = col
    for j, name in enumerate(METRICS + ("periodicity",)):
        col = np.full(rec.n_samples, np.nan)
        col[idx] = res.residual[:, j]
        rows["residual_sigma_" + name] = col

    def draw(folder):
        from simsrc.viz.fit_plots import stiffness_series_figure

        title = (f"{path.name}: per-second SLIP fits ({fit.mass_kg:g} kg, L0 "
                 f"{fit.leg_length_m:.2f} m)")
        return [stiffness_series_figure(fit, os.path.join(folder, "stiffness.png"), title)]
    return body, rows, lines, draw


# ----------------------------------------------------------------------------- output

def _result_json(result) -> dict:
    """Parameters (SI, and in display units for a single fit), correlations, statistics."""
    import numpy as np

    from simsrc.viz.fit_plots import display
    from simsrc.fit.solver import STATUS_NAMES

    value, se = np.asarray(result.value), np.asarray(result.stderr)
    params = []
    for i, name in enumerate(result.names):
        entry = {"name": name, "value": value[..., i], "stderr": se[..., i],
                 "at_bound": np.asarray(result.at_bound)[..., i]}
        if value.ndim == 1:
            dv, ds, unit = display(name, value[i], se[i])
            entry["display"] = {"value": dv, "stderr": ds, "unit": unit}
        params.append(entry)
    status = np.asarray(result.status)
    return {"parameters": params, "correlation": result.correlation,
            "covariance": result.covariance, "rms": result.rms, "dof": result.dof,
            "residual_variance": result.residual_variance, "n_data": result.n_data,
            "iterations": result.iterations,
            "status": STATUS_NAMES[int(status)] if status.ndim == 0 else
            [STATUS_NAMES[int(s)] for s in status]}


def _result_text(result, inline: bool = False) -> str:
    """One fit's parameters ± standard errors in display units (and its correlations)."""
    import numpy as np

    from simsrc.viz.fit_plots import display, short_name
    from simsrc.fit.solver import STATUS_NAMES

    parts = []
    for i, name in enumerate(result.names):
        v, s, unit = display(name, result.value[i], result.stderr[i])
        err = f"± {s:.3g}" if math.isfinite(s) else "(at its bound)"
        parts.append(f"{short_name(name)} {v:.4g} {err} {unit}")
    status = STATUS_NAMES[int(result.status)]
    if inline:
        return "; ".join(parts) + f" [{status}]"
    corr = np.asarray(result.correlation)
    pairs = [f"{short_name(result.names[i])}/{short_name(result.names[j])} {corr[i, j]:+.2f}"
             for i in range(len(result.names)) for j in range(i + 1, len(result.names))]
    return ("fitted (± 1 s.e.):\n  " + "\n  ".join(parts)
            + f"\ncorrelations: {', '.join(pairs)}\nstatus: {status} after "
            f"{int(result.iterations)} iterations, {int(result.dof)} degrees of freedom")


def _jsonable(v):
    import numpy as np

    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray) or isinstance(v, np.generic):
        return _jsonable(v.tolist())
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _write_csv(path: str, columns: dict) -> None:
    import numpy as np

    names = list(columns)
    data = [np.asarray(columns[n]).ravel() for n in names]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for row in zip(*data):
            w.writerow(["" if isinstance(x, float) and not math.isfinite(x) else
                        (f"{x:.9g}" if isinstance(x, float) else x) for x in
                        (y.item() if hasattr(y, "item") else y for y in row)])


if __name__ == "__main__":  # pragma: no cover - use `simsrc fit`
    sys.exit("use `simsrc fit` (python -m simsrc fit)")
