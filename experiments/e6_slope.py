"""Experiment 6, downhill and uphill: how does slope change the negative (eccentric) and
positive work of a step, the peak force, and the impact of the foot strike?

Question: runners say downhills hammer the quads and pound the legs. Holding a runner at one
speed on slopes from −10° (downhill) to +10° (uphill), how much negative (eccentric) work must
its muscles absorb per step, how much positive work must they supply, what happens to the peak
ground force, and how hard does the foot strike (impact peak and loading rate)?

Command (from the repository root):

    python experiments/e6_slope.py            # figures/e6_slope.png, .npz, .json
    python experiments/e6_slope.py --smoke    # 3 slopes (temporary folder)
    simsrc figures --only e6

Config: configs/e6_slope.toml: slope −10° to +10° (``[sweep]``), the runner of configs/slope.toml
(70 kg, leg 0.95 m at 11 kN/m, leg damping ratio 0.1, rigid ground) held at 3.5 m/s. Each
slope's steady gait is solved as ``simsrc run --target-speed`` and steady sweeps solve it
(``simsrc.gait.steady.solve_held_speed``, MODEL.md §11): the foot placement holds the apex
height (the deadbeat landing angle), and the speed is held by the push (positive work) or,
downhill where even no push gains energy, by braking (the leg's damping solved: negative,
eccentric work). The damper and the push's negative part are the negative muscle work, the
push's positive part the positive work (simsrc.metrics.steps: ``muscle_negative_work_j``,
``muscle_positive_work_j``).

Impact (MODEL.md §12): the massless runner has no impact peak, so each steady gait's touchdown
starts a stance of the two-mass runner of ``simsrc/engine/impact.py`` (``simsrc.metrics.impact``):
the body's velocity and landing angle at touchdown of the steady step, the leg's damping and the
slope as the gait has them (impact.py works in the surface frame with gravity tilted by the
slope, as the steady gait does), a heel strike in a cushioned shoe (``IMPACT_STRIKE``,
``IMPACT_SHOE``: the common strike of shod runners, and here assumed downhill too, where the
foot lands further ahead to brake; the presets' foot mass and contact), the foot moving relative
to the body as in the heel preset, and a leg stiffness that makes leg and contact in series the
11 kN/m leg (``impact_params``). Its impact peak (BW) and average loading rate (20-80 %, BW/s)
are the figure's third panel; the stance's ledger residual is in the data. The two-mass stance
has the gait's push, which acts only after the impact (the push is zero while the foot is ahead
of the COM): the impact does not depend on it.
Why downhill pounds: to brake, the foot placement lands the leg further ahead of the COM
(larger landing angle), so from the same apex height the COM falls further before touchdown
and meets the ground faster; the braking leg's damping adds to the peak.

What the figure shows: (left) negative and positive muscle work per step and their difference
against slope, with the energy balance m g d sin θ (d: step length) that a steady gait must
meet (the dotted line, from the step length alone): the net muscle work less the elastic energy
the damped leg still holds when it leaves the ground (lost with the massless leg) lies on it;
(middle) the peak normal force, and the push or braking that holds the speed; (right) the impact
peak and the average loading rate of the heel strike from each slope's steady touchdown.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.metrics.impact import impact_at_touchdown  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

# The impact: heel strike in a cushioned shoe (presets of simsrc/engine/impact.py). Heel
# striking is the common strike, and more so downhill, where runners land further ahead of the
# COM to brake. The stance from each gait's touchdown: simsrc.metrics.impact.
IMPACT_STRIKE, IMPACT_SHOE = "heel", "cushioned"

KEYS = ("push_force_bw", "speed_m_per_s", "step_length_m", "muscle_negative_work_j",
        "muscle_positive_work_j", "leg_damping_loss_j", "leg_elastic_unreturned_j",
        "peak_vertical_force_bw", "peak_vertical_force_n", "contact_time_s",
        "metabolic_cost_j_per_kg_per_m", "mechanical_change_j", "converged")


def compute(config, smoke: bool) -> dict:
    """Steady gaits at the config's speed over its slope axis, pushing or braking."""
    params, state, _ = common.config_grid(config)
    g = common.held_speed_gaits(params, state)
    ok, push_bw, use_braking, step = g.ok, g.push_force_bw, g.braking, g.step
    push, braking = g.push_solve, g.braking_solve
    damping = np.asarray(g.run_params.leg_damping_n_s_per_m, float)
    good = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    impact = impact_at_touchdown(g.run_params, g.run.records, ok, IMPACT_STRIKE, IMPACT_SHOE)
    out = {k: good(step[k]) for k in KEYS if k not in ("push_force_bw", "converged")}
    out["push_force_bw"] = good(push_bw)
    out["converged"] = ok
    out["braking"] = use_braking
    # the leg's damping as a ratio of critical, 2 sqrt(k m): the braking the runner chooses
    critical = 2.0 * np.sqrt(np.asarray(params.leg_stiffness_n_per_m) * np.asarray(params.mass_kg))
    out["leg_damping_ratio"] = good(damping / critical)
    out["reason"] = np.where(use_braking, braking.reason, push.reason)
    out["slope_deg"] = common.axis_values(config, "slope_deg")
    out["mass_kg"] = np.asarray(config.values["mass_kg"])
    out["gravity_m_per_s2"] = np.asarray(config.values["gravity_m_per_s2"])
    out["target_speed_m_per_s"] = np.asarray(config.values["speed_m_per_s"])
    out["apex_height_m"] = good(np.broadcast_to(np.asarray(state.y_m, float), ok.shape))
    out["configured_damping_ratio"] = np.asarray(config.values["leg_damping_ratio"])
    out.update(impact)
    return out


