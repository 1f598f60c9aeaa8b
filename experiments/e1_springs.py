"""Experiment 1, the springs: where does the energy of a step go on firm ground?

Question: runners say tendons work like springs. Over one step of a spring-mass runner on firm
ground, how does energy pass between kinetic, gravitational and elastic (leg and ground)
stores, and what does the step's energy ledger say is stored, returned and lost?

Command (from the repository root):

    python experiments/e1_springs.py            # figures/e1_springs.png, .npz, .json
    python experiments/e1_springs.py --smoke    # a quick check (temporary folder)
    simsrc figures --only e1

Config: configs/e1_springs.toml (the built-in 70 kg runner, 3.5 m/s, firm ground 945.7 kN/m,
no push, no damping). The last step of the run is shown.

What the figure shows: (left) the change of each energy store from touchdown over one step
(apex to apex), from the dense trajectory: horizontal and vertical kinetic energy,
gravitational energy, the leg spring's ½k(L0 − L)² and the ground's elastic energy; their sum
(black) stays flat. (middle) at the deepest point of stance, where the spring's energy came
from: a waterfall from the touchdown stores into the leg and the ground. (right) the step's
energy ledger (simsrc/engine/ledger.py): stored, returned, lost and the residual.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from simsrc.viz import style as figure_style  # noqa: E402

LEDGER_BARS = (  # (ledger entry, label)
    ("leg_elastic_peak_j", "leg\nstored"),
    ("leg_elastic_returned_j", "leg\nreturned"),
    ("surface_elastic_peak_j", "ground\nstored"),
    ("surface_elastic_returned_j", "ground\nreturned"),
    ("dissipated_j", "lost"),
    ("injected_j", "pushed\nin"),
)


def compute(config, smoke: bool) -> dict:
    """Simulate the config's runner with a dense trajectory; energies of its last step."""
    from simsrc.config.runner import run_config
    from simsrc.metrics.energy_series import energy_series

    n_steps = 1 if smoke else config.n_steps
    inputs, run = run_config(config, n_steps, trajectory=True)
    params = inputs.params
    series = energy_series(params, run.trajectory, run.records.foot_x_m)
    sel = slice(-np.asarray(run.trajectory.t_s).shape[-1], None)   # the last step's samples
    m = float(params.mass_kg)
    vx = np.asarray(run.trajectory.vx_m_per_s)[-1]
    vy = np.asarray(run.trajectory.vy_m_per_s)[-1]
    data = {
        "t_s": series.t_s[sel] - series.t_s[sel][0],
        "phase": np.asarray(run.trajectory.phase)[-1],
        "kinetic_horizontal_j": 0.5 * m * vx**2,
        "kinetic_vertical_j": 0.5 * m * vy**2,
        "gravitational_j": series.gravitational_j[sel],
        "leg_elastic_j": series.leg_elastic_j[sel],
        "surface_elastic_j": series.surface_elastic_j[sel],
        "stored_j": series.stored_j[sel],
        "status": np.asarray(run.records.status)[-1],
        "n_steps": np.asarray(n_steps),
    }
    ledger = run.records.ledger
    for field in ledger._fields:
        data["ledger_" + field] = np.asarray(getattr(ledger, field))[-1]
    return data


def midstance_sources(data) -> dict[str, float]:
    """Where the elastic energy at the deepest point of stance came from (J): the drop of each
    touchdown store from touchdown to the sample of greatest leg energy."""
    stance = np.flatnonzero(data["phase"] == 1)
    td, deep = stance[0], stance[np.argmax(data["leg_elastic_j"][stance])]
    drop = {k: float(data[k][td] - data[k][deep])
            for k in ("kinetic_horizontal_j", "kinetic_vertical_j", "gravitational_j")}
    drop["leg_elastic_j"] = float(data["leg_elastic_j"][deep])
    drop["surface_elastic_j"] = float(data["surface_elastic_j"][deep])
    return drop


