"""The test helper layer: the numerics and compile cache every test runs with, and the scipy
reference oracle's parameter dicts <-> simsrc Params.

- float64 is switched on here, explicitly: the accuracy targets of the tests (1e-8 to 1e-11
  against the independent scipy reference, tests/reference.py) need it, and the tests must not
  depend on what ``import simsrc`` does to the process.
- Compiled programs go to a cache folder of the tests' own (``SIMSRC_TEST_COMPILE_CACHE``, default
  ``.cache/jax-tests`` in the checkout), never to the user's cache; the command-line tests'
  subprocesses inherit it. A clean clone therefore starts from an empty cache, as CI does.
- Compiled runs are shared within a session through the cached case modules
  (``gait_cases.py``, ``sweep_cases.py``) and the session fixtures below.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ["SIMSRC_COMPILE_CACHE"] = os.environ.get(
    "SIMSRC_TEST_COMPILE_CACHE", str(ROOT / ".cache" / "jax-tests"))
os.environ.pop("SIMSRC_NO_COMPILE_CACHE", None)
sys.path.insert(0, str(Path(__file__).parent))

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import simsrc  # noqa: E402
from reference import CANONICAL, canonical_state  # noqa: E402


def to_params(d: dict) -> simsrc.Params:
    """The reference's SI parameter dict as simsrc Params (stiffness inf -> compliance 0); the
    fields the reference has no key for (the swinging leg) are the canonical case's."""
    ks = d["surface_stiffness_n_per_m"]
    return simsrc.canonical_params()._replace(
        mass_kg=d["mass_kg"], leg_length_m=d["leg_length_m"],
        leg_stiffness_n_per_m=d["leg_stiffness_n_per_m"],
        leg_damping_n_s_per_m=d["leg_damping_n_s_per_m"],
        angle_of_attack_rad=d["angle_of_attack_rad"], lean_rad=d["lean_rad"],
        push_force_bw=d["push_force_bw"], push_ramp_rad=d["push_ramp_rad"],
        slope_rad=d["slope_rad"], gravity_m_per_s2=d["gravity_m_per_s2"],
        surface_compliance_m_per_n=0.0 if math.isinf(ks) else 1.0 / ks,
        surface_damping_n_s_per_m=d["surface_damping_n_s_per_m"],
        surface_restitution=d["surface_restitution"])


def case(**changes) -> dict:
    """The canonical case (Seyfarth et al. 2002) with some parameters changed."""
    return dict(CANONICAL, **changes)


@pytest.fixture(scope="session")
def canonical():
    """The canonical case and its start state (Seyfarth et al. 2002: 80 kg, 1 m, 20 kN/m, 68°,
    5 m/s at a 1 m apex)."""
    return case(), canonical_state()


#: Test files that compile the most programs, first: pytest-xdist (``--dist loadfile``, the
#: default run) hands files to the two workers in collection order, so a long file collected
#: last runs alone at the end. Longest first (from ``--durations`` of cold runs: the reference
#: cases, the fits, the command line, the steady solvers, ...); the rest keep their order.
HEAVY_FILES_FIRST = ("test_engine_reference.py", "test_fit.py", "test_cli.py", "test_steady.py",
                     "test_swing.py", "test_explore_api.py", "test_sweep.py",
                     "test_controlled.py", "test_fit_impact.py", "test_metrics.py",
                     "test_engine_gradients.py", "test_fit_cli.py",
                     "test_engine_invariants.py")


def pytest_collection_modifyitems(items):
    """Collect the heavy files first (``HEAVY_FILES_FIRST``); a stable sort keeps the order of
    the tests within each file and of the other files."""
    rank = {name: i for i, name in enumerate(HEAVY_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
