"""Experiment 3, force and speed: at a held speed, does a harder push buy longer strides and
greater forces, and what does more speed cost?

Question: coaches say stronger runners push harder and so take longer strides in about the
same contact time; Weyand et al. 2000 (J Appl Physiol 89:1991) found that faster top speeds
come from greater ground forces, not from faster leg repositioning, with contact times of about
0.1 s at top speed. For a spring-mass runner that controls its gait as people do (it places
its feet to keep its bounce and pushes to keep its speed), which push holds which speed at
which bounce, and what happens to step length, contact and flight time, cadence and peak
vertical force?

Command (from the repository root):

    python experiments/e3_force_speed.py            # figures/e3_force_speed.png, .npz, .json
    python experiments/e3_force_speed.py --smoke    # 3 speeds x 3 apex heights (temporary folder)
    simsrc figures --only e3

Config: configs/e3_force_speed.toml: held speeds 3-9 m/s x apex heights 0.92-0.98 m
(``[sweep]``), 70 kg, leg 0.95 m at 20 kN/m, damping ratio 0.03, rigid ground. Each point's
steady gait is solved as ``simsrc run --target-speed`` and steady sweeps solve it
(``simsrc.gait.steady.solve_held_speed``, MODEL.md §11): the foot placement holds the apex
height (the deadbeat landing angle), and the push holds the speed (or, where the push would go
negative, the leg's damping: braking; a damped leg on level ground always needs a push). At
one speed, the apex height is the runner's bounce: who bounces higher falls further onto the
leg, loses more to its damping and must push harder. One step of each gait is simulated again
from its apex for the metrics and the energy ledger (and to check that the gait repeats).
Why 0.92-0.98 m: at 3 m/s the placement lands the leg at an angle of attack of about 73°, 0.91 m
above the ground, so a lower apex has no steady gait there (the solver's last retry would hold a
raised apex instead, which is not the line's); ``on_line`` marks the gaits at the apex asked.
A held apex height is a simplification: the faster gait lands flatter, lower under the same
apex, so its flight and step grow with speed (at 9 m/s 0.28-0.38 s and 3.6-4.4 m, where
sprinters fly about 0.12 s and step about 2.2 m); the contact times and the direction of each
effect are what to read, not the long steps.

What the figure shows: against the held speed (one line per apex height): the push the gait
needs (body weights), step length, contact time (the dotted line: Weyand et al.'s ~0.1 s at
top speed) and flight time, peak vertical force and the mean vertical force over the contact
(the force Weyand et al. measured), cadence and the landing angle the foot placement chose
(open markers: the speed held by braking). Read across the lines at one speed: the
runner that pushes harder (bounces higher) takes longer steps, at a lower cadence, with higher
peak forces, in nearly the same contact time (the claim). Read along one line: what more speed
costs (push, peak force) and how contact and cadence change with it.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

WEYAND_TOP_SPEED_CONTACT_S = 0.1   # Weyand et al. 2000: contact ~0.1 s at top speed
KEYS = ("speed_m_per_s", "step_length_m", "contact_time_s", "flight_time_s",
        "peak_vertical_force_bw", "mean_vertical_force_bw", "cadence_steps_per_min",
        "landing_angle_deg", "apex_height_m", "muscle_positive_work_j", "muscle_negative_work_j",
        "leg_damping_loss_j", "leg_elastic_unreturned_j", "mechanical_change_j")
#: contact times within this fraction of each other read as "about the same"
SAME_CONTACT = 0.1
#: a gait is on its line when it holds the apex height asked to this (m)
ON_LINE_M = 1e-9


def compute(config, smoke: bool) -> dict:
    """Steady gaits over the config's (held speed x apex height) grid, pushing or braking."""
    params, state, _ = common.config_grid(config)
    held_y = np.asarray(state.y_m, float)
    g = common.held_speed_gaits(params, state, keep=lambda y: np.abs(y - held_y) <= ON_LINE_M)
    ok, y, v, push_bw, use_braking, step = (g.ok, g.apex_height_m, g.apex_speed_m_per_s,
                                            g.push_force_bw, g.braking, g.step)
    push, braking = g.push_solve, g.braking_solve
    pick = lambda a, b: np.where(use_braking, b, a)  # noqa: E731
    damping = np.asarray(g.run_params.leg_damping_n_s_per_m, float)
    good = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    out = {k: good(step[k]) for k in KEYS}
    out["push_force_bw"] = good(push_bw)
    out["apex_speed_m_per_s"] = good(v)
    out["converged"] = ok
    out["on_line"] = np.abs(y - held_y) <= ON_LINE_M
    out["braking"] = use_braking
    critical = 2.0 * np.sqrt(np.asarray(params.leg_stiffness_n_per_m) * np.asarray(params.mass_kg))
    out["leg_damping_ratio"] = good(damping / critical)
    out["reason"] = pick(push.reason, braking.reason)
    out["max_abs_multiplier"] = good(pick(push.max_abs_multiplier, braking.max_abs_multiplier))
    closed = lambda g: np.max(np.abs(g.controlled_multipliers), axis=-1)  # noqa: E731
    out["closed_loop_max_abs_multiplier"] = good(pick(closed(push), closed(braking)))
    out["target_speed_m_per_s"] = common.axis_values(config, "speed_m_per_s")
    out["held_apex_height_m"] = common.axis_values(config, "apex_height_m")
    out["mass_kg"] = np.asarray(config.values["mass_kg"])
    out["gravity_m_per_s2"] = np.asarray(config.values["gravity_m_per_s2"])
    return out