def climb_work_j(data) -> np.ndarray:
    """m g d sin θ: the work a periodic step must do against gravity (J)."""
    return (data["mass_kg"] * data["gravity_m_per_s2"] * data["step_length_m"]
            * np.sin(np.radians(data["slope_deg"])))


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, (work, force, impact) = plt.subplots(1, 3, figsize=(20, 5.6), constrained_layout=True)
    s = data["slope_deg"]
    work.plot(s, -data["muscle_negative_work_j"], "o-", color="C3",
              label="negative (eccentric) muscle work")
    work.plot(s, data["muscle_positive_work_j"], "s-", color="C2", label="positive muscle work")
    net = data["muscle_positive_work_j"] - data["muscle_negative_work_j"]
    work.plot(s, net, "^-", color="k", lw=1.2, label="net muscle work")
    work.plot(s, net - data["leg_elastic_unreturned_j"], "x", color="C1", ms=9,
              label="net − the leg's elastic energy lost at liftoff")
    work.plot(s, climb_work_j(data), ":", color="0.4", lw=2.5,
              label="m g d sin θ (gravity's share)")
    work.axhline(0, color="0.6", lw=0.8)
    work.set_xlabel("slope (deg, uphill positive)")
    work.set_ylabel("work per step (J)")
    work.set_title("Work per step at constant speed")
    work.legend(fontsize=11)
    force.plot(s, data["peak_vertical_force_bw"], "o-", color="C0", label="peak normal force")
    force.set_xlabel("slope (deg, uphill positive)")
    force.set_ylabel("peak normal ground force (body weights)", color="C0")
    twin = force.twinx()
    push = np.where(data["braking"], np.nan, data["push_force_bw"])
    brake = np.where(data["braking"], data["leg_damping_ratio"], np.nan)
    twin.plot(s, push, "s--", color="C2", label="push (body weights)")
    twin.plot(s, brake, "v--", color="C3", label="braking: leg damping ratio")
    twin.axhline(float(data["configured_damping_ratio"]), color="C3", lw=0.8, ls=":",
                 label="the runner's own damping ratio")
    twin.set_ylabel("push (body weights) or braking (damping ratio)")
    twin.grid(False)
    twin.legend(loc="upper center", fontsize=11)
    force.set_title("Peak force, and what holds the speed")
    _plot_impact(impact, data)
    fig.suptitle(f"Downhill and uphill at a held {float(data['target_speed_m_per_s']):g} m/s "
                 "(70 kg, leg 11 kN/m, leg damping ratio 0.1, rigid ground)")
    figure_style.save(fig, path)


