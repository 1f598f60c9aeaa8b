"""Experiment 4, lean and over-striding: what do lean and foot placement do to speed,
braking, propulsion and cost, and how large is the horizontal force really?

Question: coaches say lean from the ankles and do not over-stride (land with the foot far
ahead of the body); others say running is "a vertical jump with forward momentum". For a
spring-mass runner who places its feet by feedback, as people do, how does lean change where
the foot lands, the steady speed, the braking and propulsive impulses and the metabolic
estimate, and how large is the horizontal ground force compared with the vertical one (peak
horizontal / peak vertical, braking impulse / vertical impulse)?

Command (from the repository root):

    python experiments/e4_lean_overstriding.py            # figures/e4_lean_overstriding.*
    python experiments/e4_lean_overstriding.py --smoke    # 3 leans (temporary folder)
    simsrc figures --only e4

Config: configs/e4_lean_overstriding.toml: lean −5° to +10° (``[sweep]``), the base runner of
configs/stiffness_lean_push_firm.toml (70 kg, leg 0.95 m at 15 kN/m, damping ratio 0.1, push
1.05 body weights, firm ground) placing its feet by Raibert's law (K = 0.1 s, aim 3 m/s). Each
lean's steady gait is solved with the speed free (``simsrc.gait.steady.solve_controlled``, the
path of ``simsrc run`` and of steady sweeps), then one step of it is simulated with its
trajectory for the peak horizontal forces.

What the figure shows, against the lean: the steady speed and cadence; where the foot lands
(ahead of the COM, and beyond the neutral point: the middle of the distance the COM covers in
stance, > 0 is over-striding, a stance that brakes before it propels); contact and flight
times; the braking and propulsive impulses per step; the horizontal force relative to the
vertical (peak ratio and impulse ratio, in %); the metabolic estimate (J/kg/m;
simsrc.metrics.steps: the cost of replacing lost work, not the full cost of running) and the
gait's stability with and without the feedback (largest |multiplier|).
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

KEYS = ("speed_m_per_s", "cadence_steps_per_min", "braking_impulse_n_s",
        "propulsive_impulse_n_s", "vertical_impulse_n_s", "peak_vertical_force_n",
        "metabolic_cost_j_per_kg_per_m", "contact_time_s", "flight_time_s", "step_length_m")


def compute(config, smoke: bool) -> dict:
    """Steady gaits under Raibert foot placement over the config's lean axis, speed free."""
    import simsrc
    from simsrc.config.runner import placement_law
    from simsrc.gait.steady import solve_controlled

    params, state, _ = common.config_grid(config)
    gait = solve_controlled(params, state, placement_law(config.values, state))
    ok = np.asarray(gait.converged)
    alpha = np.where(ok, gait.value("angle_of_attack_rad"), params.angle_of_attack_rad)
    y = np.where(ok, gait.apex_height_m, state.y_m)
    v = np.where(ok, gait.apex_speed_m_per_s, state.vx_m_per_s)
    run_params = params._replace(angle_of_attack_rad=alpha)
    run = simsrc.simulate(run_params, simsrc.apex(y, v), 1, trajectory=True)
    step = {k: np.asarray(val)[..., 0] for k, val in
            common.metrics_dict(run_params, run.records).items() if k != "status"}
    nan = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    out = {k: nan(step[k]) for k in KEYS}
    horizontal = np.asarray(run.trajectory.horizontal_force_n)[..., 0, :]
    out["peak_braking_force_n"] = nan(-np.nanmin(horizontal, axis=-1))
    out["peak_propulsive_force_n"] = nan(np.nanmax(horizontal, axis=-1))
    rec = run.records
    foot, td, lo = (np.asarray(a)[..., 0] for a in (rec.foot_x_m, rec.touchdown.x_m,
                                                      rec.liftoff.x_m))
    # beyond the neutral point: where the foot lands relative to the middle of the distance
    # the COM covers in stance (0: a symmetric stance; > 0: over-striding, braking first)
    out["foot_ahead_m"] = nan(foot - td)
    out["foot_beyond_neutral_m"] = nan((foot - td) - 0.5 * (lo - td))
    out["landing_angle_deg"] = nan(np.degrees(alpha))
    out["apex_height_m"] = nan(y)
    out["closed_loop_max_abs_multiplier"] = nan(
        np.max(np.abs(np.asarray(gait.controlled_multipliers)), axis=-1))
    out["open_loop_max_abs_multiplier"] = nan(np.asarray(gait.max_abs_multiplier))
    out["converged"] = ok
    out["reason"] = np.asarray(gait.reason)
    out["lean_deg"] = common.axis_values(config, "lean_deg")
    out["push_force_bw"] = np.asarray(params.push_force_bw) + 0.0 * out["lean_deg"]
    return out


