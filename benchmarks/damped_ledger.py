"""The damped contact model's energy ledger against the scipy reference, equal or graded steps.

    python benchmarks/damped_ledger.py [--steps 10 20 40 80]

One step of the built-in runner (firm ground, leg damping ratio 0.1, push 0.9 BW; configs/
default.toml) and of two reference-test cases (tests/test_engine_reference.py: "firm_damped",
"full_damped") from their starts, through ``simsrc.simulate`` with ``stance_steps`` = N, first
with the damped stance's first four steps graded (``simsrc.engine.step.DAMPED_GRADE``, the
default), then with equal steps, each in a process of its own. Prints per case and N the
leg-damping loss error against ``tests/reference.py`` (scipy DOP853, rtol = atol = 1e-12) and
the ledger residual, both in J. Stored programs off and a throwaway compile cache (each variant
is traced anew); a few minutes on 2 cores. Results: docs/numerics.md, "The surface contact
point".
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# tests/conftest.py (imported below for its parameter helpers) points the compile cache at
# SIMSRC_TEST_COMPILE_CACHE: a throwaway folder here; the stored programs are keyed by the
# source, not by the grading this script switches, so they are off
os.environ["SIMSRC_TEST_COMPILE_CACHE"] = tempfile.mkdtemp(prefix="simsrc-damped-ledger-")
os.environ["SIMSRC_NO_STORED_PROGRAMS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from conftest import case, to_params  # noqa: E402
from reference import CANONICAL, canonical_state, reference_step  # noqa: E402

import simsrc  # noqa: E402
import simsrc.engine.step as engine_step  # noqa: E402
from simsrc.config.load import base_point, default_config  # noqa: E402

REFERENCE_KEYS = ("mass_kg", "leg_length_m", "leg_stiffness_n_per_m", "leg_damping_n_s_per_m",
                  "angle_of_attack_rad", "lean_rad", "push_force_bw", "push_ramp_rad",
                  "slope_rad", "gravity_m_per_s2", "surface_damping_n_s_per_m",
                  "surface_restitution")


def cases():
    """(name, Params, State, the reference's parameter dict, its start tuple)."""
    p, s = base_point(default_config())
    d = dict(CANONICAL, **{k: float(getattr(p, k)) for k in REFERENCE_KEYS})
    d["surface_stiffness_n_per_m"] = 1.0 / float(p.surface_compliance_m_per_n)
    yield "built-in runner", p, s, d, tuple(float(v) for v in s)
    for name, changes in (
            ("firm_damped", dict(surface_stiffness_n_per_m=945.7e3, leg_damping_n_s_per_m=100.0)),
            ("full_damped", dict(surface_stiffness_n_per_m=50e3, surface_restitution=0.6,
                                 push_force_bw=0.5, slope_rad=math.radians(3.0),
                                 leg_damping_n_s_per_m=100.0))):
        d = case(**changes)
        yield name, to_params(d), simsrc.State(*canonical_state()), d, canonical_state()


def measure(grade: int, steps) -> None:
    """Print the rows of one grading (this process traces the engine with it)."""
    engine_step.DAMPED_GRADE = grade
    first = lambda a: float(np.asarray(a).ravel()[0])  # noqa: E731
    for name, p, s, d, start in cases():
        ref = reference_step(d, start)
        base = simsrc.simulate(p, s, 1).options
        assert base.surface_model == "damped", name
        for n in steps:
            run = simsrc.simulate(p, s, 1, options=dataclasses.replace(base, stance_steps=n))
            led = run.records.ledger
            err = first(led.leg_damping_loss_j) - ref["leg_damping_loss_j"]
            print(f"{name:<16}{grade:>6}{n:>6}{err:>20.3g}{first(led.residual_j):>14.3g}",
                  flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[10, 20, 40, 80])
    ap.add_argument("--grade", type=int, default=None,
                    help="one grading only, in this process (default: the engine's and 0, each "
                         "in a process of its own: a traced program keeps the grading it saw)")
    args = ap.parse_args(argv)
    if args.grade is not None:
        measure(args.grade, args.steps)
        return 0
    print(f"{'case':<16}{'grade':>6}{'steps':>6}{'damping loss err J':>20}{'residual J':>14}",
          flush=True)
    for grade in (engine_step.DAMPED_GRADE, 0):
        subprocess.run([sys.executable, __file__, "--grade", str(grade), "--steps",
                        *map(str, args.steps)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
