"""Write the notebooks of this folder from their cells here, without outputs.

    python notebooks/build.py          # rewrites every notebook of this folder

The committed notebooks are stored clean (no outputs, no execution counts), so that the
repository stays small and a diff shows only what changed in the cells; tests/test_notebooks.py
runs them and checks that they are clean and that this script writes them unchanged.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

QUICKSTART = [
    new_markdown_cell("""\
# simsrc in ten minutes: a runner in a coach's units

simsrc models a runner as a spring-mass (a point mass bouncing on a spring leg) on a ground
that can give way, and answers with the runner's **steady gait**: the step that repeats itself.
This notebook asks three questions through the Python API that `simsrc run` uses:

1. What is the built-in runner's steady gait? (speed, cadence, contact and flight time, cost)
2. How does a runner's cost change on sand at 3.5 m/s?
3. What does the ground force of one step look like?

Run it from the repository root or from `notebooks/` (`jupyter notebook notebooks/quickstart.ipynb`,
or `jupyter nbconvert --to notebook --execute notebooks/quickstart.ipynb --output /tmp/q.ipynb`;
Jupyter itself is not a dependency of simsrc: `pip install notebook`).
The first run compiles the model's programs (JAX/XLA: about five minutes on a 2-core machine
with an empty compile cache); JAX's compile cache makes later runs take about half a minute."""),
    new_code_cell("""\
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

if not os.path.isdir("configs") and os.path.isdir(os.path.join("..", "configs")):
    os.chdir("..")   # the config paths below are relative to the repository root

import simsrc
from simsrc.cli.run import steady_table           # how `simsrc run` prints its answer
from simsrc.config.runner import resolve_config, steady_config

started = time.perf_counter()"""),
    new_markdown_cell("""\
## 1. The built-in runner's steady gait

`simsrc run` with no config runs the built-in runner (the values of `configs/default.toml`:
70 kg, a 0.95 m leg of 11 kN/m landing at 66.5° on firm ground, whose muscles absorb work in
early stance and push it back in late stance). `steady_config(None)` is what it
solves: the apex height and speed for which every step repeats the one before. The command
prints the answer with `steady_table`; the row below picks a coach's five numbers from it:

| column | what it means |
|---|---|
| speed (m/s) | the mean forward speed over a step (step length / step time) |
| cadence (steps/min) | steps per minute; one step is one foot contact, a stride is two steps |
| contact (ms) | how long the foot is on the ground in one step |
| flight (ms) | how long the runner is in the air between two contacts |
| metabolic (J/kg/m) | estimated metabolic energy per kilogram and metre: the muscles' work to replace what the step loses, at 25 % efficiency for positive and 120 % for negative work (docs/metrics.md); people run at about 4 |"""),
    new_code_cell("""\
def coach_row(gait) -> dict:
    \"\"\"The steady gait's numbers in a coach's units.\"\"\"
    m = gait.metrics
    return {"speed (m/s)": round(float(m.speed_m_per_s), 2),
            "cadence (steps/min)": round(float(m.cadence_steps_per_min)),
            "contact (ms)": round(1e3 * float(m.contact_time_s)),
            "flight (ms)": round(1e3 * float(m.flight_time_s)),
            "metabolic (J/kg/m)": round(float(m.metabolic_cost_j_per_kg_per_m), 2)}


builtin, builtin_gait = steady_config(None)      # `simsrc run`
assert bool(builtin_gait.converged), builtin_gait.message
pd.DataFrame([coach_row(builtin_gait)], index=["built-in runner"])"""),
    new_code_cell("""\
print(steady_table(builtin_gait, builtin.params))   # the same answer as `simsrc run` prints"""),
    new_markdown_cell("""\
The built-in runner runs like a person: about 3.4 m/s at 165 steps/min, a quarter of a second
on the ground, an eighth in the air, and about 4.4 J/kg/m, each inside published human ranges
(docs/gaits.md, "A human-like runner"). Its cost comes from the work its leg loses (leg damping:
the muscles absorb about half of the leg's work in early stance) and the push that puts it back
in late stance; a lossless spring would run for free. Its speed is the energy balance's: it is
not held. The next question holds the speed, with `configs/human.toml`, the same kind of runner
that the energetics experiments use."""),
    new_markdown_cell("""\
## 2. How does my cost change on sand at 3.5 m/s?

On the command line:

```bash
simsrc run configs/human.toml --set surface=firm --target-speed 3.5   # firm ground
simsrc run configs/human.toml --set surface=sand --target-speed 3.5   # sand
```

In Python, `--set KEY=VALUE` is an override of `resolve_config` and `--target-speed` is
`steady_config`'s `target_speed_m_per_s`. Holding a speed, the runner chooses its foot placement
(the landing angle that keeps the apex height) and its push (the work that replaces the losses);
sand swallows part of every landing (it keeps a footprint), so the push has to be bigger."""),
    new_code_cell("""\
SPEED_M_PER_S = 3.5
rows, gaits = {}, {}
for surface in ("firm", "sand"):
    config = resolve_config("configs/human.toml", [f"surface={surface}"])   # --set surface=...
    inputs, gait = steady_config(config, target_speed_m_per_s=SPEED_M_PER_S)   # --target-speed
    assert bool(gait.converged), gait.message
    gaits[surface] = inputs, gait
    rows[surface] = {**coach_row(gait), "push (BW)": round(float(gait.value("push_force_bw")), 3)}
table = pd.DataFrame.from_dict(rows, orient="index")
table"""),
    new_code_cell("""\
cost = table["metabolic (J/kg/m)"]
fig, ax = plt.subplots(figsize=(5, 3.5))
bars = ax.bar(cost.index, cost.values, color=["#8c8c8c", "#d9b36c"])
ax.bar_label(bars, fmt="%.2f J/kg/m")
ax.set_ylabel("metabolic estimate (J/kg/m)")
ax.set_title(f"human.toml at {SPEED_M_PER_S} m/s: sand costs "
             f"{100 * (cost['sand'] / cost['firm'] - 1):+.0f} %")
ax.set_ylim(0, 1.2 * cost.max())
plt.show()"""),
    new_markdown_cell("""\
The **push (BW)** column is the push force the runner needs, in body weights, to hold 3.5 m/s:
it replaces the work that leg damping (and, on sand, the footprint) takes each step. On sand
the contact is longer and the cadence lower (the ground gives way under the foot), and the
cost rises by about 60 %: Lejeune, Willems & Heglund (1998) measured 1.6 times the cost of hard
ground for people running on dry sand, and the sand preset is calibrated to that
(`python experiments/calibrate_sand.py`, docs/gaits.md)."""),
    new_markdown_cell("""\
## 3. The ground force of one steady step

The steady gait is one step that repeats. Simulating that step again with dense samples
(`simsrc.simulate(..., trajectory=True)`, as `simsrc run --plot` does) gives the ground force
under the foot. We draw it in **body weights** (the force divided by m·g) against **ms from
touchdown**, for the built-in runner and for the human runner on firm ground and on sand."""),
    new_code_cell("""\
def steady_step(inputs, gait):
    \"\"\"One step of the steady gait with dense samples: (body weight in N, trajectory, record).\"\"\"
    p = inputs.params
    for name in gait.free:   # the solved push, landing angle or braking, in place
        if name not in ("apex_height_m", "apex_speed_m_per_s"):
            p = p._replace(**{name: float(gait.value(name))})
    start = simsrc.apex(height_m=float(gait.apex_height_m),
                        speed_m_per_s=float(gait.apex_speed_m_per_s))
    run = simsrc.simulate(p, start, 1, options=inputs.options, trajectory=True)
    return float(p.mass_kg) * float(p.gravity_m_per_s2), run.trajectory, run.records


def force_curve(inputs, gait):
    \"\"\"(ms from touchdown, vertical force in BW, horizontal force in BW) of the steady step.\"\"\"
    weight_n, tr, rec = steady_step(inputs, gait)
    t_ms = 1e3 * (np.asarray(tr.t_s[0]) - float(rec.touchdown_time_s[0]))
    return (t_ms, np.asarray(tr.vertical_force_n[0]) / weight_n,
            np.asarray(tr.horizontal_force_n[0]) / weight_n)


fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, constrained_layout=True)
t_ms, vertical, horizontal = force_curve(builtin, builtin_gait)
left.plot(t_ms, vertical, color="C0", label="vertical")
left.plot(t_ms, horizontal, color="C1", label="horizontal (- brakes, + propels)")
left.axvspan(0, 1e3 * float(builtin_gait.metrics.contact_time_s), color="0.92", label="contact")
left.set_title("built-in runner, steady gait")
for surface, color in (("firm", "#595959"), ("sand", "#c8962e")):
    t_ms, vertical, horizontal = force_curve(*gaits[surface])
    right.plot(t_ms, vertical, color=color, label=f"{surface}: vertical")
    right.plot(t_ms, horizontal, color=color, ls="--", label=f"{surface}: horizontal")
right.set_title(f"human.toml at {SPEED_M_PER_S} m/s")
for ax in (left, right):
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlim(-20, 320)
    ax.set_xlabel("time from touchdown (ms)")
    ax.legend(fontsize=8, loc="upper right")
left.set_ylabel("ground force (body weights)")
plt.show()
print(f"peak vertical force: built-in {float(builtin_gait.metrics.peak_vertical_force_bw):.2f} BW, "
      + ", ".join(f"{s} {float(g.metrics.peak_vertical_force_bw):.2f} BW"
                  for s, (_, g) in gaits.items()))
print(f"this notebook ran in {time.perf_counter() - started:.0f} s")"""),
    new_markdown_cell("""\
How to read it: the vertical force rises from touchdown to a peak of about two body weights
at mid-stance, when the leg is most compressed, and falls to zero at liftoff; the area under it
over a whole step is one body weight times the step time (what holds the runner up). The
horizontal force is negative first (braking: the foot lands ahead of the body) and positive
after mid-stance (propulsion); in a steady step the two halves cancel. The human runner's curve
jumps at touchdown (its leg damping resists the leg's shortening at once) and has a second hump
in late stance: the push that puts back what the damping took. On sand the contact lasts
longer and that push is bigger: it also replaces what the footprint takes.

Next: `simsrc explore` (the same answers, with sliders), `docs/architecture.md` (where
everything is), `docs/gaits.md` (steady gaits and foot placement), `docs/metrics.md` (every
reported number)."""),
]

