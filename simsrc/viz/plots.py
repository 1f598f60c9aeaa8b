"""Figures: a run's trajectory, and a sweep's metrics against its axes.

Only loads data and draws (matplotlib, Agg backend). Sweep figures: a line plot for one axis,
a heatmap for two, small multiples of heatmaps along a third; further axes are held at their
middle value (said in the title). Axes and colour bars carry human labels with units
(``simsrc.viz.labels``). A metric is drawn only where the point's ``run_status`` is 0 (a steady
gait, or a run that completed every step: the mean over its steps); every other point is not a
value but a marker (line plot) or a hatched cell (heatmap) in its status's colour, and the
legend counts the points of each status ("steady: 39 of 48", "slows: 8"). ``run_status.png``
shows where and why runs failed.
"""
from __future__ import annotations

import os

import numpy as np

from simsrc.metrics.summary import STATUS_NAMES
from simsrc.viz.labels import label, status_words, value_text

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

#: how a point without a value (run_status != 0) is marked, by status: a marker on a line plot,
#: a hatched cell on a heatmap, both filled with the status's colour in ``run_status.png``
#: (in the order of the sorted codes: invalid_params, ok (never marked), the step failures, the
#: no-gait reasons)
MARKERS = ("o", "", "X", "v", "s", "D", "^", "P", "*", "h", "<", ">", "d", "p", "8", "H")
HATCHES = ("///", "\\\\\\", "xxx", "...", "|||", "---", "+++", "ooo", "//..", "\\\\..",
           "xx..", "||--", "++..", "oo--", "//||", "\\\\--")


def _axis_coords(ds, axis):
    """(positions, label, tick labels or None, log scale?) of one sweep axis."""
    if axis.numeric:
        return (np.asarray(ds[axis.name].values, float), label(axis.name), None,
                axis.scale == "log")
    ticks = [" / ".join(_short(ds[k].values[i]) for k in axis.keys) for i in range(len(axis))]
    return np.arange(len(axis), dtype=float), " / ".join(label(k) for k in axis.keys), ticks, \
        False


def _short(v) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def _label(da) -> str:
    return "run status" if "flag_values" in da.attrs else label(da.name)


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


def _status_mark(plt, code):
    """(colour, marker, hatch, ink) of a status code; ink: the hatch and marker edge colour
    that shows on that colour."""
    codes, cmap, norm = _status_style(plt)
    i = codes.index(int(code)) if int(code) in codes else len(codes) - 1
    colour = cmap(norm(int(code)))
    ink = "w" if 0.3 * colour[0] + 0.59 * colour[1] + 0.11 * colour[2] < 0.35 else "0.15"
    return colour, MARKERS[i % len(MARKERS)], HATCHES[i % len(HATCHES)], ink


def status_counts(status, steady: bool) -> list[tuple[int, str]]:
    """(code, legend text) for the ok points and each failure present, ok first:
    ``[(0, "steady: 39 of 48"), (17, "slows: 8"), (18, "no flight: 1")]``."""
    status = np.asarray(status).ravel()
    codes, counts = np.unique(status[status != 0], return_counts=True)
    out = [(0, f"{status_words(0, steady)}: {int(np.sum(status == 0))} of {status.size}")]
    return out + [(int(c), f"{status_words(c, steady)}: {int(n)}") for c, n in zip(codes, counts)]


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
    pos, text, ticks, log = coords
    getattr(ax, f"set_{which}label")(text)
    if ticks is not None:
        getattr(ax, f"set_{which}ticks")(pos)
        getattr(ax, f"set_{which}ticklabels")(ticks, rotation=30 if which == "x" else 0,
                                              fontsize=7)
    if log:
        getattr(ax, f"set_{which}scale")("log")
        if len(pos) <= 8:  # the swept values as plain numbers, not powers of ten
            axis = getattr(ax, f"{which}axis")
            axis.set_ticks(pos, [_short(v) for v in pos])
            axis.set_ticks([], minor=True)


def _line(plt, da, status, axes_, ds, steady):
    """One axis: the values of the ok points as a line; every other point a marker by status on
    the x axis, never a value."""
    status = np.asarray(status)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    c = _axis_coords(ds, axes_[0])
    counts = status_counts(status, steady)
    if "flag_values" in da.attrs:
        codes, cmap, norm = _status_style(plt)
        ax.scatter(c[0], da.values, c=da.values, cmap=cmap, norm=norm)
        ax.set_yticks(codes)
        ax.set_yticklabels([status_words(k, steady) for k in codes], fontsize=7)
        for code, text in counts:
            ax.plot([], [], "o", color=cmap(norm(code)), label=text)
    else:
        y = np.where(status == 0, np.asarray(da.values, float), np.nan)
        ax.plot(c[0], y, "o-", color="C0", lw=1, ms=4, label=counts[0][1])
        for code, text in counts[1:]:
            colour, marker, _, ink = _status_mark(plt, code)
            at = status == code
            ax.plot(c[0][at], np.zeros(at.sum()), marker, mfc=colour, mec=ink, ms=8, mew=0.8,
                    clip_on=False, transform=ax.get_xaxis_transform(), label=text)
        ax.set_ylabel(_label(da))
    ax.legend(fontsize=7)
    _setup_axis(ax, "x", c)
    return fig


