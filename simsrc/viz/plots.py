"""Figures: a run's trajectory, and a sweep's metrics against its axes.

Only loads data and draws (matplotlib, Agg backend). Sweep figures: a line plot for one axis,
a heatmap for two, small multiples of heatmaps along a third; further axes are held at their
middle value (said in the title). A metric is drawn as its mean over each point's completed
steps; points that did not complete every step are marked (hollow red markers, or an x on
the heatmap cell) and points with no completed step are left blank. ``run_status.png`` shows
where and why runs failed.
"""
from __future__ import annotations

import os

import numpy as np

from simsrc.metrics.summary import STATUS_NAMES

MAX_PANELS = 6


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


# ----------------------------------------------------------------------------- run

def trajectory_figure(traj, records, weight_n: float, path: str, title: str = "") -> str:
    """COM path with the feet (top) and ground force in body weights against time (bottom).

    Args:
        traj: ``Run.trajectory`` of a single run (leaves shaped (n_steps, samples)).
        records: ``Run.records`` of the same run.
        weight_n: body weight m·g (N).
        path: PNG file to write.
    """
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), constrained_layout=True)
    x, y = np.asarray(traj.x_m).ravel(), np.asarray(traj.y_m).ravel()
    phase = np.asarray(traj.phase).ravel()
    stance = np.where(phase == 1, y, np.nan)
    top.plot(x, y, color="0.4", lw=1, label="flight")
    top.plot(x, stance, color="C3", lw=2, label="stance")
    feet = np.asarray(records.foot_x_m)
    for state in (records.touchdown, records.liftoff):  # the leg at touchdown and liftoff
        xs, ys = np.asarray(state.x_m), np.asarray(state.y_m)
        for f, xc, yc in zip(feet, xs, ys):
            top.plot([f, xc], [0.0, yc], color="0.6", lw=0.8)
    top.plot(feet, np.zeros_like(feet), "^", color="k", label="foot")
    top.set_xlabel("forward position x (m)")
    top.set_ylabel("COM height y (m)")
    top.set_aspect("equal", adjustable="datalim")
    top.legend(loc="upper right", fontsize=8)
    top.set_title(title or "centre of mass path")
    t = np.asarray(traj.t_s).ravel()
    fv = np.asarray(traj.vertical_force_n).ravel() / weight_n
    fh = np.asarray(traj.horizontal_force_n).ravel() / weight_n
    bottom.plot(t, fv, color="C0", label="vertical (normal)")
    bottom.plot(t, fh, color="C1", label="horizontal")
    bottom.axhline(0, color="0.7", lw=0.8)
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("ground force (body weights)")
    bottom.legend(loc="upper right", fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- sweep

def _axis_coords(ds, axis):
    """(positions, label, tick labels or None, log scale?) of one sweep axis."""
    if axis.numeric:
        return (np.asarray(ds[axis.name].values, float), axis.name, None, axis.scale == "log")
    ticks = [" / ".join(_short(ds[k].values[i]) for k in axis.keys) for i in range(len(axis))]
    return np.arange(len(axis), dtype=float), " / ".join(axis.keys), ticks, False


def _short(v) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def _label(da) -> str:
    unit = da.attrs.get("units", "1")
    return da.name if unit == "1" or "flag_values" in da.attrs else f"{da.name} ({unit})"


def _status_style(plt):
    from matplotlib.colors import BoundaryNorm, ListedColormap

    codes = sorted(STATUS_NAMES)
    # invalid, ok, the step failures (ledger_open last), then the steady-gait reasons (no_gait_*)
    colors = ["0.55", "#2a9d4b", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#000000",
              "#ffbb78", "#e377c2", "#bcbd22", "#17becf", "#1f77b4", "#aec7e8", "#7f7f7f",
              "#c49c94", "#dbdb8d"]
    if len(colors) < len(codes):
        raise AssertionError("a status code without a colour: add one to viz.plots._status_style")
    cmap = ListedColormap(colors[: len(codes)])
    mids = [0.5 * (a + b) for a, b in zip(codes[:-1], codes[1:])]
    norm = BoundaryNorm([codes[0] - 0.5, *mids, codes[-1] + 0.5], cmap.N)
    return codes, cmap, norm


def _edges(pos, log: bool):
    """Cell edges around the centres ``pos`` (midpoints; geometric on a log axis)."""
    x = np.log(pos) if log else np.asarray(pos, float)
    if len(x) == 1:
        e = np.array([x[0] - 0.5, x[0] + 0.5])
    else:
        mid = 0.5 * (x[1:] + x[:-1])
        e = np.concatenate([[x[0] - (mid[0] - x[0])], mid, [x[-1] + (x[-1] - mid[-1])]])
    return np.exp(e) if log else e


def _setup_axis(ax, which, coords):
    pos, label, ticks, log = coords
    getattr(ax, f"set_{which}label")(label)
    if ticks is not None:
        getattr(ax, f"set_{which}ticks")(pos)
        getattr(ax, f"set_{which}ticklabels")(ticks, rotation=30 if which == "x" else 0,
                                              fontsize=7)
    if log:
        getattr(ax, f"set_{which}scale")("log")


def _line(plt, da, ok, has, axes_, ds):
    ok, has = np.asarray(ok), np.asarray(has)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    c = _axis_coords(ds, axes_[0])
    if "flag_values" in da.attrs:
        codes, cmap, norm = _status_style(plt)
        ax.scatter(c[0], da.values, c=da.values, cmap=cmap, norm=norm)
        ax.set_yticks(codes)
        ax.set_yticklabels([STATUS_NAMES[k] for k in codes], fontsize=7)
    else:
        y = np.where(has, da.values, np.nan)
        ax.plot(c[0], y, "-", color="C0", lw=1)
        ax.plot(c[0][ok], y[ok], "o", color="C0", ms=4, label="completed every step")
        part = has & ~ok
        if part.any():
            ax.plot(c[0][part], y[part], "o", mfc="none", color="C3", ms=6,
                    label="failed later (mean over the steps it completed)")
        none = ~has
        if none.any():
            ax.plot(c[0][none], np.zeros(none.sum()), "x", color="0.5", ms=5, clip_on=False,
                    transform=ax.get_xaxis_transform(), label="no completed step")
        ax.legend(fontsize=7)
        ax.set_ylabel(_label(da))
    _setup_axis(ax, "x", c)
    return fig


def _heat(ax, da, ok, has, cx, cy, vmin, vmax, plt):
    values = np.asarray(da.values, float).T
    kw = {}
    if "flag_values" in da.attrs:
        _, kw["cmap"], kw["norm"] = _status_style(plt)
    else:
        values = np.where(np.asarray(has).T, values, np.nan)
        kw.update(vmin=vmin, vmax=vmax, cmap="viridis")
    ax.set_facecolor("0.85")
    mesh = ax.pcolormesh(_edges(cx[0], cx[3]), _edges(cy[0], cy[3]), values, shading="flat",
                         **kw)
    if "flag_values" not in da.attrs:
        part = np.argwhere(np.asarray(has & ~ok).T)
        if len(part):
            ax.plot(cx[0][part[:, 1]], cy[0][part[:, 0]], "x", color="w", ms=4, mew=1)
    _setup_axis(ax, "x", cx)
    _setup_axis(ax, "y", cy)
    return mesh


def _heatmaps(plt, da, ok, has, axes_, ds):
    cx, cy = _axis_coords(ds, axes_[0]), _axis_coords(ds, axes_[1])
    third = axes_[2] if len(axes_) > 2 else None
    picks = [None] if third is None else \
        sorted(set(np.linspace(0, len(third) - 1, min(len(third), MAX_PANELS)).round().astype(int)))
    ncol = min(3, len(picks))
    nrow = -(-len(picks) // ncol)
    fig, grid = plt.subplots(nrow, ncol, figsize=(4.2 * ncol + 1, 3.6 * nrow),
                             constrained_layout=True, squeeze=False)
    shown = np.where(has, da.values, np.nan) if "flag_values" not in da.attrs else da.values
    finite = np.isfinite(shown)
    vmin = float(np.min(shown[finite])) if finite.any() else 0.0
    vmax = float(np.max(shown[finite])) if finite.any() else 1.0
    mesh = None
    for ax, k in zip(grid.ravel(), picks):
        sel = {} if k is None else {third.name: k}
        mesh = _heat(ax, da.isel(sel), ok.isel(sel), has.isel(sel), cx, cy, vmin, vmax, plt)
        if k is not None:
            ax.set_title(" / ".join(f"{key} = {_short(ds[key].values[k])}" for key in third.keys),
                         fontsize=9)
    for ax in grid.ravel()[len(picks):]:
        ax.set_visible(False)
    bar = fig.colorbar(mesh, ax=grid.ravel().tolist(), shrink=0.9)
    if "flag_values" in da.attrs:
        codes = sorted(STATUS_NAMES)
        bar.set_ticks(codes)
        bar.set_ticklabels([STATUS_NAMES[c] for c in codes])
    else:
        bar.set_label(_label(da))
    return fig


def sweep_figures(ds, axes, metrics, folder: str) -> list[str]:
    """Draw ``run_status`` and ``mean_<metric>`` for each metric against the sweep axes.

    Returns the paths of the PNG files written into ``folder``.
    """
    plt = _pyplot()
    os.makedirs(folder, exist_ok=True)
    held = {a.name: len(a) // 2 for a in axes[3:]}
    sub = ds.isel(held) if held else ds
    note = ", ".join(f"{n} = {_short(ds[a.keys[0]].values[i])}"
                     for (n, i), a in zip(held.items(), axes[3:]))
    ok = sub["run_status"] == 0
    has = sub["steps_completed"] > 0
    paths = []
    for name in ["run_status"] + ["mean_" + m for m in metrics]:
        if name not in sub:
            continue
        da = sub[name]
        fig = (_line if len(axes) == 1 else _heatmaps)(plt, da, ok, has, axes[:3], sub)
        title = name if name == "run_status" else \
            f"{name}\nof each point's steady gait (blank: no steady gait)" \
            if ds.attrs.get("answer") == "steady" else \
            f"{name}\nmean over the completed steps; x or hollow: the run failed later"
        fig.suptitle(title + (f"  [held at {note}]" if note else ""), fontsize=10)
        path = os.path.join(folder, f"{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