SWEEP = [
    new_markdown_cell("""\
# A sweep: how do leg stiffness, lean and push change speed and cost?

A sweep runs one steady gait per point of a grid from a TOML config, as
`simsrc sweep configs/stiffness_lean_push_firm.toml` does. Here the runner places its feet by
Raibert's law (MODEL.md §11): its speed is what its energy balance gives, so each point answers
"how fast, and at what cost, does this runner run?". The grid: leg stiffness 10-25 kN/m x lean
-5..10° x push 0.9-1.2 body weights, 48 points, on firm ground.

Run it from the repository root or from `notebooks/`. With an empty compile cache the sweep
first compiles the model (about a minute on a 2-core machine); later runs take seconds."""),
    new_code_cell("""\
import os
import tempfile

import matplotlib.pyplot as plt

if not os.path.isdir("configs") and os.path.isdir(os.path.join("..", "configs")):
    os.chdir("..")   # the config paths below are relative to the repository root

from simsrc.config.load import load_config
from simsrc.sweep.results import flat_table
from simsrc.sweep.run import run_sweep

config = load_config("configs/stiffness_lean_push_firm.toml")
out = tempfile.mkdtemp(prefix="simsrc_sweep_")    # results.nc, results.csv, chunks/
ds = run_sweep(config, out, progress=False)       # `simsrc sweep ... --out OUT`, no figures
ds"""),
    new_markdown_cell("""\
The answer is an xarray dataset: one dimension per swept key, `run_status` per point (0: a
steady gait; otherwise why there is none) and `mean_<metric>` for the steady step's numbers.
`flat_table` gives the same as a pandas table, one row per point (what results.csv holds)."""),
    new_code_cell("""\
table = flat_table(ds)
print(table["status_name"].value_counts().to_string())
table[["leg_stiffness_kn_per_m", "lean_deg", "push_force_bw", "status_name",
       "mean_speed_m_per_s", "mean_cadence_steps_per_min",
       "mean_metabolic_cost_j_per_kg_per_m"]].head(8)"""),
    new_markdown_cell("""\
Speed and cost against leg stiffness, one line per lean, with the middle push. A point with
no steady gait is left out of its line, and the legend counts them."""),
    new_code_cell("""\
cut = ds.isel(push_force_bw=1)
fig, (fast, cost) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
for i, lean in enumerate(cut["lean_deg"].values):
    one = cut.sel(lean_deg=lean)
    ok = one["run_status"].values == 0
    k = one["leg_stiffness_kn_per_m"].values
    fast.plot(k[ok], one["mean_speed_m_per_s"].values[ok], "o-", color=f"C{i}",
              label=f"lean {lean:+g}°: {ok.sum()} of {ok.size} steady")
    cost.plot(k[ok], one["mean_metabolic_cost_j_per_kg_per_m"].values[ok], "o-",
              color=f"C{i}", label=f"lean {lean:+g}°")
fast.set_ylabel("steady speed (m/s)")
cost.set_ylabel("metabolic estimate (J/kg/m)")
for ax in (fast, cost):
    ax.set_xlabel("leg stiffness (kN/m)")
    ax.legend(fontsize=8)
fig.suptitle(f"firm ground, push {float(cut['push_force_bw']):g} BW, Raibert foot placement: "
             "the speed is the energy balance's")
plt.show()"""),
    new_markdown_cell("""\
How to read it: leaning forward puts the foot closer under the body than the law asks, so the
runner speeds up until the law's gain term cancels the lean (docs/gaits.md, "Lean under
control"). A stiffer leg (with the same damping ratio) runs faster and at a lower cost per
metre here, and a backward lean on a stiff leg slows to a stop (`no_gait_slows`): the push
cannot keep up. `simsrc sweep` draws the same dataset's figures into its output folder's
`figures/`; configs/README.md lists every key of the config. For firm ground against sand at
one speed, see the quickstart notebook (the sand config of this grid is another runner: its
header says why)."""),
]

