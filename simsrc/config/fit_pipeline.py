"""The ``simsrc fit`` pipeline: a checked ``FitConfig`` in, a ``FitRun`` out; writes nothing.

    run = run_fit(load_fit_config("configs/fit/fukuchi_3p5.toml"))
    print("\n".join(run.lines))      # the summary; run.body is fit.json, run.columns residuals.csv

What each kind of data goes through:

- ``force`` (.txt, .c3d): the force-plate recording (``simsrc.measured.forceplate``), its steps
  and mean stance curve (``simsrc.measured.contacts``), the fit of that curve
  (``simsrc.fit.force.fit_force_curve``), the Morin et al. 2005 stiffness of the same steps;
  with ``per_step``, every step's own curve fitted as one batch;
- ``stride`` (.csv): one fit of the stride metrics per row (``simsrc.fit.stride``), each row's
  own mass and leg length where the table has them;
- ``watch`` (.fit): one fit per running second (``simsrc.fit.watch.fit_watch``), compared with
  the Morin estimate and the device's own leg spring stiffness.

The runner's values come from the config (``[runner]``: mass, leg length or height; a missing
required value is a ``SimsrcInputError`` naming the key and the flag). The command
(``simsrc.cli.fit``) writes fit.json, residuals.csv and fit_config.toml into ``FitRun.folder``,
draws ``FitRun.figures`` (``simsrc.viz.fit_plots``) and prints ``FitRun.lines``.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from simsrc.config.fit import FitConfig, resolve_data_file
from simsrc.errors import SimsrcInputError
from simsrc.fit.report import result_json, result_text


@dataclasses.dataclass(frozen=True)
class FitFigure:
    """A figure a fit asks for: ``name`` (the PNG's stem: ``force_fit`` for
    ``simsrc.viz.fit_plots.force_fit_figure``, ``stiffness`` for ``stiffness_series_figure``),
    its title, and ``data``, the drawing function's arguments before the path and title."""

    name: str
    title: str
    data: tuple


@dataclasses.dataclass(frozen=True)
class FitRun:
    """What one ``simsrc fit`` found (nothing written yet).

    Attributes:
        kind: ``force``, ``stride`` or ``watch``.
        data_file: the data file fitted.
        folder: the output folder (``[output] folder``, default ``runs/fit_NAME``).
        config: the config resolved (``file`` and ``kind`` filled in): fit_config.toml.
        body: the fit.json document (numpy values included: convert them for JSON).
        columns: the residuals.csv columns, name -> 1-D array (one row per point, step or
            second).
        lines: the summary, one line per entry.
        figures: the figures to draw (drawn when ``config.values["figures"]``).
    """

    kind: str
    data_file: pathlib.Path
    folder: str
    config: FitConfig
    body: dict
    columns: dict
    lines: list
    figures: tuple


def output_folder(config: FitConfig, path: pathlib.Path) -> str:
    """``[output] folder``, or ``runs/fit_NAME`` with NAME the config file's stem (the data
    file's stem when the settings came from the command line)."""
    return config.values["folder"] or os.path.join(
        "runs", "fit_" + (os.path.splitext(os.path.basename(config.source))[0]
                          if config.source.endswith(".toml") else
                          os.path.splitext(path.name)[0]))


def run_fit(config: FitConfig) -> FitRun:
    """Read the data file of ``config`` and fit it as the config says (see the module doc).

    Raises:
        SimsrcInputError: no or an unknown data file, a missing required value (mass, speed),
            bad fitted parameter names, or unreadable data.
    """
    from simsrc import __version__

    path, kind = resolve_data_file(config)
    folder = output_folder(config, path)
    body, columns, lines, figures = {"force": _force, "stride": _stride, "watch": _watch}[kind](
        config, path)
    body = {"simsrc_version": __version__, "kind": kind, "data_file": str(path),
            "config": config.source, "settings": config.values, **body}
    resolved = dataclasses.replace(config, values={**config.values, "file": str(path),
                                                   "kind": kind})
    return FitRun(kind, path, folder, resolved, body, columns, lines, figures)


# ----------------------------------------------------------------------------- force

def _runner(config, where_kind: str, need_mass: bool = True):
    """(mass kg or None, leg length m, notes): the leg from ``leg_length_m``, else 0.53 x
    ``height_m``, else the default; the notes say which."""
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
    """Fit the mean stance force curve of a force-plate recording (and each step's, with
    ``per_step``); returns (body, columns, lines, figures)."""
    from simsrc.measured.contacts import detect_steps, mean_stance_curve
    from simsrc.fit.force import (DEFAULT_FREE, curve_rms_bw, fit_force_curve,
                                  force_curve_from_stance, force_curves_per_step,
                                  fitted_stance)
    from simsrc.fit.guess import morin_leg_stiffness_n_per_m
    from simsrc.measured.forceplate import read_force_c3d, read_force_text
    from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2, canonical_params

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
    # the parameters the fit holds fixed come from the canonical case (Seyfarth et al. 2002)
    base = canonical_params(surface=v["surface"])
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
            "fit": result_json(result),
            "rms_vertical_bw": float(rms_v), "rms_horizontal_bw": float(rms_h),
            "model_contact_time_s": float(np.asarray(model[3].contact_time_s)),
            "morin_leg_stiffness_n_per_m": morin}
    lines = [f"simsrc fit: {path.name}, {steps.n_steps} steps at {speed:g} m/s, runner "
             f"{mass:g} kg, leg {leg:.3f} m" + (f" ({'; '.join(notes)})" if notes else ""),
             result_text(result),
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

    figure = FitFigure("force_fit", f"{path.name}: {steps.n_steps} steps at {speed:g} m/s "
                       f"({mass:g} kg, L0 {leg:.2f} m)", (curve, result, model))
    return body, rows, lines, (figure,)


# ----------------------------------------------------------------------------- stride

def _stride(config, path):
    """One stride-metric fit per row of a stride table; returns (body, columns, lines, ())."""
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
                       "notes": notes}, "fit": result_json(result)}
    lines = [f"simsrc fit: {path.name}, {table.n_rows} rows" +
             (f" ({'; '.join(notes)})" if notes else "")]
    for i in range(table.n_rows):
        lines.append(f"row {i + 1}: " + result_text(result.index(i), inline=True))
    rows = {"row": np.arange(1, table.n_rows + 1)}
    for j, name in enumerate(result.names):
        rows[name] = result.value[:, j]
        rows[name + "_stderr"] = result.stderr[:, j]
    for j, name in enumerate(METRICS + ("periodicity",)):
        rows["residual_sigma_" + name] = result.residual[:, j]
    rows["status"] = result.status
    return body, rows, lines, ()


# ----------------------------------------------------------------------------- watch

def _watch(config, path):
    """One fit per running second of a watch recording; returns (body, columns, lines,
    figures)."""
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

    figure = FitFigure("stiffness", f"{path.name}: per-second SLIP fits ({fit.mass_kg:g} kg, "
                       f"L0 {fit.leg_length_m:.2f} m)", (fit,))
    return body, rows, lines, (figure,)