def plot(data, path: str) -> None:
    plt = figure_style.pyplot()
    colors = figure_style.ENERGY_COLORS
    fig, (ax, wf, led) = plt.subplots(1, 3, figsize=(16, 6.0), constrained_layout=True,
                                      gridspec_kw={"width_ratios": [1.6, 1, 1]})
    t_ms = 1e3 * data["t_s"]
    stance = data["phase"] == 1
    td = np.flatnonzero(stance)[0]
    ax.axvspan(t_ms[stance][0], t_ms[stance][-1], color="0.92", zorder=0, label="stance")
    lines = (("kinetic_horizontal_j", "kinetic, horizontal", colors["kinetic"], "-"),
             ("kinetic_vertical_j", "kinetic, vertical", colors["kinetic"], ":"),
             ("gravitational_j", "gravitational", colors["gravitational"], "-"),
             ("leg_elastic_j", "leg spring ½k(L0−L)²", colors["leg_elastic"], "-"),
             ("surface_elastic_j", "ground (elastic)", colors["surface_elastic"], "-"))
    for key, label, color, style in lines:
        ax.plot(t_ms, data[key] - data[key][td], style, color=color, label=label)
    ax.plot(t_ms, data["stored_j"] - data["stored_j"][td], "--", color="k", lw=1.5,
            label="sum of all stores")
    ax.set_xlabel("time from the apex (ms)")
    ax.set_ylabel("change since touchdown (J)")
    ax.set_title("Energy stores over one step")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=11)

    src = midstance_sources(data)
    steps = [("horizontal\nkinetic", src["kinetic_horizontal_j"], colors["kinetic"]),
             ("vertical\nkinetic", src["kinetic_vertical_j"], colors["kinetic"]),
             ("gravit-\national", src["gravitational_j"], colors["gravitational"])]
    base = 0.0
    for i, (label, value, color) in enumerate(steps):
        wf.bar(i, value, bottom=base, color=color, alpha=0.85)
        wf.text(i, base + value + 1.0, f"{value:+.1f}", ha="center", fontsize=11)
        base += value
    wf.bar(3, src["leg_elastic_j"], color=colors["leg_elastic"])
    wf.bar(3, src["surface_elastic_j"], bottom=src["leg_elastic_j"],
           color=colors["surface_elastic"])
    wf.text(3, src["leg_elastic_j"] + src["surface_elastic_j"] + 1.0,
            f"{src['leg_elastic_j']:.1f}\n+{src['surface_elastic_j']:.1f}", ha="center",
            fontsize=11)
    wf.set_xticks(range(4), [s[0] for s in steps] + ["leg + ground\nsprings"])
    wf.set_ylabel("energy (J)")
    wf.set_title("Deepest point of stance:\nwhere the spring energy came from")
    wf.set_ylim(0, 1.25 * (src["leg_elastic_j"] + src["surface_elastic_j"]))

    values = [float(data["ledger_" + k]) for k, _ in LEDGER_BARS]
    led.bar(range(len(values)), values,
            color=[colors["leg_elastic"], colors["leg_elastic"], colors["surface_elastic"],
                   colors["surface_elastic"], colors["lost"], colors["push"]])
    for i, v in enumerate(values):
        led.text(i, v + 1.0, f"{v:.2f}", ha="center", fontsize=11)
    led.set_xticks(range(len(values)), [label for _, label in LEDGER_BARS], fontsize=11)
    led.set_ylabel("energy per step (J)")
    led.set_title(f"The step's ledger\nresidual {float(data['ledger_residual_j']):.1e} J")
    fig.suptitle("A spring-mass runner on firm ground (70 kg, 3.5 m/s, leg 15 kN/m)")
    figure_style.save(fig, path)


def claim(data) -> str:
    src = midstance_sources(data)
    elastic = src["leg_elastic_j"] + src["surface_elastic_j"]
    falling = src["kinetic_vertical_j"] + src["gravitational_j"]
    return (f"At the deepest point of stance the leg spring holds {src['leg_elastic_j']:.1f} J "
            f"and the firm ground {src['surface_elastic_j']:.2f} J; "
            f"{100 * falling / elastic:.0f} % of it comes from the fall (vertical kinetic + "
            f"gravitational) and {100 * src['kinetic_horizontal_j'] / elastic:.0f} % from "
            f"braking, and the spring returns "
            f"{100 * float(data['ledger_leg_elastic_returned_j'] / data['ledger_leg_elastic_peak_j']):.1f} % "
            f"of it (ledger residual {abs(float(data['ledger_residual_j'])):.0e} J).")


EXPERIMENT = common.Experiment(
    name="e1_springs",
    question="Where does the energy of one running step go: kinetic, gravitational, elastic?",
    config="configs/e1_springs.toml",
    shows="energy stores over one step, the sources of the spring energy at mid-stance, and "
          "the step's energy ledger",
    compute=compute, plot=plot, claim=claim, script=os.path.abspath(__file__))


def main(argv=None) -> int:
    return common.main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