FIT = [
    new_markdown_cell("""\
# A fit: what leg stiffness does a measured force curve give?

`simsrc fit configs/fit/fukuchi_3p5.toml` fits the spring-mass model to the mean stance force
of a runner on an instrumented treadmill (Fukuchi et al. 2017, subject 1, 62 kg, 3.5 m/s; the
data ship with simsrc's shared data, see docs/fitting.md). This notebook does the same in
Python: leg stiffness, landing angle, push force and apex drop, with their standard errors and
correlations, then the measured and fitted curves and the Morin et al. (2005) estimate from the
same steps' contact and flight times.

Run it from the repository root or from `notebooks/`. The first fit compiles its model (about
half a minute on a 2-core machine); later runs take seconds."""),
    new_code_cell("""\
import os

import matplotlib.pyplot as plt
import numpy as np

if not os.path.isdir("configs") and os.path.isdir(os.path.join("..", "configs")):
    os.chdir("..")   # the config paths below are relative to the repository root

from simsrc.config.fit import load_fit_config
from simsrc.config.fit_pipeline import run_fit

fit = run_fit(load_fit_config("configs/fit/fukuchi_3p5.toml"))   # `simsrc fit ...`, no files
print("\\n".join(fit.lines))"""),
    new_code_cell("""\
c = {k: np.asarray(v) for k, v in fit.columns.items()}   # what residuals.csv holds
t_ms = 1e3 * c["time_s"]
fig, (curve, resid) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]}, constrained_layout=True)
curve.plot(t_ms, c["measured_vertical_bw"], "k.", ms=3, label="measured (mean of the steps)")
curve.plot(t_ms, c["model_vertical_bw"], color="C3", label="spring-mass fit")
curve.set_ylabel("vertical force (body weights)")
curve.legend()
resid.plot(t_ms, c["residual_vertical_bw"], color="C3")
resid.axhline(0, color="0.6", lw=0.8)
resid.set_ylabel("model - measured")
resid.set_xlabel("time from touchdown (ms)")
curve.set_title(f"Fukuchi et al. 2017, 3.5 m/s: RMS {float(fit.body['rms_vertical_bw']):.3f} BW, "
                f"Morin estimate {float(fit.body['morin_leg_stiffness_n_per_m']) / 1e3:.1f} kN/m")
plt.show()"""),
    new_markdown_cell("""\
How to read it: the fitted stiffness is about 1.6 times the Morin estimate, and the fit leans
on a push of about one body weight whose correlation with the stiffness is +0.95. The residual
shows where the massless spring cannot follow the runner: the first 40 ms (the impact of the
lower leg) and late stance. A model whose lower leg has mass fits the same curve, impact
included, without a push: `python experiments/fit_fukuchi_impact.py` and docs/fitting.md §13
(figures/fit_fukuchi_impact.png)."""),
]

