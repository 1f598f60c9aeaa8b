"""Does the sand preset hold beyond its calibration point? Sand/hard ratios across speeds, masses.

The ``sand`` preset is anchored at one point (``experiments/calibrate_sand.py``: the
human-like runner, 70 kg at 3.5 m/s, against Lejeune, Willems & Heglund 1998's 1.6x metabolic
cost of running on dry sand). This script asks the question a coach or a heavier runner asks
next: the same ratio at 2.5-4.5 m/s and for 55-90 kg runners (issue "Impact and foot strike",
which asks for a granular sand law whose ratio stays within 20 % of the measured ones). The
preset is granular: its stiffness and damping scale with the runner's foot area,
(m / 70 kg)^(2/3). The calibration chose it, of the surfaces that give 1.6x at the anchor, by
the 55 and 90 kg runners at 2.5 and 4.5 m/s (the corners of this grid); the 3.0-4.0 m/s and
70 kg rows are not used for that choice.

Method: ``configs/human.toml``'s runner (0.95 m leg, damping ratio 0.1), its leg stiffness in
proportion to its mass (11 kN/m at 70 kg), holding each speed at a 0.92 m apex
(``simsrc.gait.steady.solve_held_speed``: foot placement and push solved) on rigid ground
and on the ``sand`` preset, batched over mass x speed. Prints the ratios of the metabolic
estimate and of the positive mechanical work per kg and metre, sand over hard ground.

Command (about 20 s, 1 GB; one-off measurement, reported in docs/gaits.md):
    python experiments/sand_across_runners.py [--out FILE.json]
"""
from __future__ import annotations

import argparse
import itertools
import json

import numpy as np

import simsrc
from simsrc.engine.params import leg_damping_from_ratio
from simsrc.gait import steady

SPEEDS = (2.5, 3.0, 3.5, 4.0, 4.5)
MASSES = (55.0, 70.0, 90.0)
APEX_HEIGHT_M = 0.92


def held_speed_costs(mass_kg, speed_m_per_s, surface="rigid", **surface_numbers):
    """(steady, metabolic J/kg/m, positive mechanical work J/kg/m), one per (mass, speed) pair.

    ``mass_kg`` and ``speed_m_per_s`` are 1-D arrays of the same length (one point each);
    ``surface_numbers`` (``surface_stiffness_n_per_m``, ``surface_damping_n_s_per_m``,
    ``surface_restitution``, arrays of that length) override the preset's. The runner: a
    0.95 m leg of 11 kN/m per 70 kg, damping ratio 0.1, holding the speed at a 0.92 m apex
    (foot placement and push solved); "steady" excludes gaits that need braking.
    """
    m = np.asarray(mass_kg, float)
    v = np.asarray(speed_m_per_s, float)
    k = 11e3 * m / 70.0
    p = simsrc.make_params(mass_kg=m, leg_length_m=0.95, leg_stiffness_n_per_m=k,
                           surface=surface, angle_of_attack_deg=66.86, push_force_bw=0.852,
                           leg_damping_n_s_per_m=np.asarray(leg_damping_from_ratio(0.1, k, m)),
                           **surface_numbers)
    push, _, use_braking = steady.solve_held_speed(
        p, simsrc.apex(np.full(m.shape, APEX_HEIGHT_M), v), v)
    ok = np.asarray(push.converged) & ~np.asarray(use_braking)
    return (ok, np.asarray(push.metrics.metabolic_cost_j_per_kg_per_m),
            np.asarray(push.metrics.mechanical_work_j_per_kg_per_m))


def solve(surface: str):
    """(converged, metabolic J/kg/m, mechanical work J/kg/m) per (mass, speed)."""
    grid = list(itertools.product(MASSES, SPEEDS))
    ok, met, work = held_speed_costs([g[0] for g in grid], [g[1] for g in grid], surface)
    return {g: (bool(ok[i]), float(met[i]), float(work[i])) for i, g in enumerate(grid)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="also write the rows as JSON")
    args = ap.parse_args()
    hard, sand = solve("rigid"), solve("sand")
    rows = []
    print("mass kg  speed m/s  metabolic sand/hard  work sand/hard  (metabolic J/kg/m hard, sand)")
    for g in itertools.product(MASSES, SPEEDS):
        (ok_h, met_h, w_h), (ok_s, met_s, w_s) = hard[g], sand[g]
        ok = ok_h and ok_s
        row = dict(mass_kg=g[0], speed_m_per_s=g[1], steady=ok,
                   metabolic_ratio=met_s / met_h if ok else None,
                   work_ratio=w_s / w_h if ok else None,
                   hard_metabolic_j_per_kg_per_m=met_h, sand_metabolic_j_per_kg_per_m=met_s)
        rows.append(row)
        if ok:
            print(f"{g[0]:7.0f}  {g[1]:9.1f}  {met_s / met_h:19.3f}  {w_s / w_h:14.3f}  "
                  f"({met_h:.2f}, {met_s:.2f})")
        else:
            print(f"{g[0]:7.0f}  {g[1]:9.1f}  no steady gait on one of the surfaces")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
