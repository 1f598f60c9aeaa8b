"""Experiment 2, sand vs firm ground: where does the energy of a step go on sand, and what does
running on sand cost?

Question: runners say sand "eats" the energy of each step. Putting the same human-like runner
(configs/human.toml's: 70 kg, leg 0.95 m at 11 kN/m with damping ratio 0.1 and a push that
puts back what it loses) through the same apex (0.89 m, 3.5 m/s) on hard ground and on every
surface preset down to sand, how much energy does the ground give back and how much does it
absorb, how deep is the footprint, and how much more work and metabolic energy does a step
cost? Lejeune, Willems & Heglund (1998, J Exp Biol 201:2071) measured 1.15x the mechanical work
and 1.6x the metabolic energy on sand.

Command (from the repository root):

    python experiments/e2_sand.py            # figures/e2_sand.png, .npz, .json
    python experiments/e2_sand.py --smoke    # 3 surfaces (temporary folder)
    simsrc figures --only e2

Config: configs/e2_sand.toml (the surface presets are the ``[sweep]`` axis). On each surface the
push force and the angle of attack of a periodic gait through the apex are solved
(``simsrc.gait.solve_push_fd``, hold = "height"), so every surface is compared at the same speed
and the same COM apex. The sand preset was calibrated to Lejeune's metabolic ratio by
experiments/calibrate_sand.py (figures/sand_calibration.png), so the sand bar's 1.6x is the
calibration, not a prediction; the mechanical-work ratio, the footprint and the other surfaces
are outputs.

What the figure shows: (left) per step, the energy the leg spring and the ground give back, what
the leg damper and the ground absorb, and the push that replaces the losses; (middle) mechanical
work and metabolic estimate per kg and metre relative to hard ground, with Lejeune et al.'s
ratios for sand; (right) the vertical ground force and the sink of the foot through one stance
on hard ground and on sand (the sink that stays is the footprint).
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

MECH_LEJEUNE, META_LEJEUNE = 1.15, 1.6
KEYS = ("push_force_bw", "leg_elastic_returned_j", "surface_elastic_returned_j",
        "surface_elastic_peak_j", "leg_damping_loss_j", "surface_plastic_loss_j",
        "surface_damping_loss_j", "surface_elastic_unreturned_j", "push_positive_j",
        "mechanical_work_j_per_kg_per_m", "metabolic_cost_j_per_kg_per_m", "contact_time_s",
        "step_length_m", "footprint_depth_m", "surface_peak_sink_m", "peak_vertical_force_bw",
        "surface_energy_return_ratio", "com_vertical_oscillation_m", "residual_j")


def compute(config, smoke: bool) -> dict:
    """Periodic gaits through the config's apex on each surface of the ``[sweep]`` axis."""
    import simsrc
    from simsrc.gait import solve_push_fd

    params, state, _ = common.config_grid(config)
    height = float(np.ravel(state.y_m)[0])
    speed = float(np.ravel(state.vx_m_per_s)[0])
    sol = solve_push_fd(params, speed, hold="height", height_m=height,
                        push_guess_bw=float(config.values["push_force_bw"]))
    q = params._replace(push_force_bw=np.nan_to_num(sol.push_force_bw),
                        angle_of_attack_rad=np.nan_to_num(sol.angle_of_attack_rad, nan=1.2))
    out = simsrc.simulate(q, simsrc.apex(height, speed), 1, trajectory=True,
                          flight_samples=8, stance_samples=60, check=False)
    m = common.metrics_dict(q, out.records)
    ok = np.asarray(sol.converged)
    data = {k: np.where(ok, m[k][..., 0], np.nan) for k in KEYS if k != "push_force_bw"}
    data["push_force_bw"] = sol.push_force_bw
    data["angle_of_attack_deg"] = np.degrees(sol.angle_of_attack_rad)
    data["converged"] = ok
    data["surface"] = np.asarray([str(s) for s in config.axes[0].values[0]])
    tr = out.trajectory
    stance = np.asarray(tr.phase)[:, 0] == 1
    weight = float(config.values["mass_kg"]) * float(config.values["gravity_m_per_s2"])
    t = np.asarray(tr.t_s)[:, 0]
    data["stance_t_s"] = np.stack([t[i][stance[i]] - t[i][stance[i]][0]
                                   for i in range(t.shape[0])])
    data["stance_force_bw"] = np.stack([np.asarray(tr.vertical_force_n)[i, 0][stance[i]]
                                        for i in range(t.shape[0])]) / weight
    data["stance_sink_m"] = np.stack([np.asarray(tr.sink_m)[i, 0][stance[i]]
                                      for i in range(t.shape[0])])
    data["apex_height_m"] = np.asarray(height)
    data["speed_m_per_s"] = np.asarray(speed)
    return data


