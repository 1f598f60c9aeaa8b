"""Experiment 7, the swinging leg: how does the swing of the leg set where the foot lands, the
cadence, and what does swinging the leg faster cost?

Question: the leg that is not on the ground swings forward like a pendulum about the hip (a
passive human leg swings at about 0.64 Hz, Doke, Donelan & Kuo 2005, J Exp Biol 208:439, who
also found the metabolic cost of swinging a leg rising steeply with the swing frequency). In
a two-legged spring-mass runner whose swing leg is a physical pendulum (Winter 2009 segment
data) driven by a hip spring, how do the hip spring's stiffness, and so the swing's natural
frequency, change the landing angle, the cadence, the hip's work and its metabolic cost?

Command (from the repository root):

    python experiments/e7_swing_leg.py            # figures/e7_swing_leg.png, .npz, .json
    python experiments/e7_swing_leg.py --smoke    # 3 hip stiffnesses, 30 steps
    simsrc figures --only e7

Config: configs/e7_swing_leg.toml: 70 kg, leg 0.95 m at 11 kN/m, rigid level ground, no push
or leg damping (the body runs for free, so every joule of muscle work is the swing's), the
pendulum landing mode with the hip spring's neutral angle 28° forward and damping ratio 0.7,
from an apex of 0.93 m at 3.5 m/s; the hip stiffness is the ``[sweep]`` axis. Each runner runs
40 steps and the last 5 are averaged when the run has settled (``simsrc.metrics.steps.steady_state``);
runners that fall or do not settle are left out (gaps).

What the figure shows: (left) the angle of the swinging leg from the vertical through three
steps of the base runner (the leg that lands next; at each touchdown the other leg, which
lifted off one step before, takes over) and the stance leg's angle, stance phases shaded; (middle) against the hip stiffness: the swing's natural
frequency √((m_l g d + k_hip)/I)/2π, the cadence and the landing angle; (right) the hip's
positive and negative work per step and the metabolic cost of the swing (positive work at 25 %
and negative work at 120 % efficiency, docs/metrics.md) per kg and metre.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

LAST_STEPS = 5


def compute(config, smoke: bool) -> dict:
    """Runs over the hip-stiffness axis, their steady state, and the base runner's swing."""
    import simsrc
    from simsrc.config.load import base_point, numerical_options
    from simsrc.metrics.steps import steady_state
    from simsrc.engine.swing import natural_frequency_hz

    params, state, _ = common.config_grid(config)
    options = numerical_options(config.values, [params])
    n_steps = 30 if smoke else int(config.values["n_steps"])
    out = simsrc.simulate(params, state, n_steps, options=options)
    rec = out.records
    ss = steady_state(params, rec, last_steps=min(LAST_STEPS, n_steps // 3))
    ok = np.asarray(ss.converged)
    m = ss.metrics
    led = rec.ledger
    tail = slice(-min(LAST_STEPS, n_steps // 3), None)

    def mean_tail(v):
        with np.errstate(invalid="ignore"):
            tail_v = np.asarray(v)[..., tail]
            n = np.sum(np.isfinite(tail_v), axis=-1)
            total = np.nansum(tail_v, axis=-1)
        return np.where(ok & (n > 0), total / np.maximum(n, 1), np.nan)

    mass = float(config.values["mass_kg"])
    hip_pos = mean_tail(led.hip_swing_positive_j)
    hip_neg = mean_tail(led.hip_swing_negative_j)
    step_len = np.where(ok, np.asarray(m.step_length_m), np.nan)
    data = dict(
        hip_stiffness_n_m_per_rad=common.axis_values(config, "hip_stiffness_n_m_per_rad"),
        natural_frequency_hz=np.asarray(natural_frequency_hz(simsrc.engine.params.as_arrays(params))),
        converged=ok,
        steps_completed=np.sum(np.asarray(rec.status) == 0, axis=-1),
        cadence_steps_per_min=np.where(ok, np.asarray(m.cadence_steps_per_min), np.nan),
        speed_m_per_s=np.where(ok, np.asarray(m.speed_m_per_s), np.nan),
        contact_time_s=np.where(ok, np.asarray(m.contact_time_s), np.nan),
        step_length_m=step_len,
        landing_angle_deg=np.degrees(mean_tail(rec.landing_angle_rad)),
        hip_positive_j=hip_pos, hip_negative_j=hip_neg,
        swing_metabolic_j_per_kg_per_m=(hip_pos / 0.25 - hip_neg / 1.2) / (mass * step_len),
        swing_residual_j=np.nanmax(np.abs(np.asarray(led.swing_residual_j)), axis=-1),
    )
    # the base runner: settle, then three steps with a dense trajectory
    p0, s0 = base_point(config)
    settle = simsrc.simulate(p0, s0, 30, options=options)
    last = simsrc.State(*[np.asarray(v) for v in settle.final_state])
    shown = simsrc.simulate(p0, last._replace(x_m=0.0), 3, options=options,
                            swing=settle.final_swing, trajectory=True, flight_samples=24,
                            stance_samples=30)
    tr = shown.trajectory
    data["trace_t_s"] = np.asarray(tr.t_s).ravel()
    data["trace_swing_deg"] = np.degrees(np.asarray(tr.swing_angle_rad).ravel())
    data["trace_phase"] = np.asarray(tr.phase).ravel()
    # the stance leg's angle from the vertical (foot at x_f of its step), NaN outside stance
    foot = np.asarray(shown.records.foot_x_m)[:, None] * np.ones(np.shape(tr.x_m))
    stance_deg = np.degrees(np.arctan2(foot - np.asarray(tr.x_m), np.asarray(tr.y_m)))
    data["trace_stance_deg"] = np.where(np.asarray(tr.phase) == 1, stance_deg, np.nan).ravel()
    data["trace_status"] = np.asarray(shown.records.status)
    data["base_hip_stiffness"] = np.asarray(float(config.values["hip_stiffness_n_m_per_rad"]))
    data["base_natural_frequency_hz"] = np.asarray(
        natural_frequency_hz(simsrc.engine.params.as_arrays(p0)))
    return data


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, (ta, fa, wa) = plt.subplots(1, 3, figsize=(18, 5.6), constrained_layout=True)
    t = data["trace_t_s"]
    ta.plot(t, data["trace_swing_deg"], color="C4", lw=2.2,
            label="swinging leg (the one that lands next)")
    ta.plot(t, data["trace_stance_deg"], color="C1", lw=2.2, label="stance leg")
    stance = data["trace_phase"] == 1
    edges = np.flatnonzero(np.diff(stance.astype(int)))
    starts = [t[i + 1] for i in edges if not stance[i]]
    ends = [t[i] for i in edges if stance[i]]
    for a, b in zip(starts, ends):
        ta.axvspan(a, b, color="0.85", lw=0)
    ta.axhline(0, color="0.5", lw=0.8)
    ta.set_xlabel("time (s); grey: stance")
    ta.set_ylabel("swing-leg angle from the vertical (deg, forward +)")
    ta.set_title(f"Swing at k_hip = {float(data['base_hip_stiffness']):.0f} N·m/rad "
                 f"(f = {float(data['base_natural_frequency_hz']):.2f} Hz)")
    ta.legend(loc="lower right")

    k = data["hip_stiffness_n_m_per_rad"]
    ok = data["converged"].astype(bool)
    fa.plot(k, data["natural_frequency_hz"] * 60, "k--", lw=1.5,
            label="swing natural frequency (cycles/min)")
    fa.plot(k[ok], data["cadence_steps_per_min"][ok] / 2, "o-", color="C0",
            label="stride frequency (strides/min)")
    bad = k[~ok]
    if bad.size:
        fa.plot(bad, np.full(bad.shape, np.nanmin(data["natural_frequency_hz"] * 60) * 0.95),
                "x", color="0.4", label="no steady gait")
    fa.set_xlabel("hip spring stiffness k_hip (N·m/rad)")
    fa.set_ylabel("per minute")
    twin = fa.twinx()
    twin.plot(k[ok], data["landing_angle_deg"][ok], "s:", color="C3",
              label="landing angle (deg from vertical)")
    twin.set_ylabel("landing angle (deg)", color="C3")
    mid = np.nanmean(data["landing_angle_deg"][ok]) if ok.any() else 25.0
    twin.set_ylim(mid - 10, mid + 10)
    twin.grid(False)
    h1, l1 = fa.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    fa.legend(h1 + h2, l1 + l2, fontsize=10, loc="upper left")
    fa.set_title("Swing, cadence and landing angle (steady gaits)")

    wa.plot(k[ok], data["hip_positive_j"][ok], "o-", color="C2", label="hip positive work")
    wa.plot(k[ok], -data["hip_negative_j"][ok], "s-", color="C3", label="hip negative work")
    wa.set_xlabel("hip spring stiffness k_hip (N·m/rad)")
    wa.set_ylabel("work per step (J)")
    twin = wa.twinx()
    twin.plot(k[ok], data["swing_metabolic_j_per_kg_per_m"][ok], "^--", color="k",
              label="metabolic cost of the swing")
    twin.set_ylabel("metabolic cost of the swing (J/kg/m)")
    twin.grid(False)
    h1, l1 = wa.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    wa.legend(h1 + h2, l1 + l2, fontsize=10, loc="upper left")
    wa.set_title("What the swing costs")
    fig.suptitle("The swinging leg: a physical pendulum about the hip with a hip spring "
                 "(70 kg, leg 0.95 m at 11 kN/m, 3.5 m/s start)")
    figure_style.save(fig, path)


def claim(data) -> str:
    ok = np.flatnonzero(data["converged"].astype(bool))
    if ok.size < 2:
        return (f"Only {ok.size} of {len(data['converged'])} hip stiffnesses gave a steady "
                "gait, too few to compare.")
    a, b = ok[0], ok[-1]
    k = data["hip_stiffness_n_m_per_rad"]
    f = data["natural_frequency_hz"]
    cost = data["swing_metabolic_j_per_kg_per_m"]
    cad = data["cadence_steps_per_min"]
    return (f"A stiffer hip spring ({k[a]:.0f} to {k[b]:.0f} N·m/rad: the swing's natural "
            f"frequency {f[a]:.2f} to {f[b]:.2f} Hz) raises the hip's positive work from "
            f"{data['hip_positive_j'][a]:.1f} to {data['hip_positive_j'][b]:.1f} J per step "
            f"and the swing's metabolic cost from {cost[a]:.2f} to {cost[b]:.2f} J/kg/m "
            f"({100 * (cost[b] / cost[a] - 1):+.0f} %) while the cadence goes from "
            f"{cad[a]:.0f} to {cad[b]:.0f} steps/min and the landing angle stays near "
            f"{np.nanmean(data['landing_angle_deg'][ok]):.0f}°; steady gaits exist for "
            f"{ok.size} of {len(k)} stiffnesses ({k[a]:.0f}-{k[b]:.0f} N·m/rad).")


EXPERIMENT = common.Experiment(
    name="e7_swing_leg",
    question="How does the swinging leg set the landing angle and cadence, and what does "
             "swinging it faster cost?",
    config="configs/e7_swing_leg.toml",
    shows="the swing-leg angle through three steps; natural frequency, cadence and landing "
          "angle, and the hip's work and metabolic cost, against the hip spring's stiffness",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