STABILITY = [
    new_markdown_cell("""\
# The return map: is a running gait stable without control?

The spring-mass runner of Seyfarth et al. (2002) lands every step at the same angle (no
feedback) and loses no energy. Its state at one apex (the top of the flight) decides the next
apex: this is the **apex return map** y → P(y) at fixed energy (MODEL.md §9). A periodic gait is
a fixed point, P(y*) = y*; it is stable when the map's slope there, the Floquet multiplier
λ = P'(y*), lies between −1 and 1: a runner pushed off its gait comes back by itself.

The runner: 80 kg, 1 m leg of 20 kN/m, landing at 68° on rigid ground, with the energy of an
apex 1 m high at 5 m/s. About half a minute to compile on a 2-core machine, then seconds."""),
    new_code_cell("""\
import os

import matplotlib.pyplot as plt
import numpy as np

import simsrc
from simsrc.gait.apex_map import apex_at_energy, specific_energy_j_per_kg

p = simsrc.make_params(mass_kg=80.0, leg_length_m=1.0, leg_stiffness_n_per_m=20e3,
                       angle_of_attack_deg=68.0, surface="rigid")
energy = float(specific_energy_j_per_kg(p, 1.0, 5.0))        # J/kg, kept by every step
heights = np.linspace(0.93, 1.15, 89)
one_step = simsrc.simulate(p, apex_at_energy(p, heights, energy), n_steps=1)
ok = np.asarray(one_step.records.status)[:, 0] == 0
nxt = np.asarray(one_step.records.end.y_m)[:, 0]

# the fixed point: where P(y) - y changes sign; its multiplier: the slope of P there
gap = np.where(ok, nxt - heights, np.nan)
i = int(np.flatnonzero(np.sign(gap[:-1]) * np.sign(gap[1:]) < 0)[0])
y_star = heights[i] - gap[i] * (heights[i + 1] - heights[i]) / (gap[i + 1] - gap[i])
slope = (nxt[i + 1] - nxt[i]) / (heights[i + 1] - heights[i])
print(f"fixed point: apex {y_star:.4f} m; multiplier P'(y*) = {slope:.3f} -> "
      f"{'stable' if abs(slope) < 1 else 'unstable'}")"""),
    new_code_cell("""\
# ten steps from an apex 3 cm above the gait: the runner's own path through the map
start = apex_at_energy(p, np.array([y_star + 0.03]), energy)
walk = simsrc.simulate(p, start, n_steps=10)
path = np.concatenate([[y_star + 0.03], np.asarray(walk.records.end.y_m)[0]])
path = path[: 1 + int(np.sum(np.asarray(walk.records.status)[0] == 0))]

fig, (mp, steps) = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
mp.plot(heights[ok], nxt[ok], color="C0", label="return map P(y)")
mp.plot(heights, heights, color="0.6", ls="--", label="P(y) = y")
mp.plot(y_star, y_star, "o", color="C3", label=f"gait: {y_star:.3f} m, λ = {slope:.2f}")
twice = np.repeat(path, 2)   # cobweb: (y0, y0) -> (y0, y1) -> (y1, y1) -> (y1, y2) ...
mp.plot(twice[:-1], twice[1:], color="C1", lw=1, label="a runner's steps (cobweb)")
mp.set_xlabel("apex height y_n (m)")
mp.set_ylabel("next apex height y_(n+1) (m)")
mp.legend(fontsize=8)
steps.plot(np.arange(len(path)), path - y_star, "o-", color="C1")
steps.axhline(0, color="0.6", lw=0.8)
steps.set_xlabel("step")
steps.set_ylabel("apex height - gait's (m)")
steps.set_title("the distance to the gait, step by step")
plt.show()"""),
    new_markdown_cell("""\
How to read it: where the map crosses the diagonal the step repeats itself; the slope there
says what a disturbance does. With |λ| < 1 each step shrinks the distance to the gait by the
factor |λ| (a negative λ alternates its side), so this runner is **self-stable**, with no
control at all, as Seyfarth et al. (2002) found for a band of landing angles at each leg
stiffness. Change the landing angle or the stiffness above and run again: outside that band the
slope leaves (−1, 1) and the steps run away. figures/e8_stability.png maps the band;
docs/gaits.md explains the multipliers, and `simsrc gait` solves the gait exactly."""),
]

NOTEBOOKS = {"quickstart.ipynb": QUICKSTART, "sweep.ipynb": SWEEP, "fit.ipynb": FIT,
             "stability.ipynb": STABILITY}


def notebook(cells) -> nbformat.NotebookNode:
    """A clean notebook of ``cells`` (no outputs) for the python3 kernel."""
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):   # stable ids: the file changes only with its cells
        cell["id"] = f"cell-{i:02d}"
    return nb


def text(name: str) -> str:
    """The file ``name`` as this script writes it."""
    return nbformat.writes(notebook(NOTEBOOKS[name])) + "\n"


def main() -> int:
    for name in NOTEBOOKS:
        (HERE / name).write_text(text(name))
        print(f"wrote {HERE / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
