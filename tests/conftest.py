"""Shared test helpers: the scipy reference oracle's parameter dicts <-> simsrc Params."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

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


@pytest.fixture
def canonical():
    return case(), canonical_state()