def _plot_impact(ax, data) -> None:
    """Impact peak (left axis) and average loading rate (right axis) against slope."""
    s = data["slope_deg"]
    ax.plot(s, data["impact_peak_bw"], "o-", color="C4", label="impact peak")
    ax.set_xlabel("slope (deg, uphill positive)")
    ax.set_ylabel("impact peak (body weights)", color="C4")
    twin = ax.twinx()
    twin.plot(s, data["impact_loading_rate_bw_per_s"], "d--", color="C1",
              label="average loading rate (20-80 %)")
    twin.set_ylabel("average loading rate (BW/s)", color="C1")
    twin.grid(False)
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="upper right", fontsize=11)
    ax.set_title(f"Impact: {IMPACT_STRIKE} strike, {IMPACT_SHOE} shoe, lower leg 8 % of mass")


def claim(data) -> str:
    ok = np.flatnonzero(np.asarray(data["converged"], bool))
    down, level = ok[0], ok[np.argmin(np.abs(data["slope_deg"][ok]))]
    up = ok[-1]
    neg, pos = data["muscle_negative_work_j"], data["muscle_positive_work_j"]
    force = data["peak_vertical_force_bw"]
    more = "more" if neg[down] > neg[level] else "less"
    verdict = ("reproduces" if neg[down] > neg[level] else "does not reproduce")
    v = float(data["target_speed_m_per_s"])
    return (f"Holding {v:g} m/s on a {data['slope_deg'][down]:+g}° downhill instead of the "
            f"level, this runner does {more} negative (eccentric) work per step "
            f"({neg[down]:.0f} vs {neg[level]:.0f} J) and {pos[down]:.0f} instead of "
            f"{pos[level]:.0f} J of positive work, with a peak force of {force[down]:.2f} vs "
            f"{force[level]:.2f} body weights; uphill ({data['slope_deg'][up]:+g}°) it is "
            f"{pos[up]:.0f} J positive and {neg[up]:.0f} J negative: the model {verdict} "
            f"'downhills hammer the quads' as eccentric work ({ok.size} of "
            f"{np.size(data['slope_deg'])} slopes have a steady gait; in each the net muscle "
            f"work, less the elastic energy the leg still holds at liftoff, is m g d sin θ). "
            + impact_claim(data, down, level, up))


def impact_claim(data, down, level, up) -> str:
    """The impact's sentence of the claim, at the downhill, level and uphill slopes given."""
    peak, rate = data["impact_peak_bw"], data["impact_loading_rate_bw_per_s"]
    vy = data["touchdown_vy_m_per_s"]
    slope = data["slope_deg"]
    verdict = ("reproduces" if peak[down] > peak[level] and rate[down] > rate[level]
               else "does not reproduce")
    return (f"With a {IMPACT_STRIKE} strike in a {IMPACT_SHOE} shoe (a lower leg with mass, "
            f"from each steady touchdown), downhill: impact peak {peak[down]:.2f} BW and "
            f"loading rate {rate[down]:.0f} BW/s at {slope[down]:+g}° against the level's "
            f"{peak[level]:.2f} BW and {rate[level]:.0f} BW/s ({peak[up]:.2f} BW, "
            f"{rate[up]:.0f} BW/s at {slope[up]:+g}°): the COM lands at {-vy[down]:.2f} m/s "
            f"towards the ground instead of {-vy[level]:.2f} m/s, and the model {verdict} "
            f"'downhills pound the legs'.")


EXPERIMENT = common.Experiment(
    name="e6_slope",
    question="How does slope change the negative (eccentric) and positive work per step, "
             "the peak force and the impact of the foot strike?",
    config="configs/e6_slope.toml",
    shows="steady gaits at a held speed over slope -10..+10 deg: negative, positive and net "
          "muscle work per step, the peak force, the push or braking that holds the speed, and "
          "the impact peak and loading rate of a heel strike from each gait's touchdown",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