def _heat(ax, da, status, cx, cy, vmin, vmax, plt):
    """One heatmap panel: the ok points' values as colours (a masked array: every other cell is
    masked), each other cell hatched in its status's colour."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    values = np.asarray(da.values, float).T
    status = np.asarray(status).T
    kw = {}
    if "flag_values" in da.attrs:
        _, kw["cmap"], kw["norm"] = _status_style(plt)
    else:
        values = np.ma.masked_where((status != 0) | ~np.isfinite(values), values)
        kw.update(vmin=vmin, vmax=vmax, cmap="viridis")
    ax.set_facecolor("0.85")
    xe, ye = _edges(cx[0], cx[3]), _edges(cy[0], cy[3])
    mesh = ax.pcolormesh(xe, ye, values, shading="flat", **kw)
    if "flag_values" not in da.attrs:
        for code in np.unique(status[status != 0]):
            colour, _, hatch, ink = _status_mark(plt, code)
            cells = [Rectangle((xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i])
                     for i, j in np.argwhere(status == code)]
            ax.add_collection(PatchCollection(cells, facecolor=colour, edgecolor="none",
                                              hatch=hatch, hatchcolor=ink, linewidth=0,
                                              gid=f"status {int(code)}"))
    _setup_axis(ax, "x", cx)
    _setup_axis(ax, "y", cy)
    return mesh


def _heat_legend(plt, fig, counts, is_status):
    from matplotlib.patches import Patch

    handles = []
    for code, text in counts:
        colour, _, hatch, ink = _status_mark(plt, code)
        if is_status:
            handles.append(Patch(facecolor=colour, label=text))
        elif code == 0:
            handles.append(Patch(facecolor=plt.get_cmap("viridis")(0.6), label=text))
        else:
            handles.append(Patch(facecolor=colour, hatch=hatch, hatchcolor=ink, lw=0,
                                 label=text))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)),
               fontsize=7)


def _heatmaps(plt, da, status, axes_, ds, steady):
    cx, cy = _axis_coords(ds, axes_[0]), _axis_coords(ds, axes_[1])
    third = axes_[2] if len(axes_) > 2 else None
    picks = [None] if third is None else \
        sorted(set(np.linspace(0, len(third) - 1, min(len(third), MAX_PANELS)).round().astype(int)))
    ncol = min(3, len(picks))
    nrow = -(-len(picks) // ncol)
    fig, grid = plt.subplots(nrow, ncol, figsize=(4.2 * ncol + 1, 3.6 * nrow + 0.6),
                             constrained_layout=True, squeeze=False)
    drawn = {} if third is None else {third.name: picks}
    is_status = "flag_values" in da.attrs
    values = np.asarray(da.isel(drawn).values, float)
    shown = values if is_status else np.where(status.isel(drawn).values == 0, values, np.nan)
    finite = np.isfinite(shown)
    vmin = float(np.min(shown[finite])) if finite.any() else 0.0
    vmax = float(np.max(shown[finite])) if finite.any() else 1.0
    mesh = None
    for ax, k in zip(grid.ravel(), picks):
        sel = {} if k is None else {third.name: k}
        mesh = _heat(ax, da.isel(sel), status.isel(sel), cx, cy, vmin, vmax, plt)
        if k is not None:
            ax.set_title(", ".join(value_text(key, ds[key].values[k]) for key in third.keys),
                         fontsize=9)
    for ax in grid.ravel()[len(picks):]:
        ax.set_visible(False)
    # status codes are not evenly spaced (the no-gait reasons start at 11): proportional
    # spacing puts each tick on its colour
    bar = fig.colorbar(mesh, ax=grid.ravel().tolist(), shrink=0.9,
                       spacing="proportional" if is_status else "uniform")
    if is_status:
        codes = sorted(STATUS_NAMES)
        bar.set_ticks(codes)
        bar.set_ticklabels([status_words(c, steady) for c in codes])
    else:
        bar.set_label(_label(da))
    _heat_legend(plt, fig, status_counts(status.isel(drawn).values, steady), is_status)
    return fig


def _title(name, steady: bool, line: bool) -> str:
    if name == "run_status":
        return "run status of each point"
    mark = "marked on the x axis" if line else "hatched"
    if steady:
        return f"{label(name)}: each point's steady gait\n(no steady gait: no value, {mark} " \
               "by reason)"
    return f"{label(name)}: mean over the steps of runs that completed every step\n" \
           f"(a failed run: no value, {mark} by status)"


def sweep_figure(ds, axes, name: str):
    """The figure of one variable of a sweep (``run_status`` or ``mean_<metric>``) against its
    axes; the caller saves and closes it.

    Only the points with ``run_status`` 0 (a steady gait, or every step completed) are drawn as
    values; every other point is drawn as a marker or hatch of its status, never as a number
    (a failed point's mean may be 0 or a partial run's), and the legend counts the points of
    each status among those drawn. Axes beyond the third are held at their middle value.
    """
    plt = _pyplot()
    held = {a.name: len(a) // 2 for a in axes[3:]}
    sub = ds.isel(held) if held else ds
    note = ", ".join(value_text(k, ds[k].values[i])
                     for (_, i), a in zip(held.items(), axes[3:]) for k in a.keys)
    steady = ds.attrs.get("answer") == "steady"
    line = len(axes) == 1
    fig = (_line if line else _heatmaps)(plt, sub[name], sub["run_status"], axes[:3], sub,
                                        steady)
    fig.suptitle(_title(name, steady, line) + (f"  [held at {note}]" if note else ""),
                 fontsize=10)
    return fig


def sweep_figures(ds, axes, metrics, folder: str) -> list[str]:
    """Draw ``run_status`` and ``mean_<metric>`` for each metric against the sweep axes
    (``sweep_figure``).

    Returns the paths of the PNG files written into ``folder``.
    """
    plt = _pyplot()
    os.makedirs(folder, exist_ok=True)
    paths = []
    for name in ["run_status"] + ["mean_" + m for m in metrics]:
        if name not in ds:
            continue
        fig = sweep_figure(ds, axes, name)
        path = os.path.join(folder, f"{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
