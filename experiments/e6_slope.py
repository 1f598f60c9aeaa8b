"""Experiment 6, downhill and uphill: how does slope change the negative (eccentric) and
positive work of a step, and the peak force?

Question: runners say downhills hammer the quads. Holding a spring-mass runner at one speed on
slopes from −3° (downhill) to +1° (uphill), how much negative work must the leg absorb per
step, how much positive work must it supply, and what happens to the peak ground force?

Command (from the repository root):

    python experiments/e6_slope.py            # figures/e6_slope.png, .npz, .json
    python experiments/e6_slope.py --smoke    # 3 slopes (temporary folder)
    simsrc figures --only e6

Config: configs/e6_slope.toml: slope −3° to +1° (``[sweep]``; outside it this fixed-angle
leg has no periodic gait with a push ≥ 0), 70 kg, leg 0.95 m at 20 kN/m
landing at 68°, 5 m/s, rigid ground, leg damping ratio 0.06 (the muscles that absorb work on
landing). For each slope the push of the periodic gait is solved for (``common.push_gaits``):
the damper and the push's negative part are the negative muscle work, the push's positive
part the positive work (simsrc.metrics.steps: ``muscle_negative_work_j``, ``muscle_positive_work_j``).

What the figure shows: (left) negative and positive muscle work per step and their difference
against slope, with the energy balance m g d sin θ (d: step length) that a periodic gait must
meet (the dotted line: what the net work has to be, from the step length alone); (right) the
peak vertical (normal) force and the push needed.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

KEYS = ("push_force_bw", "speed_m_per_s", "step_length_m", "muscle_negative_work_j",
        "muscle_positive_work_j", "leg_damping_loss_j", "leg_elastic_unreturned_j",
        "peak_vertical_force_bw", "peak_vertical_force_n", "contact_time_s",
        "metabolic_cost_j_per_kg_per_m", "mechanical_change_j", "converged")


def compute(config, smoke: bool) -> dict:
    """Periodic gaits over the config's slope axis at the config's speed."""
    params, state, _ = common.config_grid(config)
    gaits = common.push_gaits(params, state.vx_m_per_s)
    out = {k: gaits[k] for k in KEYS}
    out["slope_deg"] = common.axis_values(config, "slope_deg")
    out["mass_kg"] = np.asarray(config.values["mass_kg"])
    out["gravity_m_per_s2"] = np.asarray(config.values["gravity_m_per_s2"])
    out["target_speed_m_per_s"] = np.asarray(config.values["speed_m_per_s"])
    return out


def climb_work_j(data) -> np.ndarray:
    """m g d sin θ: the work a periodic step must do against gravity (J)."""
    return (data["mass_kg"] * data["gravity_m_per_s2"] * data["step_length_m"]
            * np.sin(np.radians(data["slope_deg"])))


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, (work, force) = plt.subplots(1, 2, figsize=(14, 5.6), constrained_layout=True)
    s = data["slope_deg"]
    work.plot(s, -data["muscle_negative_work_j"], "o-", color="C3",
              label="negative (eccentric) muscle work")
    work.plot(s, data["muscle_positive_work_j"], "s-", color="C2", label="positive muscle work")
    net = data["muscle_positive_work_j"] - data["muscle_negative_work_j"]
    work.plot(s, net, "^-", color="k", lw=1.2, label="net muscle work")
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
    twin.plot(s, data["push_force_bw"], "s--", color="C3", label="push needed")
    twin.set_ylabel("push force of the gait (body weights)", color="C3")
    twin.grid(False)
    force.set_title("Peak force and push")
    fig.suptitle(f"Downhill and uphill at {float(data['target_speed_m_per_s']):g} m/s "
                 "(70 kg, leg 20 kN/m, 68°, leg damping ratio 0.06)")
    figure_style.save(fig, path)


def claim(data) -> str:
    ok = np.flatnonzero(np.isfinite(data["push_force_bw"]))
    down, level = ok[0], ok[np.argmin(np.abs(data["slope_deg"][ok]))]
    neg, pos = data["muscle_negative_work_j"], data["muscle_positive_work_j"]
    force = data["peak_vertical_force_bw"]
    more = "more" if neg[down] > neg[level] else "less"
    verdict = ("reproduces" if neg[down] > neg[level] and force[down] > force[level]
               else "does not reproduce")
    return (f"Holding 5 m/s on a {data['slope_deg'][down]:+g}° downhill instead of the level, "
            f"this runner does {more} negative (eccentric) work per step ({neg[down]:.0f} vs "
            f"{neg[level]:.0f} J) with a peak force of {force[down]:.2f} vs {force[level]:.2f} "
            f"body weights, and balances the descent by its push (positive work "
            f"{pos[down]:.0f} vs {pos[level]:.0f} J): with a fixed damper and landing angle the "
            f"model {verdict} 'downhills hammer the quads'.")


EXPERIMENT = common.Experiment(
    name="e6_slope",
    question="How does slope change the negative (eccentric) and positive work per step and "
             "the peak force?",
    config="configs/e6_slope.toml",
    shows="negative, positive and net muscle work per step and the peak force against slope, "
          "at constant speed",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
