"""A fit's result in words and in plain data: display units, a text summary, a JSON-ready dict.

Display units (``UNITS``): leg and surface stiffness in kN/m, the landing angle in degrees,
the apex drop in mm; everything else as fitted (SI). ``result_json`` keeps the SI values (and,
for a single fit, the display ones); ``result_text`` prints value ± 1 s.e. in display units.
Used by ``simsrc fit`` (``simsrc.config.fit_pipeline``), the fit figures
(``simsrc.viz.fit_plots``) and the fit scripts in experiments/.
"""
from __future__ import annotations

import math

import numpy as np

from simsrc.fit.solver import STATUS_NAMES

UNITS = {"leg_stiffness_n_per_m": (1e-3, "kN/m"), "angle_of_attack_rad": (180 / np.pi, "deg"),
         "push_force_bw": (1.0, "BW"), "apex_drop_m": (1e3, "mm"),
         "apex_speed_m_per_s": (1.0, "m/s"), "surface_stiffness_n_per_m": (1e-3, "kN/m"),
         "leg_length_m": (1.0, "m"),
         # the two-mass fit (fit/impact_force.py)
         "leg_damping_n_s_per_m": (1.0, "N s/m"), "touchdown_vy_m_per_s": (1.0, "m/s"),
         "foot_mass_fraction": (100.0, "% of M"), "foot_vy_m_per_s": (1.0, "m/s"),
         "contact_stiffness": (1e-3, "kN/m^n"), "contact_exponent": (1.0, ""),
         "contact_damping_s_per_m": (1.0, "s/m"), "touchdown_offset_s": (1e3, "ms")}


def display(name: str, value, stderr) -> tuple[float, float, str]:
    """(value, error, unit) in display units (kN/m, degrees, mm)."""
    scale, unit = UNITS.get(name, (1.0, ""))
    return float(value) * scale, float(stderr) * scale, unit


def short_name(name: str) -> str:
    """The parameter's name without its unit suffix (``leg_stiffness_n_per_m`` ->
    ``leg_stiffness``)."""
    for suffix in ("_n_per_m", "_n_s_per_m", "_s_per_m", "_rad", "_bw", "_m_per_s", "_m", "_s"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def result_json(result) -> dict:
    """Parameters (SI, and in display units for a single fit), correlations, statistics of a
    ``FitResult`` (arrays left as arrays: convert them for JSON)."""
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


def result_text(result, inline: bool = False) -> str:
    """One fit's parameters ± standard errors in display units, then (unless ``inline``: one
    line) its correlations, status, iterations and degrees of freedom."""
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


#: A fitted parameter whose standard error exceeds this fraction of its value is not determined
#: by the data (the fit of impossible strides once reported k = 6.9e5 ± 6.9e6 N/m, "converged").
MAX_RELATIVE_STDERR = 1.0


def trusted(fit_json: dict) -> np.ndarray:
    """Per fit (a scalar for a single fit), whether it can be believed: it converged and every
    parameter not held at a bound has a finite standard error of at most
    ``MAX_RELATIVE_STDERR`` of its value. ``fit_json`` is ``result_json``'s dict."""
    status = np.asarray(fit_json["status"])
    good = status == STATUS_NAMES[0]
    for entry in fit_json["parameters"]:
        value = np.abs(np.asarray(entry["value"], float))
        se = np.asarray(entry["stderr"], float)
        held = np.asarray(entry["at_bound"], bool)
        with np.errstate(invalid="ignore"):
            determined = np.isfinite(se) & (se <= MAX_RELATIVE_STDERR * value)
        good = good & (held | determined)
    return good
