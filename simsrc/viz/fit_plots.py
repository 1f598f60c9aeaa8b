"""Figures of fits: a measured vs fitted force curve with its residuals, stiffness over a run.

Only draws (matplotlib, Agg backend); the numbers come from ``simsrc.fit.force`` /
``simsrc.fit.watch``, the display units from ``simsrc.fit.report``.
"""
from __future__ import annotations

import numpy as np

from simsrc.fit.report import display, short_name


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def force_fit_axes(axes, curve, result, model, *, label: str = "fitted model",
                   measured_label: str = "measured (mean of steps)"):
    """Draw one fit into ``axes`` = [[vertical, horizontal], [residual v, residual h]].

    ``curve`` is the ``ForceCurve`` fitted, ``result`` its ``FitResult``, ``model`` the fitted
    stance (t_s, vertical_bw, horizontal_bw, ...) from ``fit_force.fitted_stance``.
    """
    t_model, fv, fh = model[0], model[1], model[2]
    w = np.asarray(curve.weight) > 0
    t = np.asarray(curve.time_s)[w]
    n = np.asarray(curve.weight).shape[-1]
    r = np.asarray(result.residual)
    horizontal = float(curve.horizontal_weight) > 0
    for col, (meas, mod, res, name) in enumerate((
            (curve.vertical_bw, fv, r[:n], "vertical"),
            (curve.horizontal_bw, fh, r[n:], "horizontal (+ forward)"))):
        top, bottom = axes[0][col], axes[1][col]
        top.plot(t * 1e3, np.asarray(meas)[w], ".", color="k", ms=3, label=measured_label)
        top.plot(np.asarray(t_model) * 1e3, mod, "-", color="C3", lw=1.8, label=label)
        top.set_ylabel(f"{name} force (body weights)")
        fitted = col == 0 or horizontal
        res_w = np.asarray(res)[w]
        rms = float(np.sqrt(np.mean(res_w**2))) if fitted else float("nan")
        top.set_title(f"{name}: RMS {rms:.3f} BW" if fitted else f"{name} (not fitted)",
                      fontsize=10)
        top.axhline(0.0, color="0.8", lw=0.8)
        bottom.axhline(0.0, color="0.6", lw=0.8)
        if fitted:
            bottom.plot(t * 1e3, res_w, ".-", color="C0", ms=3, lw=0.8)
        bottom.set_ylabel("model − measured (BW)")
        bottom.set_xlabel("time from touchdown (ms)")
    axes[0][0].legend(fontsize=8, loc="upper right")


def force_fit_figure(curve, result, model, path: str, title: str = "") -> str:
    """Measured vs fitted vertical and horizontal force with the residual panels; PNG."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.3]}, constrained_layout=True)
    force_fit_axes(axes, curve, result, model)
    text = "   ".join(f"{short_name(n)} {_fmt(n, v, s)}" for n, v, s in
                      zip(result.names, np.asarray(result.value), np.asarray(result.stderr)))
    fig.suptitle((title + "\n" if title else "") + text, fontsize=10)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def stiffness_series_figure(watch_fit, path: str, title: str = "") -> str:
    """Fitted leg stiffness per second (± 1 s.e.), the Morin estimate and the device's value
    over the run (top); fitted against device or Morin per second (bottom); PNG."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), constrained_layout=True,
                                      gridspec_kw={"height_ratios": [1.6, 1]})
    t_min = np.asarray(watch_fit.time_s) / 60.0
    k = np.asarray(watch_fit.leg_stiffness_n_per_m) / 1e3
    se = np.asarray(watch_fit.leg_stiffness_stderr_n_per_m) / 1e3
    morin = np.where(watch_fit.fitted, watch_fit.morin_leg_stiffness_n_per_m, np.nan) / 1e3
    device = np.asarray(watch_fit.device_leg_spring_stiffness_n_per_m) / 1e3
    top.fill_between(t_min, k - se, k + se, color="C3", alpha=0.25, lw=0,
                     label="fitted ± 1 s.e.")
    top.plot(t_min, k, "-", color="C3", lw=0.7, label="fitted SLIP leg stiffness")
    top.plot(t_min, morin, "-", color="C0", lw=0.6, alpha=0.8, label="Morin et al. 2005 k_leg")
    has_device = np.isfinite(device).any()
    if has_device:
        top.plot(t_min, device, "-", color="k", lw=0.6, alpha=0.8,
                 label="device 'Leg Spring Stiffness'")
    top.set_xlabel("time (min)")
    top.set_ylabel("leg stiffness (kN/m)")
    finite = np.concatenate([v[np.isfinite(v)] for v in (k, morin, device)])
    if finite.size:
        lo, hi = np.percentile(finite, [0.5, 99.5])
        top.set_ylim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
    top.legend(fontsize=8, loc="upper right", ncol=2)
    top.set_title(title or "leg stiffness over the run", fontsize=10)
    other, name = (device, "device 'Leg Spring Stiffness'") if has_device else \
        (morin, "Morin et al. 2005 k_leg")
    both = np.isfinite(k) & np.isfinite(other)
    bottom.plot(other[both], k[both], ".", ms=2, alpha=0.4, color="C3")
    if both.any():
        lo = min(other[both].min(), k[both].min())
        hi = max(other[both].max(), k[both].max())
        bottom.plot([lo, hi], [lo, hi], "--", color="0.5", lw=0.8, label="equal")
        bottom.legend(fontsize=8)
    bottom.set_xlabel(f"{name} (kN/m)")
    bottom.set_ylabel("fitted (kN/m)")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _fmt(name, value, stderr) -> str:
    v, s, unit = display(name, value, stderr)
    return f"{v:.4g} ± {s:.2g} {unit}" if np.isfinite(s) else f"{v:.4g} {unit} (at bound)"