PANELS = (("push_force_bw", "push that holds the speed (body weights)"),
          ("step_length_m", "step length (m)"),
          ("contact_time_s", "contact time (s)"),
          ("flight_time_s", "flight time (s)"),
          ("peak_vertical_force_bw", "peak vertical force (body weights)"),
          ("mean_vertical_force_bw", "mean vertical force in contact (body weights)"),
          ("cadence_steps_per_min", "cadence (steps/min)"),
          ("landing_angle_deg", "landing angle chosen by the foot placement (deg)"))


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(22, 9.5), constrained_layout=True, sharex=True)
    heights = data["held_apex_height_m"]
    colors = plt.cm.viridis(np.linspace(0.05, 0.85, len(heights)))
    v = data["target_speed_m_per_s"]
    brake = np.asarray(data["braking"], bool)
    for j, h in enumerate(heights):
        for ax, (key, _) in zip(axes.flat, PANELS):
            ax.plot(v, data[key][:, j], "o-", color=colors[j], label=f"apex height {h:.2f} m")
            ax.plot(v[brake[:, j]], data[key][brake[:, j], j], "o", mfc="white",
                    color=colors[j], ms=9)
    contact = axes.flat[[k for k, _ in PANELS].index("contact_time_s")]
    contact.axhline(WEYAND_TOP_SPEED_CONTACT_S, color="k", ls=":", lw=1.5,
                    label="~0.1 s at top speed (Weyand et al. 2000)")
    for ax, (_, label) in zip(axes.flat, PANELS):
        ax.set_ylabel(label)
    for ax in axes[1]:
        ax.set_xlabel("held speed (m/s)")
    axes[0, 0].legend(loc="best")
    weyand = [h for h in contact.get_lines() if "Weyand" in h.get_label()]
    contact.legend(handles=weyand, loc="upper right")
    n_ok, n = int(np.sum(data["converged"])), int(np.size(data["converged"]))
    fig.suptitle("Push, speed and bounce: steady gaits of a 70 kg spring-mass runner that places "
                 "its feet to keep its apex height and pushes to hold its speed\n"
                 f"(leg 20 kN/m, damping ratio 0.03, rigid ground; {n_ok} of {n} points have a "
                 "steady gait; open markers: held by braking)")
    figure_style.save(fig, path)


def _pair(data) -> tuple[int, int, int]:
    """(speed index, lowest-push apex index, highest-push apex index) at the fastest held speed
    where the most apex heights have a gait."""
    count = np.isfinite(data["push_force_bw"]).sum(axis=1)
    i = int(np.flatnonzero(count == count.max())[-1])
    push = data["push_force_bw"][i]
    ok = np.flatnonzero(np.isfinite(push))
    return i, int(ok[np.argmin(push[ok])]), int(ok[np.argmax(push[ok])])


def _line(data) -> tuple[int, int, int]:
    """(apex index, slowest speed index, fastest speed index) of the middle apex height's line
    (its first and last gait)."""
    j = len(data["held_apex_height_m"]) // 2
    ok = np.flatnonzero(np.isfinite(data["push_force_bw"][:, j]))
    return j, int(ok[0]), int(ok[-1])


def claim(data) -> str:
    return across_claim(data) + " " + along_claim(data)


