"""Experiment 3, force and speed: does a harder push buy speed through longer strides?

Question: coaches say stronger runners push harder and so take longer strides in about the
same contact time; Weyand et al. 2000 (J Appl Physiol 89:1991) found that faster top speeds
come from greater ground forces, not from faster leg repositioning, with contact times of about
0.1 s at top speed. In a spring-mass runner with a fixed leg (stiffness, landing angle, a little
damping), which push force sustains which speed, and what happens to step length, contact time
and peak vertical force on the way?

Command (from the repository root):

    python experiments/e3_force_speed.py            # figures/e3_force_speed.png, .npz, .json
    python experiments/e3_force_speed.py --smoke    # 3 speeds x 3 angles (temporary folder)
    simsrc figures --only e3

Config: configs/e3_force_speed.toml: target speeds 4-10 m/s x landing angles 64-70°
(``[sweep]``), 70 kg, leg 0.95 m at 20 kN/m, damping ratio 0.03, rigid ground. For each point
the push amplitude of the periodic gait is solved for (``simsrc.gait.solve_push_for_speed``,
started on the low-apex running branch: ``common.push_gaits``); one step of each gait gives the
metrics.

What the figure shows: against the speed of each periodic gait (one line per landing angle):
the push force it needs (body weights), the step length, the contact and flight times (the
dotted line: Weyand et al.'s ~0.1 s at top speed) and the peak vertical ground force.
Missing points: no periodic running gait at that speed and angle. Read across the lines at one
speed: the runner who pushes harder (flatter landing angle) takes longer steps with greater
peak forces in nearly the same contact time (the claim). Read along one line: with a fixed
leg, more push sustains more speed (above the push's minimum: slow gaits of a fixed leg are
high bounces that lose more to damping), but through shorter contacts and lower peak forces.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

WEYAND_TOP_SPEED_CONTACT_S = 0.1   # Weyand et al. 2000: contact ~0.1 s at top speed
KEYS = ("push_force_bw", "speed_m_per_s", "step_length_m", "contact_time_s", "flight_time_s",
        "peak_vertical_force_bw", "mean_vertical_force_bw", "converged", "apex_height_m",
        "max_abs_multiplier", "cadence_steps_per_min")


def compute(config, smoke: bool) -> dict:
    """Gaits over the config's (speed x landing angle) grid, push force solved for."""
    params, state, _ = common.config_grid(config)
    gaits = common.push_gaits(params, state.vx_m_per_s)
    out = {k: gaits[k] for k in KEYS}
    out["target_speed_m_per_s"] = common.axis_values(config, "speed_m_per_s")
    out["angle_of_attack_deg"] = common.axis_values(config, "angle_of_attack_deg")
    return out


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), constrained_layout=True, sharex=True)
    panels = ((axes[0, 0], "push_force_bw", "push force needed (body weights)"),
              (axes[0, 1], "step_length_m", "step length (m)"),
              (axes[1, 0], "contact_time_s", "contact time (s); dashed: flight time"),
              (axes[1, 1], "peak_vertical_force_bw", "peak vertical force (body weights)"))
    colors = plt.cm.viridis(np.linspace(0.05, 0.85, len(data["angle_of_attack_deg"])))
    for j, angle in enumerate(data["angle_of_attack_deg"]):
        v = data["speed_m_per_s"][:, j]
        for ax, key, _ in panels:
            ax.plot(v, data[key][:, j], "o-", color=colors[j], label=f"landing angle {angle:g}°")
        axes[1, 0].plot(v, data["flight_time_s"][:, j], "s--", color=colors[j], ms=4, lw=1.2)
    axes[1, 0].axhline(WEYAND_TOP_SPEED_CONTACT_S, color="k", ls=":", lw=1.5,
                       label="~0.1 s at top speed (Weyand et al. 2000)")
    for ax, _, label in panels:
        ax.set_ylabel(label)
    for ax in axes[1]:
        ax.set_xlabel("speed of the periodic gait (m/s)")
    axes[0, 0].legend(loc="best")
    weyand = [h for h in axes[1, 0].get_lines() if "Weyand" in h.get_label()]
    axes[1, 0].legend(handles=weyand, loc="upper right")
    fig.suptitle("Push force and speed: periodic gaits of a 70 kg spring-mass runner\n"
                 "(leg 20 kN/m, damping ratio 0.03, rigid ground; gaps: no running gait)")
    figure_style.save(fig, path)


def fast_branch(data) -> tuple[int, np.ndarray]:
    """(landing angle index, gait indices) of the branch where the push rises with speed:
    from the gait needing the least push to the fastest, at the angle with the most gaits."""
    j = int(np.argmax(np.isfinite(data["push_force_bw"]).sum(axis=0)))
    push = data["push_force_bw"][:, j]
    ok = np.flatnonzero(np.isfinite(push))
    start = ok[np.argmin(push[ok])]
    return j, ok[ok >= start]


def same_speed_pair(data) -> tuple[int, int, int]:
    """(speed index, weakest-push angle index, strongest-push angle index) at the fastest
    target speed where the most landing angles have a gait."""
    count = np.isfinite(data["push_force_bw"]).sum(axis=1)
    i = int(np.flatnonzero(count == count.max())[-1])
    push = data["push_force_bw"][i]
    ok = np.flatnonzero(np.isfinite(push))
    return i, int(ok[np.argmin(push[ok])]), int(ok[np.argmax(push[ok])])


def claim(data) -> str:
    i, weak, strong = same_speed_pair(data)

    def at(key, j):
        return float(data[key][i, j])
    return (f"At {at('speed_m_per_s', strong):.1f} m/s the runner that pushes "
            f"{at('push_force_bw', strong):.2f} instead of {at('push_force_bw', weak):.2f} "
            f"body weights (landing at {float(data['angle_of_attack_deg'][strong]):g}° instead "
            f"of {float(data['angle_of_attack_deg'][weak]):g}°) takes "
            f"{at('step_length_m', strong):.2f} m instead of {at('step_length_m', weak):.2f} m "
            f"steps with {at('peak_vertical_force_bw', strong):.1f} instead of "
            f"{at('peak_vertical_force_bw', weak):.1f} body weights of peak force, with a contact "
            f"time only {common.ratio_text(at('contact_time_s', weak), at('contact_time_s', strong))} "
            f"different ({at('contact_time_s', strong) * 1e3:.0f} vs "
            f"{at('contact_time_s', weak) * 1e3:.0f} ms) while the step is "
            f"{common.ratio_text(at('step_length_m', weak), at('step_length_m', strong))} longer: "
            f"longer strides from greater ground forces, as Weyand et al. 2000 found in faster "
            f"sprinters.")


EXPERIMENT = common.Experiment(
    name="e3_force_speed",
    question="Does a harder push buy speed through longer strides and greater ground forces?",
    config="configs/e3_force_speed.toml",
    shows="for periodic gaits at 4-10 m/s and four landing angles: the push force they need, "
          "step length, contact/flight time and peak vertical force against speed",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
