"""Animations of simulated runs: a GIF (and an MP4 where ffmpeg is installed) of the runner.

Each frame draws the body (a disc at the COM), the stance leg as a spring from the foot to the
COM (it visibly compresses), the swinging leg, the ground sinking under the foot and the
footprints a plastic ground keeps, the ground force on the foot as an arrow (0.25 m per body
weight) and live energy bars: kinetic, gravitational (above the run's lowest point), elastic
(leg + ground) and lost (cumulative, net of the push work; ``simsrc.metrics.energy_series``). Two
configs are drawn one above the other on the same clock (e.g. firm vs sand).

The legs: in the pendulum landing mode the trajectory's ``swing_angle_rad`` (the angle of the
leg that lands next, from the surface normal, forward positive) is drawn as the swinging leg
during stance and as the landing leg during flight. The other airborne leg (the one that just
lifted off), and the swinging leg of the fixed and retraction modes (no swinging leg in the
engine, ``swing_angle_rad`` is NaN), are interpolated (smoothly, cosine easing) from the liftoff
angle to the next landing angle, the legs alternating step by step.

This module only draws runs it is given (``make_frames`` samples a run with a trajectory,
``render`` draws the frames); loading and simulating configs is the ``simsrc animate`` command's
part (``simsrc.cli.animate``):

    simsrc animate configs/default.toml -o run.gif
    simsrc animate configs/default.toml configs/stiffness_lean_push_sand.toml -o firm_sand.gif
"""
from __future__ import annotations

import os
import shutil
from typing import NamedTuple

import numpy as np

FORCE_ARROW_M_PER_BW = 0.25
SPRING_COILS = 7
SPRING_HALF_WIDTH_M = 0.035
DEFAULT_FRAMES = 90
SWING_DRAWN_LENGTH = 0.75   # the swinging leg is drawn shorter: it is flexed in swing
DEFAULT_FPS = 30


class Frames(NamedTuple):
    """Everything a frame draws, one row per frame (SI units)."""

    t_s: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    stance: np.ndarray             # bool: a foot is on the ground
    step: np.ndarray               # index of the current step
    foot_x_m: np.ndarray           # the stance foot (NaN in flight)
    sink_m: np.ndarray
    force_x_n: np.ndarray
    force_y_n: np.ndarray
    landing_leg_rad: np.ndarray    # angle from the normal of the leg that lands next (flight)
    swing_leg_rad: np.ndarray      # angle from the normal of the swinging leg
    kinetic_j: np.ndarray
    gravitational_j: np.ndarray
    elastic_j: np.ndarray
    lost_j: np.ndarray
    footprints: np.ndarray         # (n_steps, 3): foot x, depth, liftoff time


def _flat(v):
    return np.asarray(v, float).ravel()