def across_claim(data) -> str:
    """At one speed, the harder push against the softer one."""
    i, weak, strong = _pair(data)

    def at(key, j):
        return float(data[key][i, j])
    h = data["held_apex_height_m"]
    tc_w, tc_s = at("contact_time_s", weak), at("contact_time_s", strong)
    step = common.ratio_text(at("step_length_m", weak), at("step_length_m", strong))
    contact = common.ratio_text(tc_w, tc_s)
    longer = "longer" if at("step_length_m", strong) > at("step_length_m", weak) else "shorter"
    fewer = ("fewer" if at("cadence_steps_per_min", strong) < at("cadence_steps_per_min", weak)
             else "more")
    forces = ("greater" if at("peak_vertical_force_bw", strong)
              > at("peak_vertical_force_bw", weak) else "smaller")
    same = ("about the same" if abs(tc_s / tc_w - 1.0) <= SAME_CONTACT else
            ("a longer" if tc_s > tc_w else "a shorter"))
    verdict = (f"{longer}, {fewer} steps through {forces} ground forces in {same} contact time")
    return (f"At a held {at('speed_m_per_s', strong):.0f} m/s the runner that bounces to "
            f"{h[strong]:.2f} instead of {h[weak]:.2f} m pushes "
            f"{at('push_force_bw', strong):.2f} instead of {at('push_force_bw', weak):.2f} body "
            f"weights and takes {at('step_length_m', strong):.2f} instead of "
            f"{at('step_length_m', weak):.2f} m steps ({step}) at "
            f"{at('cadence_steps_per_min', strong):.0f} instead of "
            f"{at('cadence_steps_per_min', weak):.0f} steps/min, with "
            f"{at('peak_vertical_force_bw', strong):.1f} instead of "
            f"{at('peak_vertical_force_bw', weak):.1f} body weights of peak force, in a contact "
            f"{contact} different ({tc_s * 1e3:.0f} vs {tc_w * 1e3:.0f} ms): at one speed the "
            f"harder push buys {verdict}.")


def along_claim(data) -> str:
    """Along the middle apex height's line: what more speed costs, against Weyand et al."""
    j, slow, fast = _line(data)

    def at(key, i):
        return float(data[key][i, j])
    tc_fast = at("contact_time_s", fast)
    cadence = ("rises" if at("cadence_steps_per_min", fast) > at("cadence_steps_per_min", slow)
               else "falls")
    unlike = ("as in runners" if cadence == "rises" else
              "unlike runners, whose cadence rises with speed (with the apex height held, the "
              "faster gait lands flatter and lower under it)")
    near = ("near" if abs(tc_fast - WEYAND_TOP_SPEED_CONTACT_S) <= 0.25 * WEYAND_TOP_SPEED_CONTACT_S
            else "far from")

    def way(key):
        return "rises" if at(key, fast) > at(key, slow) else "falls"
    return (f"Along the {data['held_apex_height_m'][j]:.2f} m line, from "
            f"{at('speed_m_per_s', slow):.0f} to {at('speed_m_per_s', fast):.0f} m/s the push "
            f"{way('push_force_bw')} from {at('push_force_bw', slow):.2f} to "
            f"{at('push_force_bw', fast):.2f} body weights, the peak force "
            f"{way('peak_vertical_force_bw')} from {at('peak_vertical_force_bw', slow):.1f} to "
            f"{at('peak_vertical_force_bw', fast):.1f} body weights and the step length "
            f"{way('step_length_m')} from {at('step_length_m', slow):.2f} to "
            f"{at('step_length_m', fast):.2f} m, while the contact time "
            f"{way('contact_time_s')} from {at('contact_time_s', slow) * 1e3:.0f} to "
            f"{tc_fast * 1e3:.0f} ms ({near} Weyand et al.'s ~100 ms at top speed) and the "
            f"cadence {cadence} from {at('cadence_steps_per_min', slow):.0f} to "
            f"{at('cadence_steps_per_min', fast):.0f} steps/min and the flight time "
            f"{way('flight_time_s')} from {at('flight_time_s', slow) * 1e3:.0f} to "
            f"{at('flight_time_s', fast) * 1e3:.0f} ms: {unlike}; "
            f"{int(np.sum(data['converged']))} of {int(np.size(data['converged']))} points "
            f"have a steady gait.")


EXPERIMENT = common.Experiment(
    name="e3_force_speed",
    question="At a held speed, does a harder push buy longer strides and greater ground "
             "forces, and what does more speed cost?",
    config="configs/e3_force_speed.toml",
    shows="steady gaits (foot placement holding the apex height, push holding the speed) at "
          "3-9 m/s and four apex heights: the push they need, step length, contact and "
          "flight time, peak and mean vertical force, cadence and the landing angle chosen, "
          "against speed",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
