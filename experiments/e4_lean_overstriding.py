"""Experiment 4, lean and over-striding: what do lean and foot placement do to braking,
propulsion, speed and cost, and how large is the horizontal force really?

Question: coaches say lean from the ankles and do not over-stride (land with the foot far
ahead of the body); others say running is "a vertical jump with forward momentum". For a
spring-mass runner held at one speed, how do lean and foot placement change the braking and
propulsive impulses, the push needed and the metabolic estimate, and how large is the
horizontal ground force compared with the vertical one (peak horizontal / peak vertical,
braking impulse / vertical impulse)?

Command (from the repository root):

    python experiments/e4_lean_overstriding.py            # figures/e4_lean_overstriding.*
    python experiments/e4_lean_overstriding.py --smoke    # 3 leans (temporary folder)
    simsrc figures --only e4

Config: configs/e4_lean_overstriding.toml: lean −1.5° to +3.5° (``[sweep]``), 70 kg, leg 0.95 m at
20 kN/m landing at 68° to the body, damping ratio 0.03, rigid ground, 5 m/s. For each lean the
push of the periodic gait is solved for (``common.push_gaits``).

What the figure shows: against the foot's distance ahead of the COM at touchdown (top axis:
the lean), (left) the braking and propulsive impulses, (middle) the size of the horizontal
force relative to the vertical (peak ratio and impulse ratio, in %), (right) the push force
the gait needs and the metabolic estimate (J/kg/m; simsrc.metrics.steps: the cost of replacing lost
work, not the full cost of running).
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402
from simsrc.engine.frame import landing_angle_rad  # noqa: E402

KEYS = ("push_force_bw", "speed_m_per_s", "braking_impulse_n_s", "propulsive_impulse_n_s",
        "vertical_impulse_n_s", "peak_vertical_force_n", "peak_braking_force_n",
        "peak_propulsive_force_n", "metabolic_cost_j_per_kg_per_m", "contact_time_s",
        "step_length_m", "landing_angle_deg", "converged")


def compute(config, smoke: bool) -> dict:
    """Periodic gaits over the config's lean axis at the config's speed."""
    params, state, _ = common.config_grid(config)
    gaits = common.push_gaits(params, state.vx_m_per_s)
    out = {k: gaits[k] for k in KEYS}
    out["lean_deg"] = common.axis_values(config, "lean_deg")
    beta = np.asarray(landing_angle_rad(params))
    out["foot_ahead_m"] = np.asarray(params.leg_length_m) * np.sin(beta)
    out["target_speed_m_per_s"] = np.asarray(config.values["speed_m_per_s"])
    return out


def horizontal_share(data) -> dict[str, np.ndarray]:
    """Peak braking force / peak vertical force and |braking impulse| / vertical impulse."""
    return {"peak_ratio": data["peak_braking_force_n"] / data["peak_vertical_force_n"],
            "impulse_ratio": -data["braking_impulse_n_s"] / data["vertical_impulse_n_s"]}


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, (imp, share, cost) = plt.subplots(1, 3, figsize=(16, 5.6), constrained_layout=True)
    x = 100 * data["foot_ahead_m"]
    imp.plot(x, -data["braking_impulse_n_s"], "o-", color="C3", ms=11, mfc="none",
             label="braking (|impulse|)")
    imp.plot(x, data["propulsive_impulse_n_s"], "s-", color="C2", ms=5, lw=1.2,
             label="propulsive (equal: a periodic\nlevel gait keeps its speed)")
    imp.set_ylabel("horizontal impulse per step (N·s)")
    imp.set_title("Braking and propulsion")
    imp.legend()
    r = horizontal_share(data)
    share.plot(x, 100 * r["peak_ratio"], "o-", color="C1", label="peak braking / peak vertical")
    share.plot(x, 100 * r["impulse_ratio"], "s-", color="C0",
               label="braking / vertical impulse")
    share.set_ylabel("horizontal relative to vertical (%)")
    share.set_title("How big is the horizontal force?")
    share.set_ylim(bottom=0)
    share.legend()
    cost.plot(x, data["push_force_bw"], "o-", color="C3", label="push needed (body weights)")
    cost.set_ylabel("push force of the gait (body weights)", color="C3")
    twin = cost.twinx()
    twin.plot(x, data["metabolic_cost_j_per_kg_per_m"], "s--", color="0.3",
              label="metabolic estimate")
    twin.set_ylabel("metabolic estimate (J/kg/m)", color="0.3")
    twin.grid(False)
    cost.set_title("What it costs")
    for ax in (imp, share, cost):
        ax.set_xlabel("foot ahead of the COM at touchdown (cm)")
        top = ax.secondary_xaxis("top", functions=(_lean_from_x(data), _x_from_lean(data)))
        top.set_xlabel("lean (deg)")
    fig.suptitle(f"Lean and over-striding at {float(data['target_speed_m_per_s']):g} m/s "
                 "(70 kg, leg 20 kN/m landing at 68° to the body, damping ratio 0.03)")
    figure_style.save(fig, path)


def _lean_from_x(data):
    xs, leans = 100 * data["foot_ahead_m"], data["lean_deg"]
    order = np.argsort(xs)
    return lambda x: np.interp(x, xs[order], leans[order])


def _x_from_lean(data):
    xs, leans = 100 * data["foot_ahead_m"], data["lean_deg"]
    order = np.argsort(leans)
    return lambda lean: np.interp(lean, leans[order], xs[order])


def claim(data) -> str:
    ok = np.flatnonzero(np.isfinite(data["push_force_bw"]))
    back, fwd = ok[np.argmin(data["lean_deg"][ok])], ok[np.argmax(data["lean_deg"][ok])]
    r = horizontal_share(data)
    return (f"Leaning {data['lean_deg'][back]:+g}° → {data['lean_deg'][fwd]:+g}° moves the foot "
            f"from {100 * data['foot_ahead_m'][back]:.0f} to {100 * data['foot_ahead_m'][fwd]:.0f} "
            f"cm ahead of the COM and cuts the braking impulse from "
            f"{-data['braking_impulse_n_s'][back]:.1f} to {-data['braking_impulse_n_s'][fwd]:.1f} N·s "
            f"and the push needed from {data['push_force_bw'][back]:.2f} to "
            f"{data['push_force_bw'][fwd]:.2f} body weights, yet even the over-strider's peak "
            f"braking force is only {100 * np.nanmax(r['peak_ratio'][ok]):.0f} % of its peak "
            f"vertical force (braking impulse ≤ {100 * np.nanmax(r['impulse_ratio'][ok]):.0f} % of "
            f"the vertical impulse): running is mostly a vertical bounce.")


EXPERIMENT = common.Experiment(
    name="e4_lean_overstriding",
    question="What do lean and over-striding do to braking, propulsion and cost, and how big "
             "is the horizontal force?",
    config="configs/e4_lean_overstriding.toml",
    shows="braking/propulsive impulses, horizontal-to-vertical force ratios, and the push and "
          "metabolic cost against the foot's distance ahead of the COM (and lean)",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