def _ease(u):
    """Cosine easing 0 -> 1 on u in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def interpolated_swing_angle(t_s, td_s, lo_s, landing_rad, liftoff_rad):
    """Angle from the normal (forward positive) of the leg that is not on the ground.

    Legs alternate: step i is taken by leg i % 2, so the leg that lifts off at the end of step i
    lands again at the touchdown of step i + 2 (extrapolated by the mean step time beyond the
    run); between the two its angle eases from ``liftoff_rad[i]`` to ``landing_rad[i + 2]``.
    Before its first liftoff the other leg eases in from step 0's liftoff angle.

    Args:
        t_s: times (n,); td_s, lo_s: touchdown and liftoff times of each step (n_steps,);
        landing_rad, liftoff_rad: leg angles at touchdown and liftoff (n_steps,).
    """
    n = len(td_s)
    period = float(np.mean(np.diff(td_s))) if n > 1 else float(lo_s[0] - td_s[0]) * 3
    td_ext = np.concatenate([td_s, td_s[-1] + period * np.arange(1, 3)])
    land_ext = np.concatenate([landing_rad, np.repeat(landing_rad[-1], 2)])
    out = np.empty_like(np.asarray(t_s, float))
    for k, t in enumerate(np.asarray(t_s, float)):
        current = int(np.clip(np.searchsorted(td_s, t, side="right") - 1, 0, n - 1))
        # the swinging leg lifted off at the end of step `current - 1` (or `current` once
        # `current` has lifted off) and lands at that step + 2
        prev = current if t >= lo_s[current] else current - 1
        if prev < 0:
            start_t, start_a = td_s[0] - (lo_s[0] - td_s[0]), liftoff_rad[0]
            end_t, end_a = td_ext[1], land_ext[1]
        else:
            start_t, start_a = lo_s[prev], liftoff_rad[prev]
            end_t, end_a = td_ext[prev + 2], land_ext[prev + 2]
        u = (t - start_t) / max(end_t - start_t, 1e-9)
        out[k] = start_a + (end_a - start_a) * _ease(u)
    return out


def end_time_s(run) -> float:
    """The time (s) at which a single run's last completed step ends (the sum of its steps'
    durations); the runs drawn together share the shortest of these clocks."""
    rec = run.records
    return float(np.nansum(np.asarray(rec.touchdown_time_s) + np.asarray(rec.contact_time_s)
                           + np.asarray(rec.flight_time_s)))


def make_frames(params, run, n_frames: int, t_end_s: float | None = None) -> Frames:
    """Sample a single (unbatched) run with a trajectory at ``n_frames`` equally spaced times."""
    from simsrc.metrics.energy_series import energy_series

    tr, rec = run.trajectory, run.records
    ok = np.asarray(rec.status) == 0
    n_ok = int(np.argmin(ok)) if not ok.all() else len(ok)
    if n_ok == 0:
        raise ValueError("the run failed in its first step: nothing to animate")
    t_all = _flat(tr.t_s)
    good = np.isfinite(t_all)
    t_all = t_all[good]
    sample = {f: _flat(getattr(tr, f))[good] for f in tr._fields}
    t_end = min(t_end_s or t_all[-1], t_all[-1])
    t = np.linspace(t_all[0], t_end, n_frames)

    def at(v):
        return np.interp(t, t_all, v)
    td_s = _flat(rec.touchdown_time_s)[:n_ok]
    step_start = np.concatenate([[0.0], np.cumsum(
        (_flat(rec.touchdown_time_s) + _flat(rec.contact_time_s) + _flat(rec.flight_time_s))
        [:n_ok])])[:-1] + t_all[0]
    td_abs = step_start + td_s
    lo_abs = td_abs + _flat(rec.contact_time_s)[:n_ok]
    step = np.clip(np.searchsorted(step_start, t, side="right") - 1, 0, n_ok - 1)
    stance = (t >= td_abs[step]) & (t <= lo_abs[step])
    foot = _flat(rec.foot_x_m)[:n_ok]
    depth = _flat(rec.footprint_depth_m)[:n_ok]

    land = _flat(rec.landing_angle_rad)[:n_ok]     # fixed, retracting or swinging leg
    lo_x, lo_y = _flat(rec.liftoff.x_m)[:n_ok], _flat(rec.liftoff.y_m)[:n_ok]
    liftoff = -np.arctan2(lo_x - foot, lo_y + depth)   # behind the COM: negative
    modelled = _flat(getattr(tr, "swing_angle_rad", np.full(np.shape(tr.t_s), np.nan)))[good]
    swing = interpolated_swing_angle(t, td_abs, lo_abs, land, liftoff)
    landing_leg = land[step]
    if np.all(np.isfinite(modelled)):
        # pendulum mode: the engine integrates the leg that lands next: drawn as the swinging
        # leg in stance and as the landing leg in flight; the other airborne leg (the one that
        # just lifted off) is not in the trajectory and keeps the eased interpolation
        mod = at(modelled)
        swing = np.where(stance, mod, swing)
        landing_leg = np.where(stance, landing_leg, mod)

    series = energy_series(params, type(tr)(*[np.asarray(v)[:n_ok] for v in tr]),
                           _flat(rec.foot_x_m)[:n_ok])
    elastic = series.leg_elastic_j + series.surface_elastic_j
    grav = series.gravitational_j - np.min(series.gravitational_j)
    return Frames(
        t_s=t, x_m=at(sample["x_m"]), y_m=at(sample["y_m"]), stance=stance, step=step,
        foot_x_m=np.where(stance, foot[step], np.nan),
        sink_m=np.where(stance, at(sample["sink_m"]), 0.0),
        force_x_n=np.where(stance, at(sample["horizontal_force_n"]), 0.0),
        force_y_n=np.where(stance, at(sample["vertical_force_n"]), 0.0),
        landing_leg_rad=landing_leg, swing_leg_rad=swing,
        kinetic_j=np.interp(t, series.t_s, series.kinetic_j),
        gravitational_j=np.interp(t, series.t_s, grav),
        elastic_j=np.interp(t, series.t_s, elastic),
        lost_j=np.maximum(np.interp(t, series.t_s, series.lost_j), 0.0),
        footprints=np.stack([foot, depth, lo_abs], axis=1))


def spring_points(foot, hip, coils: int = SPRING_COILS, half_width: float = SPRING_HALF_WIDTH_M):
    """Zigzag polyline (2, n) of a spring from ``foot`` to ``hip`` (its coils squeeze as the
    leg shortens)."""
    foot, hip = np.asarray(foot, float), np.asarray(hip, float)
    axis = hip - foot
    length = np.hypot(*axis)
    u = axis / length
    normal = np.array([-u[1], u[0]])
    s = np.linspace(0.15, 0.85, 2 * coils + 1)
    offsets = np.where(np.arange(s.size) % 2 == 0, 0.0, 1.0) * half_width
    offsets[1::2] *= np.where(np.arange(coils) % 2 == 0, 1.0, -1.0)
    pts = [foot] + [foot + axis * si + normal * oi for si, oi in zip(s, offsets)] + [hip]
    return np.array(pts).T


def _ground_profile(x_lo, x_hi, foot_x, sink, prints, t, depth_scale):
    """Surface line (x, y) with footprints left before ``t`` and the dip under the foot."""
    x = np.linspace(x_lo, x_hi, 400)
    y = np.zeros_like(x)
    width = 0.09
    for fx, depth, t_lo in prints:
        if t_lo <= t and depth > 0:
            y = np.minimum(y, -depth_scale * depth * np.clip(1 - np.abs(x - fx) / width, 0, 1))
    if np.isfinite(foot_x) and sink > 0:
        y = np.minimum(y, -depth_scale * sink * np.clip(1 - np.abs(x - foot_x) / width, 0, 1))
    return x, y


def render(runs, path: str, fps: int = DEFAULT_FPS, titles=()) -> list[str]:
    """Draw ``runs`` (a list of (params, Frames)) one above the other into a GIF at ``path``
    (and an MP4 beside it when ffmpeg is available). Returns the files written."""
    from matplotlib import animation
    from matplotlib.patches import Circle, FancyArrow

    from simsrc.viz import style as figure_style

    plt = figure_style.pyplot()
    colors = figure_style.ENERGY_COLORS
    n = len(runs)
    fig, axes = plt.subplots(n, 2, figsize=(11, 3.6 * n), squeeze=False,
                             gridspec_kw={"width_ratios": [3.2, 1]}, constrained_layout=True)
    e_max = max(float(np.max(f.kinetic_j + f.gravitational_j + f.elastic_j + f.lost_j))
                for _, f in runs)
    artists = []
    for row, (params, frames) in enumerate(runs):
        ax, bars = axes[row]
        l0 = float(np.asarray(params.leg_length_m))
        ax.set_aspect("equal")
        ax.set_ylim(-0.2, 1.35 * l0)
        ax.set_xlabel("x (m)")
        ax.set_ylabel("height (m)")
        ax.grid(False)
        ax.set_title(titles[row] if row < len(titles) else "")
        ground, = ax.plot([], [], color="#6b4f2a", lw=2.5)
        spring, = ax.plot([], [], color=colors["leg_elastic"], lw=2.2)
        landing, = ax.plot([], [], color="0.35", lw=2.0)
        swing, = ax.plot([], [], color="0.6", lw=2.0, ls="-")
        body = Circle((0, 0), 0.07 * l0, color="#3b5b92", zorder=5)
        ax.add_patch(body)
        info = ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top", fontsize=11)
        names = ("kinetic", "gravit.", "elastic", "lost")
        bar_colors = [colors["kinetic"], colors["gravitational"], colors["leg_elastic"],
                      colors["lost"]]
        rects = bars.bar(range(4), np.zeros(4), color=bar_colors)
        bars.set_xticks(range(4), names, rotation=30)
        bars.set_ylim(0, 1.05 * e_max)
        bars.set_ylabel("energy (J)")
        bars.set_title("energy")
        artists.append(dict(ax=ax, ground=ground, spring=spring, landing=landing, swing=swing,
                            body=body, info=info, rects=rects, arrow=[None], l0=l0,
                            weight=float(np.asarray(params.mass_kg))
                            * float(np.asarray(params.gravity_m_per_s2)),
                            depth_scale=1.0))

    def draw(k):
        out = []
        for art, (params, f) in zip(artists, runs):
            ax, l0 = art["ax"], art["l0"]
            x, y = f.x_m[k], f.y_m[k]
            ax.set_xlim(x - 1.3 * l0, x + 1.3 * l0)
            gx, gy = _ground_profile(x - 1.5 * l0, x + 1.5 * l0, f.foot_x_m[k], f.sink_m[k],
                                     f.footprints, f.t_s[k], art["depth_scale"])
            art["ground"].set_data(gx, gy)
            art["body"].center = (x, y)
            if f.stance[k]:
                pts = spring_points((f.foot_x_m[k], -f.sink_m[k]), (x, y))
                art["spring"].set_data(*pts)
                art["landing"].set_data([], [])
            else:
                art["spring"].set_data([], [])
                b = f.landing_leg_rad[k]
                art["landing"].set_data([x, x + l0 * np.sin(b)], [y, y - l0 * np.cos(b)])
            s = f.swing_leg_rad[k]
            art["swing"].set_data([x, x + SWING_DRAWN_LENGTH * l0 * np.sin(s)],
                                 [y, y - SWING_DRAWN_LENGTH * l0 * np.cos(s)])
            if art["arrow"][0] is not None:
                art["arrow"][0].remove()
                art["arrow"][0] = None
            if f.stance[k]:
                scale = FORCE_ARROW_M_PER_BW / art["weight"]
                art["arrow"][0] = ax.add_patch(FancyArrow(
                    f.foot_x_m[k], -f.sink_m[k], scale * f.force_x_n[k], scale * f.force_y_n[k],
                    width=0.012, head_width=0.045, color=colors["push"], zorder=4))
            values = (f.kinetic_j[k], f.gravitational_j[k], f.elastic_j[k], f.lost_j[k])
            for rect, v in zip(art["rects"], values):
                rect.set_height(v)
            force_bw = np.hypot(f.force_x_n[k], f.force_y_n[k]) / art["weight"]
            art["info"].set_text(f"t = {f.t_s[k]:.3f} s   step {f.step[k] + 1}   "
                                 f"{'stance' if f.stance[k] else 'flight'}   "
                                 f"ground force {force_bw:.2f} BW")
            out += [art["ground"], art["spring"], art["body"], art["info"]]
        return out

    n_frames = min(len(f.t_s) for _, f in runs)
    # The layout is computed once, on the first frame, and then held: constrained layout redone
    # on every draw, and FuncAnimation drawing each frame three times (its own draw, an idle
    # redraw and the writer's), took 80 of the 97 s that `simsrc animate` spent on the README's
    # two-config example (cProfile; benchmarks/README.md). Each frame is now drawn once, by the
    # writer.
    draw(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    targets = [(path, animation.PillowWriter(fps=fps))]
    if shutil.which("ffmpeg") and animation.writers.is_available("ffmpeg"):
        targets.append((os.path.splitext(path)[0] + ".mp4", animation.FFMpegWriter(fps=fps)))
    dpi = plt.rcParams["savefig.dpi"]          # what Animation.save draws at (the style's)
    dpi = fig.dpi if dpi == "figure" else dpi
    for target, writer in targets:
        with writer.saving(fig, target, dpi):
            for k in range(n_frames):
                draw(k)
                writer.grab_frame()
    plt.close(fig)
    return [target for target, _ in targets]