def _labels(data):
    return [s.replace("_", " ") for s in data["surface"]]


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    colors = figure_style.ENERGY_COLORS
    fig, (ea, ra, ta) = plt.subplots(1, 3, figsize=(18, 5.8), constrained_layout=True,
                                     gridspec_kw=dict(width_ratios=[1.3, 1.0, 1.0]))
    n = len(data["surface"])
    x = np.arange(n)
    w = 0.38
    leg_ret = data["leg_elastic_returned_j"]
    gnd_ret = data["surface_elastic_returned_j"]
    leg_loss = data["leg_damping_loss_j"]
    gnd_loss = (data["surface_plastic_loss_j"] + data["surface_damping_loss_j"]
                + data["surface_elastic_unreturned_j"])
    ea.bar(x - w / 2, leg_ret, w, color=colors["leg_elastic"], label="leg spring gives back")
    ea.bar(x - w / 2, gnd_ret, w, bottom=leg_ret, color=colors["surface_elastic"],
           label="ground gives back")
    ea.bar(x + w / 2, leg_loss, w, color=colors["lost"], label="leg damper absorbs")
    ea.bar(x + w / 2, gnd_loss, w, bottom=leg_loss, color="#c9a227",
           label="ground absorbs (plastic + damping)")
    ea.plot(x + w / 2, data["push_positive_j"], "v", color=colors["push"], ms=11,
            label="push puts back")
    ea.set_xticks(x, _labels(data))
    ea.set_ylabel("energy per step (J)")
    ea.set_title("Given back (left bar) and absorbed (right bar)")
    ea.legend(fontsize=10, loc="upper left")
    ea.set_ylim(0, 1.35 * np.nanmax(leg_ret + gnd_ret))

    mech = data["mechanical_work_j_per_kg_per_m"] / data["mechanical_work_j_per_kg_per_m"][0]
    meta = data["metabolic_cost_j_per_kg_per_m"] / data["metabolic_cost_j_per_kg_per_m"][0]
    ra.bar(x - w / 2, mech, w, color="0.55", label="mechanical work")
    ra.bar(x + w / 2, meta, w, color="#d9a441", label="metabolic estimate")
    sand = np.flatnonzero(data["surface"] == "sand")
    if sand.size:
        j = sand[0]
        ra.plot([j - w, j], [MECH_LEJEUNE] * 2, "k--", lw=2)
        ra.plot([j, j + w], [META_LEJEUNE] * 2, "k--", lw=2, label="Lejeune et al. 1998")
    ra.axhline(1.0, color="0.5", lw=0.8)
    ra.set_xticks(x, _labels(data))
    ra.set_ylabel(f"relative to {_labels(data)[0]} ground")
    ra.set_title("Cost per kg and metre")
    ra.legend(fontsize=10, loc="upper left")
    ra.set_ylim(0, 1.25 * np.nanmax(np.concatenate([meta, [META_LEJEUNE]])))

    for i in (0, n - 1):
        label = _labels(data)[i]
        ta.plot(1e3 * data["stance_t_s"][i], data["stance_force_bw"][i], lw=2.2,
                label=f"force, {label}")
    ta.set_xlabel("time from touchdown (ms)")
    ta.set_ylabel("vertical ground force (body weights)")
    twin = ta.twinx()
    for i, c in ((0, "C0"), (n - 1, "C1")):
        twin.plot(1e3 * data["stance_t_s"][i], 100 * data["stance_sink_m"][i], ":", color=c,
                  lw=2.2, label=f"sink, {_labels(data)[i]}")
    twin.set_ylabel("sink of the foot (cm, dotted)")
    twin.grid(False)
    ta.set_title(f"One stance; footprint {100 * data['footprint_depth_m'][-1]:.1f} cm")
    h1, l1 = ta.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ta.legend(h1 + h2, l1 + l2, fontsize=10, loc="upper right")
    fig.suptitle(f"One runner, one apex ({float(data['apex_height_m']):.2f} m, "
                 f"{float(data['speed_m_per_s']):.1f} m/s), six grounds: periodic gaits")
    figure_style.save(fig, path)


def claim(data) -> str:
    last = len(data["surface"]) - 1
    name = data["surface"][last]
    meta = data["metabolic_cost_j_per_kg_per_m"]
    mech = data["mechanical_work_j_per_kg_per_m"]
    absorbed = (data["surface_plastic_loss_j"][last] + data["surface_damping_loss_j"][last]
                + data["surface_elastic_unreturned_j"][last])
    stored = data["surface_elastic_peak_j"][last] + data["surface_damping_loss_j"][last]
    return (f"On {name} the same runner through the same apex loses {absorbed:.0f} J per step "
            f"into the ground (it gives back {data['surface_elastic_returned_j'][last]:.1f} J "
            f"of {stored:.0f} J) and leaves a {100 * data['footprint_depth_m'][last]:.1f} cm "
            f"footprint; replacing it costs {meta[last]:.2f} vs {meta[0]:.2f} J/kg/m "
            f"({meta[last] / meta[0]:.2f}x, the calibration target: Lejeune et al. 1998 "
            f"measured 1.6x) and {mech[last] / mech[0]:.2f}x the mechanical work (Lejeune: "
            f"1.15x).")


EXPERIMENT = common.Experiment(
    name="e2_sand",
    question="Where does the energy of a step go on sand, and how much more does running on "
             "sand cost than on firm ground?",
    config="configs/e2_sand.toml",
    shows="energy given back and absorbed per step on six grounds, the cost relative to hard "
          "ground against Lejeune et al. 1998, and the force and sink of one stance",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
