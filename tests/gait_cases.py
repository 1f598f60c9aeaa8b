"""Shared, cached cases for tests/test_metrics.py and tests/test_gait.py.

Compilation dominates these tests (one XLA compile of the step is 5-15 s on a CPU), so every
case here runs through the same few compiled kernels: scalar rigid-ground parameters without
push or damping, ``simulate`` with ``N_STEPS`` steps and ``find_gait_1d`` (batches of up to 8
parameter sets share its kernel). Results are cached for the whole pytest session.
"""
from __future__ import annotations

import functools
import math

import simsrc
from simsrc.gait import find_gait_1d, specific_energy_j_per_kg

N_STEPS = 12

# Seyfarth et al. 2002: m = 80 kg, L0 = 1 m, k = 20 kN/m, alpha = 68 deg, 5 m/s at 1 m apex.
CANONICAL = dict(mass_kg=80.0, leg_length_m=1.0, leg_stiffness_n_per_m=20e3,
                 angle_of_attack_deg=68.0)
# A default human runner (tests/test_metrics.py::test_human_numbers_in_published_ranges):
# 70 kg, leg 0.95 m, k = 11 kN/m, alpha = 64.5 deg, energy of 3.8 m/s at 1.5 cm above the
# touchdown height. Its conservative gait is periodic and self-stable (lambda ~ 0.55).
HUMAN = dict(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
             angle_of_attack_deg=64.5)
HUMAN_SPEED_M_PER_S = 3.8
HUMAN_APEX_ABOVE_TOUCHDOWN_M = 0.015


def params(**kw):
    """The canonical case (rigid level ground, no push, no damping) with ``kw`` (``make_params``
    keywords)."""
    return simsrc.canonical_params(**kw)


@functools.lru_cache(maxsize=None)
def _gait(items):
    kw = dict(items)
    energy = kw.pop("energy_j_per_kg")
    return find_gait_1d(params(**kw), energy)


def gait(energy_j_per_kg, **kw):
    """The conservative periodic gait (``Gait1D``, scalars) of ``params(**kw)`` at that energy."""
    return _gait(tuple(sorted(dict(kw, energy_j_per_kg=float(energy_j_per_kg)).items())))


def canonical_energy():
    return float(specific_energy_j_per_kg(params(), 1.0, 5.0))


def human_energy():
    touchdown_m = HUMAN["leg_length_m"] * math.sin(math.radians(HUMAN["angle_of_attack_deg"]))
    return 9.81 * (touchdown_m + HUMAN_APEX_ABOVE_TOUCHDOWN_M) + 0.5 * HUMAN_SPEED_M_PER_S**2


@functools.lru_cache(maxsize=None)
def _run(items, y, vx):
    return simsrc.simulate(params(**dict(items)), simsrc.apex(y, vx), N_STEPS)


def run(start: simsrc.State, **kw):
    """``simulate`` ``N_STEPS`` steps of ``params(**kw)`` from an apex (cached)."""
    return _run(tuple(sorted(kw.items())), float(start.y_m), float(start.vx_m_per_s))


def run_from_gait(g, **kw):
    """A run started exactly on the periodic gait ``g`` (every step should repeat the first)."""
    return run(simsrc.apex(float(g.apex_height_m), float(g.apex_speed_m_per_s)), **kw)