def horizontal_share(data) -> dict[str, np.ndarray]:
    """Peak braking force / peak vertical force and |braking impulse| / vertical impulse."""
    return {"peak_ratio": data["peak_braking_force_n"] / data["peak_vertical_force_n"],
            "impulse_ratio": -data["braking_impulse_n_s"] / data["vertical_impulse_n_s"]}


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(17, 9.5), constrained_layout=True)
    (speed, feet, times), (imp, share, cost) = axes
    lean = data["lean_deg"]
    speed.plot(lean, data["speed_m_per_s"], "o-", color="C0")
    speed.set_ylabel("steady speed (m/s)", color="C0")
    cad = speed.twinx()
    cad.plot(lean, data["cadence_steps_per_min"], "s--", color="0.3")
    cad.set_ylabel("cadence (steps/min, dashed)", color="0.3")
    cad.grid(False)
    speed.set_title("Lean sets the speed")
    feet.plot(lean, 100 * data["foot_ahead_m"], "o-", color="C1", label="ahead of the COM")
    feet.plot(lean, 100 * data["foot_beyond_neutral_m"], "s-", color="C4",
              label="beyond the neutral point (middle of the\nstance's travel; > 0: over-striding)")
    feet.axhline(0.0, color="0.6", lw=0.8)
    feet.set_ylabel("foot at touchdown (cm)")
    feet.set_title("Where the foot lands")
    feet.legend()
    times.plot(lean, 1e3 * data["contact_time_s"], "o-", color="C3", label="contact")
    times.plot(lean, 1e3 * data["flight_time_s"], "s-", color="C0", label="flight")
    times.set_ylabel("time per step (ms)")
    times.set_title("Contact and flight")
    times.legend()
    imp.plot(lean, -data["braking_impulse_n_s"], "o-", color="C3", ms=11, mfc="none",
             label="braking (|impulse|)")
    imp.plot(lean, data["propulsive_impulse_n_s"], "s-", color="C2", ms=5, lw=1.2,
             label="propulsive (equal: a steady level\ngait keeps its speed)")
    imp.set_ylabel("horizontal impulse per step (N·s)")
    imp.set_title("Braking and propulsion")
    imp.legend()
    r = horizontal_share(data)
    share.plot(lean, 100 * r["peak_ratio"], "o-", color="C1", label="peak braking / peak vertical")
    share.plot(lean, 100 * r["impulse_ratio"], "s-", color="C0",
               label="braking / vertical impulse")
    share.set_ylabel("horizontal relative to vertical (%)")
    share.set_title("How big is the horizontal force?")
    share.set_ylim(bottom=0)
    share.legend()
    cost.plot(lean, data["metabolic_cost_j_per_kg_per_m"], "o-", color="C3")
    cost.set_ylabel("metabolic estimate (J/kg/m)", color="C3")
    stab = cost.twinx()
    stab.plot(lean, data["closed_loop_max_abs_multiplier"], "s-", color="C2",
              label="with foot placement")
    stab.plot(lean, data["open_loop_max_abs_multiplier"], "^--", color="0.4",
              label="landing angle held")
    stab.axhline(1.0, color="0.6", lw=0.8)
    stab.set_ylabel("largest |multiplier| (< 1: stable)")
    stab.grid(False)
    stab.legend(loc="upper right")
    cost.set_title("What it costs, and is it stable?")
    for ax in axes.ravel():
        ax.set_xlabel("forward lean (deg)")
    fig.suptitle("Lean under Raibert foot placement, speed free (70 kg, leg 15 kN/m, damping "
                 f"ratio 0.1, push {float(np.nanmax(data['push_force_bw'])):g} body weights, "
                 "firm ground)")
    figure_style.save(fig, path)


def _ok(data):
    return np.flatnonzero(np.asarray(data["converged"], bool))


def claim(data) -> str:
    ok = _ok(data)
    back, fwd = ok[np.argmin(data["lean_deg"][ok])], ok[np.argmax(data["lean_deg"][ok])]
    r = horizontal_share(data)
    pick = lambda k, i: float(data[k][i])  # noqa: E731
    beyond = 100 * np.abs(data["foot_beyond_neutral_m"][ok])
    return (f"Under feedback foot placement, leaning {pick('lean_deg', back):+g}° → "
            f"{pick('lean_deg', fwd):+g}° raises the steady speed from "
            f"{pick('speed_m_per_s', back):.2f} to {pick('speed_m_per_s', fwd):.2f} m/s at the "
            f"same push and lowers the metabolic estimate from "
            f"{pick('metabolic_cost_j_per_kg_per_m', back):.2f} to "
            f"{pick('metabolic_cost_j_per_kg_per_m', fwd):.2f} J/kg/m; the foot lands "
            f"{100 * pick('foot_ahead_m', back):.0f} → {100 * pick('foot_ahead_m', fwd):.0f} cm "
            f"ahead of the COM (the faster runner covers more ground in stance) but always within "
            f"{beyond.max():.1f} cm of the neutral point, so at steady state no lean makes this "
            f"runner over-stride; its peak braking force stays ≤ "
            f"{100 * np.nanmax(r['peak_ratio'][ok]):.0f} % of the peak vertical force (braking "
            f"impulse ≤ {100 * np.nanmax(r['impulse_ratio'][ok]):.0f} % of the vertical "
            f"impulse): running is mostly a vertical bounce ({ok.size} of "
            f"{np.size(data['lean_deg'])} leans have a steady gait).")


EXPERIMENT = common.Experiment(
    name="e4_lean_overstriding",
    question="What do lean and over-striding do to speed, braking, propulsion and cost, and "
             "how big is the horizontal force?",
    config="configs/e4_lean_overstriding.toml",
    shows="for steady gaits under Raibert foot placement over lean -5..+10 deg: speed and "
          "cadence, braking/propulsive impulses, horizontal-to-vertical force ratios, metabolic "
          "estimate and stability with and without the feedback, against lean (and the foot's "
          "distance ahead of the COM)",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
