"""Experiment 9, foot strike: does a heel strike ahead of the COM hit harder than a forefoot
strike under it, at the same body speed?

Question: with a lower leg that has mass (MODEL.md §12, ``simsrc/engine/impact.py``), how do
the vertical ground force curves of a heel strike ahead of the COM (cushioned shoe, and
barefoot) and of a forefoot strike under the COM (barefoot) differ: impact peak, its time and
the loading rate?

Command (from the repository root):

    python experiments/e9_foot_strike.py            # figures/e9_foot_strike.png, .npz, .json
    python experiments/e9_foot_strike.py --smoke    # the same three stances (temporary folder)
    simsrc figures --only e9

Config: configs/e9_foot_strike.toml: the body (70 kg, 0.95 m leg of 20 kN/m, 3.5 m/s). The
foot's mass, contact and touchdown velocity come from the presets ``FOOT_STRIKES`` and
``SHOES`` of ``simsrc/engine/impact.py`` (sources there); the landing angles (22° ahead of the
vertical for the heel strike, 12° for the forefoot strike) and the body's vertical velocity at
touchdown (−0.6 m/s) are the experiment's choices (estimates for running at 3.5 m/s). Each
strike's leg stiffness is set so that leg and contact in series are as stiff as the config's
leg with the heel strike's contact in a cushioned shoe (``_impact_params``): the strikes
compare at the same overall stiffness.

What the figure shows: the vertical ground force (body weights) over the first 120 ms of
stance for the three strikes, each impact peak marked, and the massless-foot SLIP's curve for
comparison (the same body on the heel strike's contact with a 0.01 % foot).
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

TOUCHDOWN_VY_M_PER_S = -0.6          # the body's vertical velocity at touchdown (estimate)
CASES = (  # (label, foot strike, shoe, landing angle from the vertical, degrees)
    ("heel strike, cushioned shoe, 22° ahead", "heel", "cushioned", 22.0),
    ("heel strike, barefoot, 22° ahead", "heel", "barefoot", 22.0),
    ("forefoot strike, barefoot, 12° ahead", "forefoot", "barefoot", 12.0),
)


def _impact_params(params, strike, shoe, foot_fraction=None):
    """The two-mass runner for a strike and shoe, its leg stiffness k' chosen so that leg and
    contact in series are as stiff as the config's leg with the heel strike in a cushioned
    shoe: 1/k' + 1/k_p = 1/k + 1/k_p(heel, cushioned). A softer contact (the forefoot's
    dorsiflexing ankle) is part of the leg's compliance, so the stances compare at the same
    overall stiffness and differ in the impact only."""
    from simsrc.engine import impact as im

    k_p, n, c_p = im.contact_from_presets(strike, shoe)
    k_heel, _, _ = im.contact_from_presets("heel", "cushioned")
    k = float(params.leg_stiffness_n_per_m)
    k_leg = 1.0 / (1.0 / k + 1.0 / k_heel - 1.0 / k_p)
    frac = im.FOOT_STRIKES[strike].foot_mass_fraction if foot_fraction is None else foot_fraction
    m = float(params.mass_kg)
    return im.ImpactParams(m, frac * m, float(params.leg_length_m), k_leg,
                           float(params.leg_damping_n_s_per_m), k_p, n, c_p,
                           float(params.gravity_m_per_s2), float(params.slope_rad))


def compute(config, smoke: bool) -> dict:
    """The three strikes and the massless-foot reference: force curves and impact metrics."""
    import jax
    from simsrc.config.load import base_point
    from simsrc.engine import impact as im

    params, state = base_point(config)
    speed = float(state.vx_m_per_s)
    stance = jax.jit(im.stance)
    curves, rows = [], []
    for _, strike, shoe, beta_deg in CASES:
        p = _impact_params(params, strike, shoe)
        fs = im.FOOT_STRIKES[strike]
        td = im.touchdown_state(p, math.radians(beta_deg), speed, TOUCHDOWN_VY_M_PER_S,
                                fs.foot_vx_m_per_s, fs.foot_vy_m_per_s)
        curves.append(stance(p, td))
    # the massless-foot limit on the heel strike's contact (no impact peak)
    p0 = _impact_params(params, "heel", "cushioned", foot_fraction=1e-4)._replace(
        contact_damping_s_per_m=0.0)
    td0 = im.touchdown_state(p0, math.radians(22.0), speed, TOUCHDOWN_VY_M_PER_S, 0.0, 0.0)
    td0 = td0._replace(foot_vy_m_per_s=im.massless_foot_vy(p0, td0))
    curves.append(jax.jit(im.stance, static_argnums=2)(p0, td0, im.ImpactOptions(steps=8000)))
    t = np.linspace(0.0, 0.12, 241)
    bw = float(params.mass_kg) * float(params.gravity_m_per_s2)
    force = np.stack([np.interp(t, np.asarray(c.t_s), np.where(
        np.asarray(c.t_s) <= float(c.contact_time_s), np.asarray(c.vertical_force_n), 0.0)) / bw
        for c in curves])
    for c in curves[:3]:
        m = c.metrics
        rows.append([float(m.impact_peak_bw), 1e3 * float(m.impact_peak_time_s),
                     float(m.impact_peak_found), float(m.average_loading_rate_bw_per_s),
                     float(m.instantaneous_loading_rate_bw_per_s), float(m.active_peak_bw),
                     1e3 * float(c.contact_time_s), float(c.ledger.collision_j),
                     float(c.ledger.contact_damping_loss_j), float(c.ledger.residual_j)])
    return {"t_ms": 1e3 * t, "force_bw": force, "metrics": np.array(rows),
            "contact_time_massless_ms": np.array(1e3 * float(curves[3].contact_time_s))}


METRIC_COLUMNS = ("impact peak (BW)", "its time (ms)", "peak found", "average loading rate "
                  "(BW/s)", "peak loading rate (BW/s)", "active peak (BW)", "contact time (ms)",
                  "collision loss (J)", "contact damping loss (J)", "ledger residual (J)")


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 5.2), constrained_layout=True)
    t, force, m = data["t_ms"], data["force_bw"], data["metrics"]
    colors = ("#b2182b", "#ef8a62", "#2166ac")
    for i, (label, *_rest) in enumerate(CASES):
        ax.plot(t, force[i], color=colors[i], lw=1.8,
                label=f"{label}: {m[i, 0]:.2f} BW at {m[i, 1]:.0f} ms, {m[i, 3]:.0f} BW/s"
                if m[i, 2] else f"{label}: no impact peak")
        if m[i, 2]:
            ax.plot(m[i, 1], m[i, 0], "o", color=colors[i], ms=6)
    ax.plot(t, force[3], color="k", lw=1.0, ls="--", label="massless foot (SLIP): no impact")
    ax.set_xlabel("time since touchdown (ms)")
    ax.set_ylabel("vertical ground force (body weights)")
    ax.set_title("Foot strike and impact: a lower leg with mass (8 % / 1.7 % of body mass)\n"
                 "70 kg, 3.5 m/s, leg + contact in series 13.6 kN/m; presets of engine/impact.py")
    ax.set_xlim(0, t[-1])
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8)
    figure_style.save(fig, path)


def claim(data) -> str:
    m = data["metrics"]
    return (f"A heel strike 22° ahead of the COM in a cushioned shoe shows an impact peak of "
            f"{m[0, 0]:.2f} BW at {m[0, 1]:.0f} ms (average loading rate {m[0, 3]:.0f} BW/s; "
            f"barefoot {m[1, 0]:.2f} BW, {m[1, 3]:.0f} BW/s), while a forefoot strike under the "
            f"COM loads at {m[2, 3]:.0f} BW/s"
            + ("" if m[2, 2] else " with no impact peak") + ". Measured heel-strike impact "
            "peaks come 20-40 ms after touchdown (MODEL.md §12); these come earlier, because the "
            "contact presets are estimates, not yet fitted to force plates.")


EXPERIMENT = common.Experiment(
    name="e9_foot_strike",
    question="Does a heel strike ahead of the COM hit harder than a forefoot strike under it, "
             "at the same body speed?",
    config="configs/e9_foot_strike.toml",
    shows="the vertical ground force of heel strikes (cushioned shoe, barefoot) and of a "
          "forefoot strike in the first 120 ms of stance, with their impact peaks",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
